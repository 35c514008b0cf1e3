"""Pinned axes: labelled images tie latent dim k to factor k; zero labels is the unsupervised β-VAE."""
import dataclasses

import numpy as np
import pytest
import torch

from explorer.checkpoint import load_run, save_run
from explorer.cli import main as cli
from explorer.data import ProceduralDSprites
from explorer.naming import dimension_names, row_labels
from explorer.supervision import LabelledPool, pinned_factors, standardised_targets
from explorer.trainer import train
from helpers import tiny_config

FACTORS = ("shape", "scale", "orientation", "posX", "posY")


@pytest.mark.parametrize("size", [2, 3, 6, 40])
def test_targets_of_a_uniform_factor_have_the_priors_mean_and_variance(size):
    y = standardised_targets(np.arange(size)[:, None], [size])[:, 0]
    assert abs(y.mean()) < 1e-6 and abs(y.var() - 1) < 1e-5
    assert np.all(np.diff(y) > 0)  # ordered like the factor: a slider moves the sprite one way


@pytest.mark.parametrize("pinned, expected", [((), FACTORS), (("posX", "posY"), ("posX", "posY")), ("scale", ("scale",))])
def test_pinned_factors_default_to_all_in_dataset_order(pinned, expected):
    assert pinned_factors(tuple(pinned) if not isinstance(pinned, str) else (pinned,), FACTORS) == expected


@pytest.mark.parametrize("pinned, message", [(("colour",), "cannot pin 'colour'"), (("posX", "posX"), "once")])
def test_bad_pins_are_refused_with_a_reason(pinned, message):
    with pytest.raises(ValueError, match=message):
        pinned_factors(pinned, FACTORS)


def test_the_labelled_pool_is_fixed_by_the_seed_and_its_targets_match_the_images_factors():
    ds = ProceduralDSprites()
    a, b = (LabelledPool.draw(ds, 50, ("posX", "scale"), seed=3) for _ in range(2))
    assert np.array_equal(a.indices, b.indices) and len(set(a.indices)) == 50
    classes = ds.factors(a.indices)[:, [3, 1]]
    assert np.allclose(a.targets, standardised_targets(classes, [32, 6]))
    indices, targets = a.sample(8)
    assert np.allclose(targets.numpy(), standardised_targets(ds.factors(indices)[:, [3, 1]], [32, 6]))


def _labelled(labels, steps=6, pinned=("posX",), **train):
    config = tiny_config(steps=steps, pinned=pinned)
    return dataclasses.replace(config, train=dataclasses.replace(config.train, **{"labels": labels, "label_batch": 4, **train}))


def test_zero_labels_is_exactly_the_unsupervised_run_and_labels_change_it():
    plain = train(tiny_config(steps=4), final_eval=False)
    zero = train(_labelled(0, steps=4), final_eval=False)
    some = train(_labelled(20, steps=4), final_eval=False)
    same = [torch.equal(p, q) for p, q in zip(plain.model.parameters(), zero.model.parameters())]
    assert all(same)
    assert not all(torch.equal(p, q) for p, q in zip(plain.model.parameters(), some.model.parameters()))
    assert zero.history["label_loss"][-1] is None and some.history["label_loss"][-1] > 0


def test_the_pinned_dimensions_mi_with_its_factor_rises_with_the_label_count():
    """Tiny runs (6 latents, 100 steps, β = 1): posX's share of entropy held by z0 grows with more labels."""
    shares = []
    for labels in (0, 64, 512):
        config = _labelled(labels, steps=100, batch_size=16, eval_samples=1000, label_batch=8)
        config = dataclasses.replace(config, model=dataclasses.replace(config.model, latent_dim=6),
                                     objective=dataclasses.replace(config.objective, beta=1.0))
        m = train(config).metrics
        shares.append(m["mi_matrix"][3][0] / m["factor_entropy"][3])
        if labels:
            assert m["pinned_mi"]["posX"] == pytest.approx(shares[-1])
    assert shares[0] < shares[1] < shares[2], shares
    assert shares[2] > 0.3, shares


def test_pins_survive_a_checkpoint_and_name_the_dimensions(tmp_path):
    run = train(_labelled(20, pinned=("posY", "scale")))
    loaded = load_run(save_run(run, tmp_path / "p.pt"))
    assert loaded.config.objective.pinned == ("posY", "scale") and loaded.config.train.labels == 20
    names = dimension_names(loaded.metrics, FACTORS)
    assert names[:2] == ["z0 = posY (pinned)", "z1 = scale (pinned)"] and names[2].startswith("z2")
    assert row_labels(loaded.metrics, FACTORS)[0].startswith("z0 = posY (pinned) · KL")


def test_cli_trains_with_labels_and_reports_the_pinned_mi(tmp_path, capsys):
    out = tmp_path / "l.pt"
    args = ["train", "--steps", "3", "--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--quiet",
            "--labels", "30", "--label-batch", "4", "--pin", "posX,posY", "--out", str(out)]
    assert cli(args) == 0
    assert cli(["eval", str(out), "--samples", "200"]) == 0
    assert "pinned_mi: posX" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--dataset", "mnist", "--labels", "10"], "only dsprites"),
    (["--labels", "10", "--pin", "colour"], "cannot pin 'colour'"),
    (["--labels", "10", "--pin", "posX,posX"], "pinned once"),
    (["--labels", "10", "--latent-dim", "2"], "cannot pin more factors"),
    (["--labels", "-1"], "labels must be"),
])
def test_cli_refuses_impossible_label_settings_in_one_line(extra, message, capsys):
    assert cli(["train", "--steps", "1", "--quiet", *extra]) == 2
    assert message in capsys.readouterr().err

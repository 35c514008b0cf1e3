"""What the decoder draws (exact ancestral samples by band Jacobi), traversal ranges, and z-usage."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.code_ranges import code_ranges, sweep_values
from explorer.config import ModelConfig
from explorer.models import build_model
from explorer.models.pixelcnn import PixelCNNDecoder
from explorer.pictures import mean_images, sample_images
from explorer.z_usage import z_usage, z_usage_maps

ROOT = Path(__file__).resolve().parents[1]


def _strong_decoder(seed=3, n_layers=2):
    torch.manual_seed(seed)
    dec = PixelCNNDecoder(latent_dim=2, n_layers=n_layers, ar_channels=4)
    with torch.no_grad():
        dec.z_maps.weight.mul_(20.0)  # a strong, spatially varying input: images with many on and off pixels
    return dec.eval()


@pytest.fixture(scope="module")
def reference_sample():
    """The definition of an ancestral sample: pixel by pixel in raster order, each from the network run on
    what has been drawn so far (4,096 passes of a tiny network)."""
    dec = _strong_decoder()
    z = torch.randn(1, 2, generator=torch.Generator().manual_seed(1))
    noise = torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(2))
    x = torch.zeros(1, 1, 64, 64)
    with torch.no_grad():
        for r in range(64):
            for c in range(64):
                x[0, 0, r, c] = float(noise[0, 0, r, c] < torch.sigmoid(dec(z, x)[0, 0, r, c]))
    return dec, z, noise, x


@pytest.mark.parametrize("band", [1, 6, 64])
def test_band_jacobi_sample_equals_the_pixel_by_pixel_ancestral_sample(reference_sample, band):
    dec, z, noise, expected = reference_sample
    x, probs, info = dec.sample(z, noise, band=band)
    assert 100 < int(expected.sum()) < 4000  # a non-trivial picture, not an empty or full canvas
    assert torch.equal(x, expected)
    assert info["passes"] < 4096 / 8  # far fewer whole-image passes than pixels
    assert ((probs >= 0) & (probs <= 1)).all()


def _ignoring_z(decoder: str):
    """A tiny autoregressive model whose decoder never reads its code."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=3, decoder=decoder, ar_channels=4)).eval()
    with torch.no_grad():
        model.decoder.z_maps.weight.zero_()
        model.decoder.z_maps.bias.zero_()
    return model


def test_samples_of_a_decoder_that_ignores_z_do_not_depend_on_the_code_but_do_on_the_noise():
    model = _ignoring_z("pixelcnn1")
    with torch.no_grad():
        model.decoder.head[-1].bias.fill_(-0.5)  # p ≈ 0.4 everywhere: plenty of on pixels
    codes = torch.tensor([[-2.0, 0.0, 1.0], [3.0, 1.0, -1.0]])
    drawn, info = sample_images(model, codes, samples=2, seed=0)
    assert drawn.shape == (2, 2, 64, 64) and info["samples"] == 2
    assert np.array_equal(drawn[0], drawn[1])            # shared noise: the code changes nothing
    assert not np.array_equal(drawn[0, 0], drawn[0, 1])  # a different noise field draws a different picture
    again, _ = sample_images(model, codes, samples=2, seed=0, batch=1)
    assert np.array_equal(drawn, again)                  # deterministic, whatever the batching


def test_factorised_pictures_are_the_decoder_probabilities():
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=3, decoder="conv")).eval()
    z = torch.randn(4, 3)
    pictures, info = mean_images(model, z)
    with torch.no_grad():
        assert np.allclose(pictures, torch.sigmoid(model.decoder(z))[:, 0].numpy())
    assert info["samples"] == 0


def test_data_range_is_flat_for_an_unused_dimension_and_spans_the_data_for_a_used_one():
    rng = np.random.default_rng(0)
    mu = np.stack([rng.normal(0.5, 1.5, 5000), np.full(5000, 0.02), rng.normal(0, 0.3, 5000)], axis=1)
    logvar = np.stack([np.full(5000, -4.0), np.zeros(5000), np.full(5000, -2.0)], axis=1)
    lo, hi = code_ranges(mu, logvar, "data")
    assert hi[1] - lo[1] < 1e-9                             # the encoder never moves dim 1: nothing to sweep
    assert lo[0] == pytest.approx(np.percentile(mu[:, 0], 1)) and hi[0] == pytest.approx(np.percentile(mu[:, 0], 99))
    lo, hi = code_ranges(mu, logvar, "fitted")
    scale = np.sqrt(np.exp(-4.0) + mu[:, 0].var())
    assert hi[0] - lo[0] == pytest.approx(2 * 1.6448536 * scale)
    assert hi[1] - lo[1] == pytest.approx(2 * 1.6448536 * 1.0, rel=1e-3)  # an unused dim fits the prior
    lo, hi = code_ranges(mu, logvar, "prior")
    assert (lo == -3).all() and (hi == 3).all()
    values = sweep_values(np.array([0.0, -1.0]), np.array([1.0, 1.0]), 3)
    assert values.tolist() == [[0.0, 0.5, 1.0], [-1.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match="NaN"):
        code_ranges(np.full((3, 2), np.nan), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="unknown range"):
        code_ranges(mu, logvar, "wide")


def test_z_usage_is_zero_when_the_decoder_ignores_z():
    model = _ignoring_z("pixelcnn2")
    images = (torch.rand(5, 1, 64, 64, generator=torch.Generator().manual_seed(0)) > 0.9).float().numpy()
    maps, totals = z_usage_maps(model, images)
    assert maps.shape == (5, 64, 64) and np.abs(maps).max() == 0.0 and (totals == 0).all()
    assert z_usage(model, images)["z_usage"] == 0.0
    with pytest.raises(ValueError, match=r"\(N, 1, 64, 64\)"):
        z_usage_maps(model, images[:, 0])


@pytest.fixture(scope="module")
def shipped():
    from explorer.checkpoint import load_run

    index = {r["name"]: r for r in json.loads((ROOT / "checkpoints" / "index.json").read_text())["runs"]}
    return index, {name: load_run(ROOT / "checkpoints" / f"{name}.pt") for name in ("collapse", "cure")}


def test_the_shipped_collapsed_decoder_reads_its_code_far_less_than_its_cure(shipped):
    """The collapse lesson as a number: measured afresh on 32 images, and as the gallery index records it."""
    from explorer.data import ProceduralDSprites
    from explorer.evaluation import draw_eval_sample

    index, runs = shipped
    images = draw_eval_sample(ProceduralDSprites(), 32, 5).images
    fresh = {name: z_usage(run.model, images)["z_usage"] for name, run in runs.items()}
    assert fresh["collapse"] < 5.0 and fresh["cure"] > 10 * fresh["collapse"]
    recorded = {name: index[name]["metrics"]["z_usage"] for name in runs}
    assert recorded["collapse"] < 5.0 and recorded["cure"] > 10 * recorded["collapse"]


def test_traverse_writes_raw_arrays_whose_autoregressive_tiles_show_sprites(tmp_path, shipped):
    """``traverse --out grid.npz`` on the shipped collapse and cure runs: sprites, not the greedy decode's black."""
    for name in ("collapse", "cure"):
        out = tmp_path / f"{name}.npz"
        done = subprocess.run([sys.executable, "-m", "explorer", "traverse", str(ROOT / "checkpoints" / f"{name}.pt"),
                               "--out", str(out), "--columns", "3", "--samples", "2", "--index", "614928"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        grid = np.load(out)
        assert grid["images"].shape == (10, 3, 64, 64) and grid["values"].shape == (10, 3)
        assert grid["dims"].tolist() == list(range(10)) and len(grid["labels"]) == 10 and int(grid["samples"]) == 2
        lit = (grid["images"] > 0.25).sum(axis=(2, 3))
        assert (lit >= 20).mean() >= 0.9, f"{name}: most tiles should show a sprite, lit pixels {lit.tolist()}"

"""The CLI contract the app, the benchmarks and outside checks rely on."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main
from explorer.data.dsprites_grid import index_to_classes
from explorer.data.dsprites_render import render
from explorer.models import DECODERS

TINY = ["--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2", "--quiet"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run.pt"
    assert main(["train", "--dataset", "dsprites", "--beta", "4", "--decoder", "conv", "--schedule", "linear",
                 "--free-bits", "0.1", "--free-bits-mode", "batch", "--steps", "4", "--seed", "0", "--out", str(out), *TINY]) == 0
    return out


def test_help_lists_every_decoder_and_its_kind():
    text = subprocess.run([sys.executable, "-m", "explorer", "train", "--help"], capture_output=True, text=True, check=True).stdout
    for name in DECODERS:
        assert name in text
    assert "factorised" in text and "autoregressive" in text


def test_train_writes_a_checkpoint_with_the_requested_config(checkpoint, capsys):
    from explorer.checkpoint import load_run

    run = load_run(checkpoint)
    o = run.config.objective
    assert (o.beta, o.schedule, o.free_bits, o.free_bits_mode) == (4.0, "linear", 0.1, "batch")
    assert run.config.train.steps == 4 and run.history["step"][-1] == 4


def test_eval_prints_one_json_object(checkpoint, capsys):
    assert main(["eval", str(checkpoint), "--json", "--samples", "200", "--seed", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("mig", "active_units", "kl", "kl_per_dim", "recon", "mi"):
        assert key in result
    assert len(result["kl_per_dim"]) == 3 and result["samples"] == 200
    assert main(["eval", str(checkpoint), "--json", "--samples", "200", "--seed", "3"]) == 0
    assert json.loads(capsys.readouterr().out) == result  # same seed, same sample, same numbers


def test_data_writes_the_original_layout(tmp_path):
    out = tmp_path / "d.npz"
    assert main(["data", "--out", str(out), "--indices", "0,1,737279"]) == 0
    with np.load(out) as d:
        assert d["imgs"].dtype == np.uint8 and d["imgs"].shape == (3, 64, 64)
        np.testing.assert_array_equal(d["latents_classes"], index_to_classes(np.array([0, 1, 737279])))
        assert d["latents_values"].shape == (3, 6) and d["latents_values"][2, 3] == pytest.approx(2 * np.pi)
        np.testing.assert_array_equal(d["imgs"], render(d["latents_classes"][:, 1:]))
    assert main(["data", "--out", str(out), "--n", "5", "--seed", "1"]) == 0
    with np.load(out) as d:
        assert d["imgs"].shape == (5, 64, 64)


def test_traverse_writes_a_labelled_grid_png_an_animated_gif_and_raw_arrays(checkpoint, tmp_path):
    assert main(["traverse", str(checkpoint), "--out", str(tmp_path / "grid.png")]) == 0
    img = Image.open(tmp_path / "grid.png")
    assert img.height == 3 * 132 + 4 and img.width > 8 * 132 + 4  # 3 latent rows × 8 columns of 128-px tiles, labels
    assert main(["traverse", str(checkpoint), "--out", str(tmp_path / "grid.gif"), "--columns", "4"]) == 0
    assert Image.open(tmp_path / "grid.gif").n_frames == 4 + 2  # there and back
    assert main(["traverse", str(checkpoint), "--out", str(tmp_path / "grid.npz"), "--range", "prior", "--limit", "2"]) == 0
    grid = np.load(tmp_path / "grid.npz")
    assert grid["images"].shape == (3, 8, 64, 64) and grid["values"].shape == (3, 8)
    assert grid["values"][0, 0] == pytest.approx(-2.0) and grid["values"][2, -1] == pytest.approx(2.0)
    assert str(grid["picture"]) == "probabilities" and grid["z0"].tolist() == [0.0, 0.0, 0.0]
    assert main(["traverse", str(checkpoint), "--out", str(tmp_path / "grid.jpg")]) == 2  # one line, no traceback


@pytest.mark.parametrize("argv", [
    ["eval", "does-not-exist.pt"],
    ["train", "--beta", "nan", "--steps", "1", *TINY],
    ["data", "--out", "x.npz", "--indices", "1,a"],
    ["data", "--out", "x.npz", "--indices", "99999999"],
])
def test_bad_input_gives_a_one_line_error_and_exit_code_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize("extra", [[], ["--labels", "300"], ["--dataset", "mnist"]])
def test_the_documented_short_run_command_is_a_valid_recipe(extra):
    """`train --beta 4 --seconds 120`, everything else at its default, must be a runnable config
    (e.g. the default labelled share of a batch must fit in the default batch)."""
    from explorer.flags import parse_train

    config = parse_train(["--beta", "4", "--seconds", "120", *extra])
    config.validate()
    assert config.train.label_batch < config.train.batch_size  # a labelled run keeps unlabelled images in each batch
    assert config.train.seconds == 120 and config.objective.beta == 4

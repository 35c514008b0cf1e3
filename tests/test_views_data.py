"""A run's views as data: computed once from the weights, stored beside them, read back without torch."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer import view_data
from explorer.checkpoint import save_run
from explorer.data import ProceduralDSprites
from explorer.trainer import train
from explorer.view_data import ViewsError, load_views, save_views, views_path
from explorer.views import write_views
from helpers import tiny_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = {"name": "final", "samples": 64, "seed": 1}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A tiny trained run, its checkpoint and its views file."""
    run = train(tiny_config(steps=4))
    folder = tmp_path_factory.mktemp("views")
    checkpoint = save_run(run, folder / "tiny.pt")
    return run, checkpoint, write_views(run, ProceduralDSprites(), checkpoint, SAMPLE, extra=False)


def test_views_round_trip_every_number_and_picture_a_page_shows(stored):
    run, checkpoint, path = stored
    assert path == views_path(checkpoint) and path.name == "tiny.views.npz"
    views = load_views(path)
    assert views.config == run.config
    assert views.metrics["mig"] == run.metrics["mig"] and views.metrics["kl_per_dim"] == run.metrics["kl_per_dim"]
    assert views.history["step"] == run.history["step"] and views.metrics_sample == SAMPLE
    assert views.traversal.shape == (3, view_data.COLUMNS, 64, 64) and views.values.shape == (3, view_data.COLUMNS)
    assert views.recon.shape == (len(view_data.RECON_INDICES), 1, 64, 64)
    assert views.originals.dtype == np.uint8 and views.originals.shape == (len(view_data.RECON_INDICES), 64, 64)
    expected = ProceduralDSprites().images(np.asarray(view_data.RECON_INDICES))[:, 0]
    assert np.array_equal(views.originals, (expected * 255).astype(np.uint8))  # the images themselves, exactly
    assert views.usage_maps.shape == (len(view_data.RECON_INDICES), 64, 64) and np.isfinite(views.usage_totals).all()
    split = views.kl_split
    assert split["mi"] + split["tc"] + split["dim_kl"] == pytest.approx(split["kl_mc"]) and split["sample"]["name"] == "kl-split"
    assert views.latent_factors["position"].shape[0] == 3 and views.extra == {}
    assert not views.autoregressive and "pixel probabilities" in views.picture_note


def test_the_stored_pictures_are_what_the_model_draws(stored):
    run, checkpoint, path = stored
    from explorer.views import reconstruction_view, traversal_view

    views = load_views(path)
    grid, values, _ = traversal_view(run.model, ProceduralDSprites())
    assert np.allclose(views.traversal.astype(np.float32), grid, atol=1e-3) and np.allclose(views.values, values)
    assert np.allclose(views.recon.astype(np.float32), reconstruction_view(run.model, ProceduralDSprites()), atol=1e-3)


def test_views_of_other_weights_another_format_or_a_broken_file_are_refused_in_one_line(stored, tmp_path):
    run, checkpoint, path = stored
    from explorer.provenance import file_sha256

    assert load_views(path, file_sha256(checkpoint)).checkpoint_sha256 == file_sha256(checkpoint)
    with pytest.raises(ViewsError, match="other weights") as stale:
        load_views(path, "0" * 64)
    views = load_views(path)
    old = tmp_path / "old.views.npz"
    original = view_data.FORMAT
    try:
        view_data.FORMAT = original + 1
        save_views(views, old)
    finally:
        view_data.FORMAT = original
    with pytest.raises(ViewsError, match="format") as other:
        load_views(old)
    broken = tmp_path / "broken.views.npz"
    broken.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ViewsError, match="cannot be read") as cut:
        load_views(broken)
    with pytest.raises(ViewsError, match="does not exist"):
        load_views(tmp_path / "none.views.npz")
    assert all("\n" not in str(e.value) for e in (stale, other, cut))


def test_the_views_command_writes_beside_the_checkpoint_or_where_told(stored, tmp_path):
    run, checkpoint, _ = stored
    out = tmp_path / "elsewhere.views.npz"
    done = subprocess.run([sys.executable, "-m", "explorer", "views", str(checkpoint), "--out", str(out), "--no-extra"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    views = load_views(out)
    assert views.metrics["mig"] == run.metrics["mig"] and views.metrics_sample["name"] == "final"


def test_the_grid_picture_is_torchvisions_make_grid_pixel_for_pixel():
    import torch
    from torchvision.utils import make_grid

    from explorer.grid_images import grid_image

    grid = np.random.default_rng(0).random((3, 5, 64, 64)).astype(np.float32)
    for gap, scale in ((2, 1), (4, 2)):
        tiles = torch.from_numpy(grid).reshape(15, 1, 64, 64)
        tiles = tiles.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
        expected = (make_grid(tiles, nrow=5, padding=gap, pad_value=128 / 255)[0].numpy() * 255 + 0.5).astype(np.uint8)
        assert np.array_equal(np.asarray(grid_image(grid, gap, scale)), expected)


def test_reading_views_loads_no_torch(stored):
    _, _, path = stored
    code = (f"import sys; from explorer.view_data import load_views; v = load_views({str(path)!r}); "
            "from explorer.grid_images import labelled_grid_image; labelled_grid_image(v.traversal.astype('float32'), None); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

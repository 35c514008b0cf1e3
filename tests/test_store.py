"""What the app shows for a run belongs to that run: fresh weights after a retrain, the run's own dataset."""
import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from explorer.config import ModelConfig, RunConfig, TrainConfig
from explorer.data.base import ImageDataset
from explorer.jobs import JobManager
from explorer.models import build_model
from explorer.run import Run
from explorer import model_worker
from explorer.ui import run_models, runs
from explorer.views import compute_views, final_sample, job_views


@pytest.fixture(autouse=True)
def _clear():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


class _Weights:
    """A trainer whose every call returns freshly drawn weights: the first run is cancelled, the next completes."""

    def __init__(self):
        self.calls = 0

    def __call__(self, config, on_progress=None, stop=None):
        self.calls += 1
        torch.manual_seed(100 + self.calls)
        run = Run(config=config, model=build_model(config.model).eval())
        run.status = "cancelled" if self.calls == 1 else "completed"
        run.metrics = {"kl_per_dim": [1.0] * config.model.latent_dim, "steps": 2}
        return run


def _compare(ref: str) -> AppTest:
    def script():
        from explorer.ui.page_compare import compare_page

        compare_page()

    at = AppTest.from_function(script, default_timeout=60)
    at.query_params["runs"] = ref
    return at


def _pictures(at) -> list[str]:
    return [str(image.proto) for image in at.get("image")]


def test_a_configuration_trained_again_after_a_cancel_shows_the_new_weights(monkeypatch):
    """The job id is the configuration's key, so it comes back; pictures cached under it must not."""
    manager = JobManager(trainer=_Weights(), describe=job_views)  # as the server's: each run draws its views
    monkeypatch.setattr(runs, "job_manager", lambda: manager)
    config = RunConfig(ModelConfig(latent_dim=3, decoder="conv"), train=TrainConfig(steps=2))
    first = manager.wait(manager.submit(config).id, timeout=30)
    assert first.state == "cancelled"
    at = _compare(f"j:{first.id}").run()
    assert not at.exception
    before = _pictures(at)
    second = manager.wait(manager.submit(config).id, timeout=30)
    assert second.id == first.id and second.state == "completed"
    at.run()
    assert not at.exception
    after = _pictures(at)
    assert len(after) == len(before) >= 3
    assert all(a != b for a, b in zip(after[1:], before[1:])), "a picture of the old weights was shown again"


class _Digits(ImageDataset):
    """A stand-in for MNIST files: 10 images of a bar, nothing like a sprite, and no factors."""

    name = "mnist"

    @property
    def n_images(self) -> int:
        return 10

    def images(self, indices):
        out = np.zeros((len(indices), 1, 64, 64), dtype=np.float32)
        out[:, :, 8:56, 28:36] = 1.0
        return out


def test_a_run_on_another_dataset_is_shown_with_that_datasets_images(monkeypatch):
    config = RunConfig(ModelConfig(latent_dim=3, decoder="conv"), train=TrainConfig(dataset="mnist", steps=2))
    torch.manual_seed(0)
    run = Run(config=config, model=build_model(config.model).eval(), status="completed",
              metrics={"kl_per_dim": [1.0, 1.0, 1.0]})
    monkeypatch.setattr(model_worker, "_dataset", lambda train, datasets: _Digits() if train.dataset == "mnist" else None)
    manager = JobManager(trainer=lambda c, on_progress=None, stop=None: run,
                         describe=lambda r: compute_views(r, _Digits(), final_sample(r.config), extra=False))
    monkeypatch.setattr(runs, "job_manager", lambda: manager)
    job = manager.wait(manager.submit(config).id, timeout=30)
    served, error = run_models.get_run(f"j:{job.id}")  # a run trained here is answered in-process
    assert error is None and served.local is run
    shown = run_models.dataset_images([614_928, 3], served)
    assert np.array_equal(shown, _Digits().images([0, 0]))  # the run's own images (indices wrap to its size)
    assert np.array_equal(job.run.views.originals, (_Digits().images([0] * 8)[:, 0] * 255).astype(np.uint8))
    at = _compare(f"j:{job.id}").run()
    assert not at.exception
    assert "factor × latent MI" not in " ".join(c.proto.spec for c in at.get("plotly_chart"))  # no factors, no MI heatmap
    assert "known factors" in " ".join(i.value for i in at.info)  # the factor section says why it is empty
    at.query_params["section"] = "Training curves"
    at.run()
    charts = " ".join(c.proto.spec for c in at.get("plotly_chart"))
    assert "distortion" in charts  # the rate-distortion chart is drawn …
    assert "data entropy bound" not in charts  # … without dSprites' entropy, which says nothing about another dataset


def test_a_gallery_file_that_differs_from_its_recorded_sha256_is_refused_with_one_line(app_gallery, tmp_path_factory,
                                                                                     monkeypatch):
    import shutil

    built = app_gallery  # conftest's tiny gallery, read only: the tampered file is a copy
    monkeypatch.setattr(runs, "GALLERY_DIR", built)
    run, error = run_models.get_run("g:b1")
    assert error is None and run is not None and runs.views_for("g:b1").views is not None
    from explorer.ui.run_views import provenance_text

    assert "sha256" in provenance_text("g:b1") and "Reproduce" in provenance_text("g:b1")
    tampered = tmp_path_factory.mktemp("tampered")
    for f in built.iterdir():
        shutil.copy(f, tampered / f.name)
    with open(tampered / "b1.pt", "ab") as f:
        f.write(b"\0")  # still loads as a checkpoint, but it is not the file the index vouches for
    monkeypatch.setattr(runs, "GALLERY_DIR", tampered)
    st.cache_data.clear()
    st.cache_resource.clear()
    run, error = run_models.get_run("g:b1")
    assert run is None and "sha256 differs" in error and "\n" not in error
    found = runs.views_for("g:b1")  # the pages refuse it too, though they never load the weights
    assert found.views is None and "sha256 differs" in found.error


def test_a_run_trained_by_the_server_is_edited_through_the_model_process(monkeypatch, tmp_path):
    """The server's trainings leave their weights in a file: the editor reads them through the model process, so
    the server never rebuilds the model (and never loads torch for it)."""
    from explorer.checkpoint import load_run
    from explorer.train_process import train_in_process
    from explorer.views import draw_code
    from helpers import tiny_config

    manager = JobManager(trainer=train_in_process, weights_dir=tmp_path)
    monkeypatch.setattr(runs, "job_manager", lambda: manager)
    job = manager.wait(manager.submit(tiny_config(steps=4)).id, timeout=120)
    assert job.state == "completed" and job.run.model is None
    served, error = run_models.get_run(f"j:{job.id}")
    assert error is None and served.local is None and served.source["path"] == job.run.checkpoint
    code = tuple([0.5] * served.latent_dim)
    picture = run_models.cached_decode(f"j:{job.id}", code, served)
    np.testing.assert_array_equal(picture, draw_code(load_run(job.run.checkpoint).model, code))

"""The model process: it answers what the in-process model would, refuses weights other than those
checked, survives a bad request, and gives its memory back when idle (a fresh one starts on demand)."""
import os
import signal
import time

import numpy as np
import pytest
import torch

from explorer.checkpoint import save_run
from explorer.config import RunConfig
from explorer.model_worker import ModelWorker, WorkerError
from explorer.models import build_model
from explorer.provenance import file_sha256
from explorer.run import Run
from explorer.views import draw_code, encode_picture
from helpers import tiny_config

DEADLINE = 60.0  # generous: a loaded 2-core host may take long to start or stop a process


def _wait_until(condition) -> bool:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    config = tiny_config()
    torch.manual_seed(0)
    run = Run(config=config, model=build_model(config.model).eval(), status="completed", metrics={"steps": 6})
    path = save_run(run, tmp_path_factory.mktemp("worker") / "tiny.pt")
    return path, {"path": str(path), "sha256": file_sha256(path)}, run


@pytest.fixture(scope="module")
def worker():
    w = ModelWorker(idle_seconds=3600)
    yield w
    w.close()


def test_answers_what_the_model_in_this_process_would(worker, checkpoint):
    path, source, run = checkpoint
    about = worker.call("describe", source)
    assert about["latent_dim"] == run.model.encoder.latent_dim and about["metrics"]["steps"] == 6
    image = worker.call("images", None, indices=[737_280 + 5])  # indices wrap: image 5 of dSprites
    assert image.shape == (1, 1, 64, 64) and image.max() == 1.0
    mean = worker.call("encode", source, image=image[0, 0])
    np.testing.assert_array_equal(mean, encode_picture(run.model, image[0, 0]))
    code = [0.5] * about["latent_dim"]
    np.testing.assert_array_equal(worker.call("decode", source, code=code), draw_code(run.model, code))
    assert worker.starts == 1


def test_refuses_weights_other_than_those_checked_in_one_line_and_lives_on(worker, checkpoint):
    _, source, _ = checkpoint
    with pytest.raises(WorkerError) as refused:
        worker.call("describe", {**source, "sha256": "0" * 64})
    assert "changed after it was checked" in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(WorkerError, match="unknown request"):
        worker.call("no-such-op", source)
    assert worker.call("describe", source)["latent_dim"] >= 1 and worker.starts == 1  # the same process answered


def test_a_process_that_died_while_idle_is_replaced_on_the_next_request(checkpoint):
    _, source, _ = checkpoint
    w = ModelWorker(idle_seconds=3600)
    try:
        first = w.call("describe", source)
        pid = w.pid
        os.kill(pid, signal.SIGKILL)
        assert _wait_until(lambda: not w.running)
        assert w.call("describe", source) == first and w.starts == 2 and w.pid != pid
    finally:
        w.close()


def test_an_idle_process_exits_and_the_next_request_starts_another(checkpoint):
    _, source, _ = checkpoint
    w = ModelWorker(idle_seconds=0.5)
    try:
        first = w.call("describe", source)
        assert _wait_until(lambda: not w.running)  # its memory is given back
        assert w.call("describe", source) == first and w.starts == 2
    finally:
        w.close()


def test_a_failure_in_the_child_names_its_kind_and_the_process_lives_on(worker, checkpoint, tmp_path):
    """The editor falls back to ±3 sliders when a run's dataset is not on the server, as it did in-process."""
    _, source, run = checkpoint
    config = RunConfig.from_dict(run.config.to_dict())
    config.train.dataset, config.train.data_root = "mnist", str(tmp_path / "nowhere")
    path = save_run(Run(config=config, model=run.model, status="completed"), tmp_path / "mnist.pt")
    with pytest.raises(WorkerError) as failed:
        worker.call("code_ranges", {"path": str(path), "sha256": file_sha256(path)}, kind="data")
    assert failed.value.kind != "WorkerError" and "\n" not in str(failed.value)
    assert worker.call("describe", source)["latent_dim"] >= 1 and worker.starts == 1

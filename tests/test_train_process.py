"""Training in a child process (the app's default): the same run as in-process, stoppable, errors surfaced."""
import threading
from pathlib import Path

import pytest
import torch

from explorer.config import TrainConfig
from explorer.jobs import JobManager
from explorer.train_process import train_in_process
from explorer.trainer import train

from helpers import tiny_config


def test_a_child_trains_the_same_weights_and_history_as_the_thread_would():
    config = tiny_config(steps=6)
    here = train(config)
    steps, points = [], []
    there = train_in_process(config, on_step=lambda *a: steps.append(a),
                             on_progress=lambda run, fraction: points.append((len(run.history["step"]), fraction)))
    assert there.status == "completed" and there.metrics["steps"] == 6
    for name, tensor in here.model.state_dict().items():
        assert torch.equal(tensor, there.model.state_dict()[name]), name
    assert there.history["kl"] == here.history["kl"] and there.metrics["mig"] == here.metrics["mig"]
    assert [p for p, _ in points] == [1, 2, 3] and points[-1][1] == 1.0  # step 0, 3 and 6, as log_every says
    assert steps[0] == (0, 0.0, "preparing") and steps[-1][2] == "evaluating"


def test_stop_is_passed_on_and_the_run_ends_cancelled_with_its_steps_so_far():
    config = tiny_config(steps=100_000)
    seen = threading.Event()
    run = train_in_process(config, on_step=lambda step, f, phase: step >= 5 and seen.set(), stop=seen.is_set)
    assert run.status == "cancelled" and 5 <= run.metrics["steps"] < 100_000
    assert "stopped by the user" in run.reason


def test_a_failing_child_reports_its_own_error_in_one_line():
    config = tiny_config(steps=6)
    config.train = TrainConfig(**{**config.train.__dict__, "dataset": "mnist", "data_root": "/nonexistent"})
    with pytest.raises(RuntimeError) as info:
        train_in_process(config)
    assert "mnist" in str(info.value).lower() and "\n" not in str(info.value)


def test_the_job_manager_runs_a_child_training_to_the_end():
    manager = JobManager(trainer=train_in_process)
    job = manager.wait(manager.submit(tiny_config(steps=6)).id, timeout=120)
    assert job.state == "completed" and job.run.metrics["steps"] == 6 and len(job.history["step"]) == 3
    assert job.rate is not None and job.phase == "done"


def test_with_out_the_weights_stay_in_their_file(tmp_path):
    """The server's trainings: the child saves the weights for the model process, and nothing rebuilds the model
    in the parent."""
    from explorer.checkpoint import load_run

    config = tiny_config(steps=6)
    here = train(config)
    there = train_in_process(config, out=tmp_path / "run.pt")
    assert there.model is None and there.checkpoint == str(tmp_path / "run.pt")
    saved = load_run(there.checkpoint)
    for name, tensor in here.model.state_dict().items():
        assert torch.equal(tensor, saved.model.state_dict()[name]), name
    assert saved.metrics["mig"] == there.metrics["mig"] == here.metrics["mig"]


def test_a_job_dropped_from_the_manager_takes_its_weights_file_with_it(tmp_path):
    """Each job's trainer is handed its own file; evicting the job removes it (a trainer that writes the file and
    returns a model-less run stands in for the child, whose saving the test above checks)."""
    from explorer.run import Run

    def trainer(config, on_progress=None, stop=None, out=None):
        out.write_bytes(b"weights")
        return Run(config=config, model=None, status="completed", checkpoint=str(out))

    manager = JobManager(trainer=trainer, weights_dir=tmp_path / "jobs", max_finished=1)
    first = manager.wait(manager.submit(tiny_config(steps=4)).id, timeout=60)
    assert first.run.checkpoint == str(tmp_path / "jobs" / f"{first.id}.pt") and Path(first.run.checkpoint).is_file()
    second = manager.wait(manager.submit(tiny_config(steps=5)).id, timeout=60)
    assert manager.get(first.id) is None and not Path(first.run.checkpoint).exists()
    assert Path(second.run.checkpoint).is_file()

"""The background job manager: caps, de-duplication, cancelling, failures, eviction."""
import threading
import time

import pytest

from explorer.jobs import Busy, JobManager, config_key
from explorer.run import Run
from helpers import tiny_config


def _fake_trainer(release: threading.Event, fail: bool = False):
    """Stands in for train(): reports progress, waits for ``release`` or a stop, then returns."""
    def trainer(config, on_progress=None, stop=None):
        run = Run(config=config, model=None)
        run.history["step"].append(0)
        on_progress(run, 0.1)
        while not release.is_set():
            if stop():
                run.status = "cancelled"
                return run
            time.sleep(0.01)
        if fail:
            raise RuntimeError("boom in the worker")
        run.status = "completed"
        return run
    return trainer


def _config(seed):
    c = tiny_config()
    c.train.seed = seed
    return c


def test_cap_dedup_and_busy_message():
    release = threading.Event()
    jm = JobManager(max_concurrent=2, trainer=_fake_trainer(release))
    a, b = jm.submit(_config(1)), jm.submit(_config(2))
    assert jm.submit(_config(1)) is a  # same configuration: same job, no second training
    with pytest.raises(Busy, match="busy"):
        jm.submit(_config(3))
    release.set()
    assert jm.wait(a.id, 5).state == "completed" and jm.wait(b.id, 5).state == "completed"
    assert jm.submit(_config(1)) is a  # a finished run is reused too
    assert jm.wait(jm.submit(_config(3)).id, 5).state == "completed"


def test_cancel_frees_the_slot_at_once():
    jm = JobManager(max_concurrent=1, trainer=_fake_trainer(threading.Event()))
    job = jm.submit(_config(1))
    jm.cancel(job.id)
    assert jm.wait(job.id, 5).state == "cancelled"
    assert jm.running() == 0
    assert jm.submit(_config(1)) is not job  # a cancelled run is trained afresh when asked again


def test_worker_exception_is_reported_not_swallowed():
    release = threading.Event()
    release.set()
    jm = JobManager(trainer=_fake_trainer(release, fail=True))
    job = jm.wait(jm.submit(_config(1)).id, 5)
    assert job.state == "failed" and "boom in the worker" in job.error and "RuntimeError" in job.details
    assert jm.running() == 0


def test_oldest_finished_runs_are_evicted_beyond_the_limit():
    release = threading.Event()
    release.set()
    jm = JobManager(max_concurrent=1, max_finished=2, trainer=_fake_trainer(release))
    ids = []
    for seed in range(4):
        ids.append(jm.wait(jm.submit(_config(seed)).id, 5).id)
    assert [j.id for j in jm.jobs()] == ids[2:]


def test_snapshot_copies_progress_for_other_threads():
    release = threading.Event()
    jm = JobManager(trainer=_fake_trainer(release))
    job = jm.submit(_config(1))
    for _ in range(200):
        snap = jm.snapshot(job.id)
        if snap["history"]:
            break
        time.sleep(0.01)
    assert snap["state"] == "running" and snap["fraction"] == 0.1 and snap["history"]["step"] == [0]
    release.set()
    jm.wait(job.id, 5)
    assert jm.snapshot("nope") is None


def test_real_training_runs_in_the_background():
    jm = JobManager()
    job = jm.wait(jm.submit(tiny_config(steps=3)).id, 60)
    assert job.state == "completed" and job.run.history["step"][-1] == 3


def test_config_key_is_stable_and_sensitive():
    assert config_key(_config(1)) == config_key(_config(1)) != config_key(_config(2))


def test_trainers_that_report_steps_show_the_phase_the_step_and_the_pace():
    """A trainer taking ``on_step`` gets it (older ones above do not, and still work); the manager keeps
    the step, the phase and the measured rate, and remembers a finished run's pace for the next estimate."""
    gates = {p: threading.Event() for p in ("training", "evaluating")}
    reached = {p: threading.Event() for p in ("training", "evaluating")}

    def trainer(config, on_progress=None, stop=None, on_step=None):
        run = Run(config=config, model=None)
        on_step(0, 0.0, "preparing")
        on_step(0, 0.0, "training")
        time.sleep(0.05)
        on_step(40, 0.4, "training")
        reached["training"].set()
        gates["training"].wait(5)
        on_step(100, 1.0, "evaluating")
        reached["evaluating"].set()
        gates["evaluating"].wait(5)
        run.status = "completed"
        return run

    jm = JobManager(trainer=trainer)
    config = _config(1)
    job = jm.submit(config)
    assert reached["training"].wait(5)
    snap = jm.snapshot(job.id)
    assert (snap["phase"], snap["step"], snap["fraction"]) == ("training", 40, 0.4) and 0 < snap["rate"] <= 40 / 0.05
    live = jm.pace(config.model.decoder, config.train.batch_size)  # nothing finished yet: the running job's rate
    assert live["live"] and live["rate"] == snap["rate"] and jm.pace("mlp", config.train.batch_size) is None
    gates["training"].set()
    assert reached["evaluating"].wait(5)
    assert jm.snapshot(job.id)["phase"] == "evaluating"
    gates["evaluating"].set()
    assert jm.wait(job.id, 5).state == "completed" and jm.snapshot(job.id)["phase"] == "done"
    pace = jm.pace(config.model.decoder, config.train.batch_size)
    assert pace["rate"] == snap["rate"] and pace["eval_seconds"] > 0 and pace["job"] == job.id and "live" not in pace


def test_a_training_inside_the_server_computes_with_its_runs_thread_count_and_leaves_the_servers_alone():
    import torch

    seen = []
    config = _config(1)
    config.train.threads = 2
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        jm = JobManager(describe=lambda run: seen.append(torch.get_num_threads()))  # trains in its worker thread
        assert jm.wait(jm.submit(config).id, timeout=120).state == "completed"
        assert seen == [2]  # the views drawn after the training too
        assert torch.get_num_threads() == 1  # the caller's own count is untouched
    finally:
        torch.set_num_threads(before)


def test_a_bad_thread_count_is_refused_in_one_line_before_any_job_starts():
    config = _config(1)
    config.train.threads = 0
    jm = JobManager()
    with pytest.raises(ValueError, match="threads must be a whole number from 1 to 256"):
        jm.submit(config)
    assert jm.snapshot(config_key(config)) is None


def test_a_short_run_does_not_replace_the_pace_a_long_run_measured():
    """The Train page's time estimate comes from the last finished run's pace; a 100-step run's pace (mostly
    history points) would make the default run look far slower than it is."""
    from explorer.jobs import PACE_TRUSTED_STEPS

    def trainer(config, on_progress=None, stop=None, on_step=None):
        on_step(0, 0.0, "training")
        time.sleep(0.02)
        on_step(config.train.steps, 1.0, "training")
        on_step(config.train.steps, 1.0, "evaluating")
        run = Run(config=config, model=None)
        run.status = "completed"
        return run

    def finish(steps, seed):
        c = _config(seed)
        c.train.steps = steps
        job = jm.submit(c)
        assert jm.wait(job.id, 5).state == "completed"
        return job.id, jm.pace(c.model.decoder, c.train.batch_size)

    jm = JobManager(trainer=trainer)
    first, pace = finish(PACE_TRUSTED_STEPS // 3, 1)
    assert pace["job"] == first  # nothing better known: a short run's pace is kept
    long, pace = finish(PACE_TRUSTED_STEPS, 2)
    assert pace["job"] == long
    _, pace = finish(PACE_TRUSTED_STEPS // 3, 3)
    assert pace["job"] == long  # the short run's pace does not replace it
    longer, pace = finish(2 * PACE_TRUSTED_STEPS, 4)
    assert pace["job"] == longer  # a later long run does

"""A process-wide manager of background training jobs (no Streamlit: testable and reusable).

The app's script thread must never train (a click re-runs the script and would interrupt
it), so training runs in daemon threads owned by one ``JobManager``. It caps concurrent
trainings (a 2-core server cannot share more), de-duplicates identical configurations
(asking twice reuses the run), lets any page re-attach by job id, and keeps at most
``max_finished`` finished runs, evicting the oldest first (with its weights file, where a trainer that
accepts ``out`` left the weights in ``weights_dir`` rather than in this process). Trainers that accept
``on_step`` report every step and phase, so a page can show the step count between history
points; the manager also remembers each decoder's measured pace, to predict the next run's time.
"""
from __future__ import annotations

import inspect
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import RunConfig

if TYPE_CHECKING:  # the run (and torch) arrive with the first training, not with the page that lists jobs
    from .run import Run


#: A run this long measures a pace worth keeping: a shorter one spends a larger share of its time on its
#: history points (about ten per page run) and on starting up, so its pace understates a long run's.
PACE_TRUSTED_STEPS = 300


def config_key(config: RunConfig) -> str:
    """A short stable id for a configuration: runs that train the same model share it (RunConfig.key)."""
    return config.key()


@dataclass
class Job:
    id: str
    config: RunConfig
    state: str = "running"  # running, completed, cancelled, diverged, failed
    fraction: float = 0.0
    phase: str = "preparing"  # preparing, training, evaluating (explorer.trainer.PHASES), drawing (views), then done
    step: int = 0
    rate: float | None = None  # steps per second since training began, logging included
    run: Run | None = None
    error: str = ""
    details: str = ""  # the worker's traceback when it failed, for the server log
    started: float = field(default_factory=time.time)
    finished: float | None = None
    history: dict = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    training_since: float | None = None
    evaluating_since: float | None = None

    @property
    def done(self) -> bool:
        return self.state in ("completed", "cancelled", "diverged", "failed")


class Busy(RuntimeError):
    """All training slots are taken; the message says so in one line."""


class JobManager:
    def __init__(self, max_concurrent: int = 1, max_finished: int = 8, trainer=None, describe=None, weights_dir=None):
        self.max_concurrent = max_concurrent
        #: ``describe(run) -> RunViews | None``, called in the worker after a training that brought no views
        self._describe = describe
        #: where a trainer that takes ``out`` leaves each run's weights (one file per job, removed with the job)
        self.weights_dir = Path(weights_dir) if weights_dir is not None else None
        self.max_finished = max_finished
        self._trainer = trainer
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._paces: dict[tuple[str, int], dict] = {}

    # --- queries (all copies taken under the lock) --------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def snapshot(self, job_id: str) -> dict | None:
        """State, progress and a copy of the history so far, safe to read from any thread."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            return {"id": job.id, "state": job.state, "fraction": job.fraction, "error": job.error,
                    "history": {k: list(v) for k, v in job.history.items()}, "done": job.done,
                    "phase": job.phase, "step": job.step, "rate": job.rate, "config": job.config,
                    "metrics": dict(job.run.metrics) if job.run is not None else {},
                    "started": job.started, "finished": job.finished}

    def pace(self, decoder: str, batch_size: int) -> dict | None:
        """The last measured pace of this decoder and batch size here: ``rate`` (steps/s, logging
        included) and ``eval_seconds`` (the final evaluation); a running job's rate until one finishes
        (``live``); None before any run measured it."""
        with self._lock:
            pace = self._paces.get((decoder, batch_size))
            if pace:
                return dict(pace)
            live = [j for j in self._jobs.values() if j.state == "running" and j.rate and j.step >= 20
                    and (j.config.model.decoder, j.config.train.batch_size) == (decoder, batch_size)]
            return {"rate": live[-1].rate, "eval_seconds": 0.0, "job": live[-1].id, "live": True} if live else None

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def running(self) -> int:
        with self._lock:
            return sum(not j.done for j in self._jobs.values())

    # --- actions --------------------------------------------------------------------------
    def submit(self, config: RunConfig) -> Job:
        """Start training ``config``, or return the job that already has it; raise Busy if no slot is free."""
        config.validate()
        job_id = config_key(config)
        with self._lock:
            existing = self._jobs.get(job_id)
            if existing is not None and existing.state not in ("cancelled", "failed", "diverged"):
                self._jobs.move_to_end(job_id)
                return existing
            if sum(not j.done for j in self._jobs.values()) >= self.max_concurrent:
                raise Busy(f"The server is busy: {self.max_concurrent} training run(s) in progress. "
                           "Try again when one finishes, or open a gallery run meanwhile.")
            job = Job(id=job_id, config=config, state="running")
            self._jobs[job_id] = job
            self._jobs.move_to_end(job_id)
        threading.Thread(target=self._work, args=(job,), name=f"train-{job_id}", daemon=True).start()
        return job

    def cancel(self, job_id: str) -> None:
        job = self.get(job_id)
        if job is not None:
            job.cancel.set()

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        deadline = None if timeout is None else time.time() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.done or (deadline is not None and time.time() > deadline):
                return job
            time.sleep(0.05)

    # --- the worker -------------------------------------------------------------------------
    def _work(self, job: Job) -> None:
        trainer, device = self._trainer, None
        if trainer is None:  # train here; a child-process trainer keeps torch out of this process
            from .train_process import train_device
            from .trainer import train as trainer

            device = train_device()  # resolved in the try below: a device this host lacks fails the job

        def on_progress(run: Run, fraction: float) -> None:
            with self._lock:
                job.fraction = fraction
                job.history = {k: list(v) for k, v in run.history.items()}

        def on_step(step: int, fraction: float, phase: str) -> None:
            now = time.time()
            with self._lock:
                job.step, job.fraction, job.phase = step, fraction, phase
                if phase == "training" and job.training_since is None:
                    job.training_since = now
                elif phase == "training" and step:
                    job.rate = step / max(now - job.training_since, 1e-9)
                elif phase == "evaluating" and job.evaluating_since is None:
                    job.evaluating_since = now

        extra = {"on_step": on_step} if _accepts(trainer, "on_step") else {}
        if self.weights_dir is not None and _accepts(trainer, "out"):
            self.weights_dir.mkdir(parents=True, exist_ok=True)
            extra["out"] = self.weights_dir / f"{job.id}.pt"
        try:
            if device is not None:
                from .device import resolve
                from .threads import use
                from .train_process import DEVICE_ENV

                extra["device"] = resolve(device, what=DEVICE_ENV)
                use(job.config.train.threads)  # this worker thread's own count, for the views drawn after it too
            run = trainer(job.config, on_progress=on_progress, stop=job.cancel.is_set, **extra)
            if getattr(run, "views", None) is None and self._describe is not None:
                on_step(job.step, 1.0, "drawing")
                run.views = self._describe(run)
            with self._lock:
                job.run, job.state, job.error = run, run.status, run.reason
                job.history = {k: list(v) for k, v in run.history.items()}
                job.fraction = 1.0 if run.status == "completed" else job.fraction
                self._remember_pace(job, time.time())
        except Exception as exc:  # reported to the user, never swallowed
            with self._lock:
                job.state = "failed"
                job.error = f"{exc.__class__.__name__}: {exc}"
                job.details = traceback.format_exc()
        finally:
            with self._lock:
                job.finished = time.time()
                job.phase = "done"
                self._evict()

    def _remember_pace(self, job: Job, now: float) -> None:
        """Keep a completed run's measured pace for the next estimate (called under the lock); a short run
        does not replace a pace measured over ``PACE_TRUSTED_STEPS`` or more."""
        if job.state != "completed" or not job.rate or job.step < 20:
            return
        key = (job.config.model.decoder, job.config.train.batch_size)
        known = self._paces.get(key)
        if known and known["steps"] >= PACE_TRUSTED_STEPS > job.step:
            return
        eval_seconds = now - job.evaluating_since if job.evaluating_since else 0.0
        self._paces[key] = {"rate": job.rate, "eval_seconds": eval_seconds, "job": job.id, "steps": job.step}

    def _evict(self) -> None:
        """Drop the oldest finished jobs beyond ``max_finished`` (called under the lock)."""
        finished = [j for j in self._jobs.values() if j.done]
        for job in finished[: max(0, len(finished) - self.max_finished)]:
            del self._jobs[job.id]
            if job.run is not None and job.run.checkpoint:
                Path(job.run.checkpoint).unlink(missing_ok=True)


def _accepts(fn, name: str) -> bool:
    """Whether ``fn`` takes keyword ``name``: trainers written before ``on_step`` keep working."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)

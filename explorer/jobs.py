"""A process-wide manager of background training jobs (no Streamlit: testable and reusable).

The app's script thread must never train (a click re-runs the script and would interrupt
it), so training runs in daemon threads owned by one ``JobManager``. It caps concurrent
trainings (a 2-core server cannot share more), de-duplicates identical configurations
(asking twice reuses the run), lets any page re-attach by job id, and keeps at most
``max_finished`` finished runs in memory, evicting the oldest first.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from .config import RunConfig
from .run import Run


def config_key(config: RunConfig) -> str:
    """A short stable id for a configuration: the same settings give the same id."""
    blob = json.dumps(config.to_dict(), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class Job:
    id: str
    config: RunConfig
    state: str = "queued"  # queued, running, completed, cancelled, diverged, failed
    fraction: float = 0.0
    run: Run | None = None
    error: str = ""
    details: str = ""  # the worker's traceback when it failed, for the server log
    started: float = field(default_factory=time.time)
    finished: float | None = None
    history: dict = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.state in ("completed", "cancelled", "diverged", "failed")


class Busy(RuntimeError):
    """All training slots are taken; the message says so in one line."""


class JobManager:
    def __init__(self, max_concurrent: int = 1, max_finished: int = 8, threads_per_job: int | None = None, trainer=None):
        self.max_concurrent = max_concurrent
        self.max_finished = max_finished
        self.threads_per_job = threads_per_job
        self._trainer = trainer
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

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
                    "history": {k: list(v) for k, v in job.history.items()}, "done": job.done}

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
        from .trainer import train

        trainer = self._trainer or train
        if self.threads_per_job:
            torch.set_num_threads(self.threads_per_job)

        def on_progress(run: Run, fraction: float) -> None:
            with self._lock:
                job.fraction = fraction
                job.history = {k: list(v) for k, v in run.history.items()}

        try:
            run = trainer(job.config, on_progress=on_progress, stop=job.cancel.is_set)
            with self._lock:
                job.run, job.state, job.error = run, run.status, run.reason
                job.history = {k: list(v) for k, v in run.history.items()}
                job.fraction = 1.0 if run.status == "completed" else job.fraction
        except Exception as exc:  # reported to the user, never swallowed
            with self._lock:
                job.state = "failed"
                job.error = f"{exc.__class__.__name__}: {exc}"
                job.details = traceback.format_exc()
        finally:
            with self._lock:
                job.finished = time.time()
                self._evict()

    def _evict(self) -> None:
        """Drop the oldest finished jobs beyond ``max_finished`` (called under the lock)."""
        finished = [j for j in self._jobs.values() if j.done]
        for job in finished[: max(0, len(finished) - self.max_finished)]:
            del self._jobs[job.id]

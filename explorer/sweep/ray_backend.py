"""The Ray backend: each run a Ray core task (``num_cpus=1``) executing the local backend's ``run_one``.

Without an address Ray starts a quiet local instance with ``workers`` CPUs; with one it joins a
running cluster (``ray start --head`` elsewhere), and every node writes its runs straight into the
sweep folder, which must therefore be on storage every node sees. Ray re-runs a task whose worker
process or node died (``max_retries``) once while attempts allow; the worker counts that re-run
as an attempt of its own (explorer.sweep.worker.claim). Ray is an optional extra, imported only here.
"""
from __future__ import annotations

import logging
import os
import socket
import time

from .worker import Task

EXTRA = "pip install -r requirements-sweep.txt"


def _ray():
    try:
        import ray
    except ImportError:
        raise ValueError(f"the Ray backend needs the sweep extra, which is not installed: {EXTRA}") from None
    return ray


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes of Ray's own retries, when nothing listens at a plain host:port."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # ray://…, "auto" and the like: Ray's own checks apply
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ValueError(f"no Ray cluster answers at {address} ({exc.__class__.__name__}); start one with "
                         f"`ray start --head` there, or leave out --address for a local instance") from None


def _execute(task: Task) -> dict:
    from .worker import run_one

    return run_one(task)


class RayBackend:
    name = "ray"
    retries_deaths = True  # Ray re-runs the task itself

    def __init__(self, workers: int | None, address: str | None, max_attempts: int):
        self.ray = _ray()
        self.workers, self.address, self.max_attempts = workers, address, max_attempts
        self.startup_seconds = 0.0

    def start(self) -> None:
        """Start or join Ray (before the engine writes anything); ValueError (one line) when it cannot."""
        clock = time.perf_counter()
        if self.address:
            _reachable(self.address)
        quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
        env = {"env_vars": {"OMP_NUM_THREADS": "1"}}
        try:
            if self.address:
                self.ray.init(address=self.address, runtime_env=env, **quiet)
            else:
                self.ray.init(num_cpus=self.workers, runtime_env=env, include_dashboard=False, **quiet)
        except Exception as exc:  # ConnectionError, a timeout, a version mismatch with the cluster …
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            hint = ""
            if self.address and os.environ.get("RAY_AUTH_MODE") is None:
                hint = " (a cluster from `ray start` uses token authentication: set RAY_AUTH_MODE=token, docs/sweeps.md)"
            raise ValueError(f"could not start or join {where}: {exc.__class__.__name__}: {first}{hint}") from None
        self.startup_seconds = time.perf_counter() - clock

    def run(self, tasks: list[Task], done, tick) -> None:
        """Submit ``tasks`` (at most ``workers`` in flight when that is set) and report each as it ends, as the
        local backend does (``seconds`` counts from submission: a task queued by the cluster waits in it)."""
        ray = self.ray
        remote = ray.remote(num_cpus=1)(_execute)
        queue, running = list(tasks), {}
        try:
            while queue or running:
                while queue and (self.workers is None or len(running) < self.workers):
                    task = queue.pop(0)
                    retries = 1 if task.attempt < self.max_attempts else 0
                    ref = remote.options(max_retries=retries, retry_exceptions=False).remote(task)
                    running[ref] = (task, time.perf_counter())
                ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
                for ref in ready:
                    task, began = running.pop(ref)
                    try:
                        ray.get(ref)
                        died = None
                    except Exception as exc:  # WorkerCrashedError, NodeDiedError, OutOfMemoryError …
                        died = f"worker died: {exc.__class__.__name__}"
                    again = done(task, died, time.perf_counter() - began)
                    if again is not None:
                        queue.insert(0, again)
                tick(len(running))
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            ray.shutdown()

"""The local backend: one spawned process per run, at most ``workers`` at once, watched by exit code.

Not a ProcessPoolExecutor: a worker killed there breaks the whole pool, while here a killed
process loses only its own run, which the engine records as failed and may retry. Spawned
(not forked) processes start clean, so no lock or thread of the parent leaks into a worker.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from collections import deque
from multiprocessing.connection import wait

from .worker import Task

#: How often the engine's tick runs while every worker is busy (the progress line's clock).
TICK_SECONDS = 1.0


def _child(task: Task) -> None:
    import os
    import signal

    os.environ["OMP_NUM_THREADS"] = "1"  # before torch is imported in this process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the engine ends its workers
    from .worker import run_one

    run_one(task)


def death(exitcode: int | None) -> str | None:
    """The one-line reason a worker ended without its result, or None when it exited normally."""
    if exitcode == 0:
        return None
    if exitcode is not None and exitcode < 0:
        return f"worker died: signal {-exitcode}"
    return f"worker died: exit code {exitcode}"


class LocalBackend:
    name = "local"
    retries_deaths = False  # the engine re-queues a run whose worker died
    startup_seconds = 0.0

    def start(self) -> None:
        """Nothing to start: a worker process is spawned per run."""

    def __init__(self, workers: int, on_start=None):
        self.workers = workers
        self.on_start = on_start  # on_start(task, pid): lets a caller (a test, a monitor) see each worker

    def run(self, tasks: list[Task], done, tick) -> None:
        """Run ``tasks``; ``done(task, died, seconds)`` -> a Task to run again, or None (``died``: a one-line
        reason when the worker ended without its result; ``seconds``: the run's wall time, start-up included);
        ``tick(running)`` about every second."""
        ctx = mp.get_context("spawn")
        queue, running = deque(tasks), {}
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    task = queue.popleft()
                    proc = ctx.Process(target=_child, args=(task,), name=f"sweep-{task.key}", daemon=True)
                    proc.start()
                    running[proc.sentinel] = (proc, task, time.perf_counter())
                    if self.on_start is not None:
                        self.on_start(task, proc.pid)
                for sentinel in wait(list(running), timeout=TICK_SECONDS):
                    proc, task, began = running.pop(sentinel)
                    proc.join()
                    again = done(task, death(proc.exitcode), time.perf_counter() - began)
                    if again is not None:
                        queue.appendleft(again)
                tick(len(running))
        finally:
            _stop(proc for proc, _, _ in running.values())


def _stop(procs) -> None:
    """End the workers still running (the sweep was interrupted): SIGTERM, then SIGKILL after a grace."""
    procs = list(procs)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive() and proc.pid is not None:
            proc.kill()
            proc.join()


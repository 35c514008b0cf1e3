"""The local backend: one fresh Python process per run, at most ``workers`` at once, watched by exit code.

Not a ProcessPoolExecutor: a worker killed there breaks the whole pool, while here a killed
process loses only its own run, which the engine records as failed and may retry. Each worker is
a new interpreter (``python -c``) that reads its task from stdin, so nothing of the parent leaks
into it: no lock, no thread, and not the parent's ``__main__`` (multiprocessing's spawn re-imports
that, which fails when the parent is, say, a Streamlit or test runner script). A worker ends with the
engine, however the engine ends (explorer.sweep.lifetime); on Linux the kernel signals it when the thread
that started it ends, which is the thread running the sweep, alive until every worker has ended.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from .lifetime import PARENT, die_with_parent
from .worker import LEFT, Task

#: How often the engine's tick runs while every worker is busy (the progress line's clock).
TICK_SECONDS = 1.0
#: How often finished workers are looked for.
POLL_SECONDS = 0.1
_ROOT = Path(__file__).resolve().parents[2]
_CHILD = "from explorer.sweep.local import child_main; child_main()"
#: A worker's exit code when it trained nothing because another live process owns its run.
LEFT_EXIT = 75


def child_main() -> None:
    """A worker: one task from stdin, Ctrl-C left to the engine (it reaches the whole process group)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(int(os.environ[PARENT]))
    from .worker import run_one

    if run_one(pickle.load(sys.stdin.buffer))["status"] == LEFT:
        sys.exit(LEFT_EXIT)


def _spawn(task: Task) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", PARENT: str(os.getpid()),  # before torch is imported in the worker
           "PYTHONPATH": os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, env=env)
    proc.stdin.write(pickle.dumps(task))
    proc.stdin.close()
    return proc


def death(exitcode: int | None) -> str | None:
    """The one-line reason a worker ended without its result, or None when it exited normally (LEFT when it
    left its run to another live process)."""
    if exitcode == 0:
        return None
    if exitcode == LEFT_EXIT:
        return LEFT
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
        queue, running = deque(tasks), {}
        last_tick = 0.0
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    task = queue.popleft()
                    proc = _spawn(task)
                    running[proc.pid] = (proc, task, time.perf_counter())
                    if self.on_start is not None:
                        self.on_start(task, proc.pid)
                for pid in [pid for pid, (proc, _, _) in running.items() if proc.poll() is not None]:
                    proc, task, began = running.pop(pid)
                    again = done(task, death(proc.returncode), time.perf_counter() - began)
                    if again is not None:
                        queue.appendleft(again)
                if time.perf_counter() - last_tick >= TICK_SECONDS:
                    tick(len(running))
                    last_tick = time.perf_counter()
                time.sleep(POLL_SECONDS)
        finally:
            _stop(proc for proc, _, _ in running.values())


def _stop(procs) -> None:
    """End the workers still running (the sweep was interrupted): SIGTERM, then SIGKILL after a grace."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


"""Run a sweep: validate the whole grid, plan against the folder, dispatch, and keep the books.

The engine alone writes ``sweep.json``, ``results.csv`` (after every run that ends, and at the end)
and the ``failed`` record of a run whose worker died; workers write their own run folders. One
engine at a time may write a folder (a lock file), so two calls cannot train the same run twice.
"""
from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .files import MARKER, RESULT, SWEEP, read_json, remove_temporaries, write_json
from .folder import read_results
from .grid import Grid
from .options import Options
from .plan import FINAL, clear, complete_swept, make_plan
from .progress import Progress
from .table import write_table
from .worker import Task, record

LOCK = ".lock"


@dataclass
class Summary:
    runs: int                   # runs in this call's grid
    trained: int                # runs dispatched by this call
    completed: int
    diverged: int
    failed: int
    seconds: float              # wall time of the call
    startup_seconds: float      # the backend's (Ray's start-up; 0 locally)
    out: Path

    def line(self) -> str:
        return (f"sweep {self.out}: {self.runs} runs: {self.completed} completed, {self.diverged} diverged, "
                f"{self.failed} failed; {self.trained} trained by this call in {self.seconds:.1f} s; "
                f"table {self.out / 'results.csv'}")


def make_backend(options: Options):
    if options.backend == "ray":
        from .ray_backend import RayBackend

        return RayBackend(options.workers, options.address, options.max_attempts)
    from .local import LocalBackend

    return LocalBackend(options.workers)


def run_sweep(grid: Grid, options: Options, backend=None, stream=None) -> Summary:
    """Train every run of ``grid`` not yet done in ``options.out``; ValueError (one line) before anything
    trains if any run of the grid cannot. ``backend`` replaces the one ``options`` names (tests, benchmarks)."""
    start = time.perf_counter()
    options = options.validated()
    out = options.out
    grid.points()  # every config validated before the folder is touched
    backend = backend if backend is not None else make_backend(options)
    fresh = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    with _Lock(out / LOCK):
        try:
            plan = make_plan(grid, out, options)
            if plan.tasks:
                backend.start()
        except ValueError:
            if fresh:  # a failed start leaves no empty sweep folder behind
                (out / LOCK).unlink(missing_ok=True)
                out.rmdir()
            raise
        write_json(out / SWEEP, plan.sweep)
        complete_swept(out, plan.sweep["axes"])
        stream = stream if stream is not None else sys.stderr
        if plan.duplicates:
            print(f"sweep: {plan.duplicates} grid points name a run already in the grid (settings that do "
                  f"nothing with the others); each is trained once", file=stream)
        try:
            if plan.tasks:
                _dispatch(plan.tasks, plan.sweep["axes"], out, backend, options.max_attempts,
                          Progress(len(plan.tasks), options.workers, stream))
        finally:  # interrupted or not, the table shows every run that ended
            write_table(out, plan.sweep["axes"])
    status = {r["key"]: r.get("status") for r in read_results(out)}
    counts = [status.get(k) for k in plan.keys]
    return Summary(len(plan.keys), len(plan.tasks), counts.count("completed"), counts.count("diverged"),
                   sum(s not in FINAL for s in counts), time.perf_counter() - start,
                   backend.startup_seconds, out)


def _dispatch(tasks: list[Task], axes: dict, out: Path, backend, max_attempts: int, progress: Progress) -> None:
    retried: set[str] = set()
    for task in tasks:
        clear(out / task.key)

    def done(task: Task, died: str | None, seconds: float) -> Task | None:
        folder = out / task.key
        result = read_json(folder / RESULT)
        if died is None and result is None:
            died = "worker ended without writing its result"
        if died is not None:
            attempt = _record_death(task, folder, died)
            if not backend.retries_deaths and attempt < max_attempts and task.key not in retried:
                retried.add(task.key)
                again = replace(task, attempt=attempt + 1, dispatch=secrets.token_hex(6))
                write_table(out, axes)
                return again
            result = read_json(folder / RESULT)
        (folder / MARKER).unlink(missing_ok=True)
        progress.finished(bool(result) and result.get("status") in FINAL, seconds)
        write_table(out, axes)
        return None

    def tick(running: int) -> None:
        progress.running = running
        progress.show()

    try:
        backend.run(tasks, done, tick)
    finally:
        progress.close()


def _record_death(task: Task, folder: Path, reason: str) -> int:
    """Write the failed record of a run whose worker died; return the attempt it was."""
    note = read_json(folder / MARKER) or {}
    attempt = task.attempt
    if note.get("dispatch") == task.dispatch:
        attempt = max(attempt, int(note.get("attempt", 0)))
    host = {"hostname": note.get("host"), "backend": task.backend}
    write_json(folder / RESULT, record(task, attempt, "failed", reason, host=host))
    (folder / MARKER).unlink(missing_ok=True)
    remove_temporaries(folder)
    return attempt


class _Lock:
    """An exclusive lock on the folder for the engine's lifetime (released by the OS if the engine dies)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.file = open(self.path, "a")
        try:
            import fcntl

            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock, as before
            pass
        except OSError:
            self.file.close()
            raise ValueError(f"another sweep is writing {self.path.parent}; wait for it or use another --out") from None
        return self

    def __exit__(self, *exc):
        self.file.close()

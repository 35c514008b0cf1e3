"""Run a sweep: validate the whole grid, plan against the folder, dispatch, and keep the books.

The engine alone writes ``sweep.json``, ``results.csv`` (after every run that ends, and at the end)
and the ``failed`` record of a run whose worker died; workers write their own run folders. One
engine at a time may write a folder (a lock file) and one worker at a time a run folder (its own lock),
so no run is trained twice at once. SIGTERM unwinds like Ctrl-C: workers stopped, results.csv written.
"""
from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..outputs import os_reason
from .files import FINAL, MARKER, RESULT, SWEEP, read_json, remove_temporaries, write_json
from .folder import read_results, run_state, set_aside
from .grid import Grid
from .lifetime import Terminated, arm_sigterm, sigterm_unwinds, terminated
from .lock import LOCK, FolderLock, Held
from .options import Options
from .plan import clear, complete_swept, make_plan
from .progress import Progress
from .table import write_table
from .worker import LEFT, Task, record


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
    left: int = 0               # runs left to another live process that is training them

    def line(self) -> str:
        left = f", {self.left} left to another process still training them" if self.left else ""
        return (f"sweep {self.out}: {self.runs} runs: {self.completed} completed, {self.diverged} diverged, "
                f"{self.failed} failed{left}; {self.trained} trained by this call in {self.seconds:.1f} s; "
                f"table {self.out / 'results.csv'}")


def make_backend(options: Options):
    if options.backend == "ray":
        from .ray_backend import RayBackend

        return RayBackend(options.workers, options.address, options.max_attempts, options.device)
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
    stream = stream if stream is not None else sys.stderr
    fresh = not out.exists()
    with sigterm_unwinds(), _writable(out) as lock:
        try:
            plan = make_plan(grid, out, options)
            if plan.tasks:
                backend.start()
                arm_sigterm()  # ray.init installs its own handler
        except ValueError:
            if fresh:  # a failed start leaves no empty sweep folder behind
                lock.release()
                out.rmdir()
            raise
        write_json(out / SWEEP, plan.sweep)
        complete_swept(out, plan.sweep["axes"])
        if plan.duplicates:
            print(f"sweep: {plan.duplicates} grid points name a run already in the grid (settings that do "
                  f"nothing with the others); each is trained once", file=stream)
        for line in plan.notes:
            print(f"sweep: {line}", file=stream)
        left = set(plan.busy)
        try:
            if plan.tasks:
                _dispatch(plan.tasks, plan.sweep["axes"], out, backend, options.max_attempts,
                          Progress(len(plan.tasks), options.workers, stream), left, stream)
        except SystemExit:
            if terminated() is None:
                raise
            print(f"sweep: terminated (SIGTERM): its workers are stopped, results.csv is written; the same command "
                  f"resumes {out}", file=stream)
            raise Terminated(terminated()) from None
        finally:  # interrupted or not, the table shows every run that ended
            write_table(out, plan.sweep["axes"])
    status = {r["key"]: r.get("status") for r in read_results(out)}
    counts = [status.get(k) for k in plan.keys if k not in left]
    return Summary(len(plan.keys), len(plan.tasks), counts.count("completed"), counts.count("diverged"),
                   sum(s not in FINAL for s in counts), time.perf_counter() - start,
                   backend.startup_seconds, out, len(left))


def _dispatch(tasks: list[Task], axes: dict, out: Path, backend, max_attempts: int, progress: Progress,
              left: set[str], stream) -> None:
    retried: set[str] = set()
    for task in tasks:
        clear(out / task.key)

    def done(task: Task, died: str | None, seconds: float) -> Task | None:
        folder = out / task.key
        if died == LEFT:
            left.add(task.key)
            print(f"sweep: run {task.key} is being trained by another live process; left to it", file=stream)
            progress.skipped()
            return None
        result = read_json(folder / RESULT)
        if died is None and result is None:
            died = "worker ended without writing its result"
        trusted, damaged = run_state(folder)
        if died is not None and trusted and trusted.get("status") in FINAL and not damaged:
            died = None  # it died after writing a whole result: that result stands
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
    damaged = run_state(folder)[1]
    if damaged:  # it died before it set them aside itself
        set_aside(folder, damaged)
    write_json(folder / RESULT, record(task, attempt, "failed", reason, host=host))
    (folder / MARKER).unlink(missing_ok=True)
    remove_temporaries(folder)
    return attempt


class _writable:
    """Create ``out`` and hold its lock for the engine's lifetime (released by the OS if the engine dies);
    ValueError (one line) when it cannot be written or another engine holds it."""

    def __init__(self, out: Path):
        self.out, self.lock = out, None

    def __enter__(self) -> "_writable":
        out = self.out
        try:
            out.mkdir(parents=True, exist_ok=True)
            self.lock = FolderLock(out / LOCK).__enter__()
        except Held:
            raise ValueError(f"another sweep is writing {out}; wait for it to end, or use another --out") from None
        except OSError as exc:  # the folder changed since options.validated() checked it
            raise ValueError(f"--out {out} cannot be written: {os_reason(exc)}") from None
        return self

    def release(self) -> None:
        """Drop the lock and its file (before a failed start removes the folder it made)."""
        (self.out / LOCK).unlink(missing_ok=True)
        self.lock.__exit__(None, None, None)

    def __exit__(self, *exc) -> None:
        self.lock.__exit__(*exc)

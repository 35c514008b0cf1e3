"""The sweep's one-line progress display on stderr: runs done, failed and remaining, and an ETA.

The ETA is the mean wall seconds of the runs finished so far times the runs left, shared across the
workers: rough while few runs have finished, and it knows nothing of runs of different sizes. On a
terminal the line is redrawn in place; into a file or a pipe it is written once per finished run.
"""
from __future__ import annotations

import sys
import time


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int, workers: int | None, stream=None):
        self.total, self.workers = total, workers
        self.stream = stream if stream is not None else sys.stderr
        self.done = self.failed = self.running = 0
        self.seconds: list[float] = []
        self.start = time.perf_counter()
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed

    def eta(self) -> float | None:
        if not self.seconds:
            return None
        parallel = max(1, min(self.workers or self.remaining, self.remaining))
        return sum(self.seconds) / len(self.seconds) * self.remaining / parallel

    def finished(self, ok: bool, seconds: float) -> None:
        """One run ended for good (a run that will be retried at once has not)."""
        self.done += ok
        self.failed += not ok
        self.running = max(0, self.running - 1)
        self.seconds.append(seconds)
        self.show(force=True)

    def skipped(self) -> None:
        """A run left to another process: no longer this call's to train."""
        self.total -= 1
        self.running = max(0, self.running - 1)
        self.show(force=True)

    def line(self) -> str:
        per_run = f"{sum(self.seconds) / len(self.seconds):.1f} s per run" if self.seconds else "first runs training"
        return (f"sweep: {self.done} done, {self.failed} failed, {self.remaining} remaining "
                f"({self.running} running), {per_run}, elapsed {clock(time.perf_counter() - self.start)}, "
                f"ETA {clock(self.eta())}")

    def show(self, force: bool = False) -> None:
        if self.live:
            print("\r" + self.line() + "\033[K", end="", file=self.stream, flush=True)
        elif force:
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            print(file=self.stream, flush=True)

"""The CLI's one-line progress bar: ``train`` redraws it at each history point."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, width: int = 30):
        self.width, self.start = width, time.perf_counter()

    def __call__(self, run, fraction: float) -> None:
        filled = int(self.width * fraction)
        parts = [f"step {run.last('step')}", f"KL {run.last('eval_kl'):.2f}", f"AU {run.last('active_units')}"]
        if run.last("mig") is not None:
            parts.append(f"MIG {run.last('mig'):.3f}")
        if run.last("recon") is not None:
            parts.append(f"recon {run.last('recon'):.1f}")
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {time.perf_counter() - self.start:5.0f}s  " + "  ".join(parts)
        print(line, end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr)

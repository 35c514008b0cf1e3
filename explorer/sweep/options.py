"""The ``sweep`` command's flags: the grid's (explorer.sweep.grid) and the engine's own."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from ..device import add_flag as add_device_flag
from ..outputs import writable_folder
from ..protocols import FRESH
from .grid import add_grid_flags

BACKENDS = ("local", "ray")
KEEP_WEIGHTS = ("all", "none", "first-seed")
#: Below this a run's MIG and mutual information are too noisy to compare: smoke tests only.
MIN_EVAL_N = 100


def cpu_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Options:
    out: Path
    backend: str = "local"
    workers: int | None = None   # None: every core here; on a Ray cluster, as many as the cluster schedules
    max_attempts: int = 2
    keep_weights: str = "all"
    eval_n: int = FRESH.samples
    address: str | None = None
    device: str = "auto"         # explorer.device; validated() resolves it where the workers run (see sweep_device)

    def validated(self) -> "Options":
        """These options with the worker count resolved; ValueError (one line) for ones that cannot work."""
        checks = [
            (self.backend in BACKENDS, f"--backend must be one of {', '.join(BACKENDS)}"),
            (self.keep_weights in KEEP_WEIGHTS, f"--keep-weights must be one of {', '.join(KEEP_WEIGHTS)}"),
            (self.workers is None or self.workers >= 1, "--workers must be at least 1"),
            (self.max_attempts >= 1, "--max-attempts must be at least 1"),
            (self.eval_n >= MIN_EVAL_N, f"--eval-n must be at least {MIN_EVAL_N}"),
            (self.address is None or self.backend == "ray", "--address joins a Ray cluster: give --backend ray too"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        device = sweep_device(self.device, self.backend, self.address)
        writable_folder(Path(self.out))  # a file, a path under one, read-only, /proc: one line before anything
        workers = self.workers
        if workers is None and not (self.backend == "ray" and self.address):
            workers = cpu_cores()
        return Options(Path(self.out).resolve(), self.backend, workers, self.max_attempts, self.keep_weights,
                       self.eval_n, self.address, device)


def sweep_device(name: str, backend: str, address: str | None) -> str:
    """The device name every task of a sweep gets; ValueError (one line) when it cannot work.

    On this machine (the local backend, a local Ray instance) it is resolved here, so ``cuda`` without a GPU
    is refused before anything trains; a local worker keeps ``cuda:N``. Ray assigns each task its GPU, so
    with Ray it is ``cuda`` (``cuda:N`` is refused); joining a cluster (``--address``), ``auto`` and
    ``cuda`` are left to the Ray backend, which asks the cluster for its GPUs (ray_backend.RayBackend.start).
    """
    from ..device import check_name, resolve

    text = check_name(name)
    if backend == "ray" and text.startswith("cuda:"):
        raise ValueError(f"--device {text} names a GPU of this machine; with --backend ray give --device cuda "
                         f"(Ray hands each task its GPU)")
    if backend == "ray" and address:
        return text
    device = resolve(text)
    if device.type == "cpu" or backend == "ray":
        return device.type
    return str(device)


def add_sweep_flags(parser: argparse.ArgumentParser) -> None:
    """Every ``train`` flag as a comma list, ``--seeds``, and where and how the runs execute."""
    add_grid_flags(parser)
    parser.add_argument("--out", type=Path, required=True, help="the sweep folder (docs/sweeps.md); calling again "
                        "resumes it, and a grid that extends it trains only the new runs")
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help="local: a process per run on this machine; ray: Ray tasks (pip install -r "
                        "requirements-sweep.txt) on a local instance or the cluster at --address (default: local)")
    parser.add_argument("--address", default=None, help="join this Ray cluster (host:6379, started with `ray start "
                        "--head`); the --out folder must be on storage every node sees")
    parser.add_argument("--workers", type=int, default=None,
                        help="runs at once, one core each (default: this machine's cores; with --address, the cluster's)")
    parser.add_argument("--max-attempts", type=int, default=2, help="tries per run before it stays failed; a run whose "
                        "worker died is retried at once, a failed run on the next call (default: 2)")
    parser.add_argument("--keep-weights", choices=KEEP_WEIGHTS, default="all",
                        help="which runs keep checkpoint.pt: all, none, or only the smallest seed of each other "
                        "combination (default: all)")
    add_device_flag(parser, "each run trains and is scored (the local workers share one GPU, Ray tasks an even share of "
                            "the GPUs it sees; docs/cli.md)")
    parser.add_argument("--eval-n", type=int, default=FRESH.samples,
                        help=f"images in each run's fresh scoring sample, seed 1000 + the run's seed (default: "
                        f"{FRESH.samples}, explorer.protocols.FRESH; fewer only for smoke tests)")


def options_from_args(args: argparse.Namespace) -> Options:
    return Options(args.out, args.backend, args.workers, args.max_attempts, args.keep_weights, args.eval_n,
                   args.address, args.device).validated()

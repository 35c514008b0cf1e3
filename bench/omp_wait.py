"""How many threads should a training compute with, and how should they wait? Alone, two at once, beside other work.

Run: ``python -m bench.omp_wait [--repeats 2] [--alone-steps 800] [--pair-steps 200]``.
torch's CPU kernels run on libgomp threads that meet at a barrier after each parallel region. How a
thread waits there decides what happens when the cores are shared: spinning is fastest when every
thread has a core, and a disaster when a peer has been preempted (the spinner burns the slice the
peer needs); sleeping at once (``OMP_WAIT_POLICY=PASSIVE``) is the reverse. ``GOMP_SPINCOUNT`` spins
that many iterations before sleeping. A training on one thread (``--threads 1``, the default since
issue 25) meets no barrier at all. For each variant: ``python -m explorer train`` alone (the trainer's
own clock for ``--alone-steps``), then two of the same at once with different seeds (``--pair-steps``
each: a second training or a sweep), and one beside two processes that keep a core busy each
(``--pair-steps``: other work on the host, load 4 where the cores are 2). Variants alternate within each
repeat so a change in the host's load hits them all. The wait policy does not change the weights; the
thread count does (it is one of the run's settings).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import contextmanager

from .common import cli_training, publish, row, to_markdown

#: name -> (environment, train flags); each environment starts from the host's without either wait variable.
#: libgomp's own default is named explicitly (its documented spin count without OMP_WAIT_POLICY): with neither
#: variable set, the CLI applies the explorer's short spin (explorer.omp).
VARIANTS = {"one thread, --threads 1 (the default)": ({"GOMP_SPINCOUNT": "1000"}, []),
            "two threads, GOMP_SPINCOUNT=1000": ({"GOMP_SPINCOUNT": "1000"}, ["--threads", "2"]),
            "two threads, OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, ["--threads", "2"]),
            "two threads, libgomp's default spin (the CLI before issue 25)": ({"GOMP_SPINCOUNT": "300000"},
                                                                              ["--threads", "2"])}
#: the variant the others' pace alone is compared with
BASELINE = "two threads, libgomp's default spin (the CLI before issue 25)"


def _env(policy: dict) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    return {**base, **policy}


def train_seconds(variant: tuple[dict, list[str]], steps: int, seeds: list[int]) -> list[float]:
    """The training seconds each of ``len(seeds)`` simultaneous ``explorer train`` runs reports."""
    policy, flags = variant
    with tempfile.TemporaryDirectory() as tmp:
        procs = [subprocess.Popen([sys.executable, "-m", "explorer", "train", "--quiet", "--steps", str(steps),
                                   "--seed", str(s), "--out", os.path.join(tmp, f"{s}.pt"), *flags],
                                  env=_env(policy), stdout=subprocess.PIPE, text=True) for s in seeds]
        outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a training failed: {[out[-200:] for out in outs]!r}")
    return [cli_training(out)[1] for out in outs]


#: A neighbour that keeps one core busy and holds no lock torch could wait on.
_BUSY_LOOP = "while True: pass"


@contextmanager
def busy_neighbours(n: int = 2):
    """``n`` processes computing for the length of the block (another user's work on a shared host)."""
    procs = [subprocess.Popen([sys.executable, "-c", _BUSY_LOOP]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--alone-steps", type=int, default=800)
    parser.add_argument("--pair-steps", type=int, default=200)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    alone = {name: [] for name in VARIANTS}
    pair = {name: [] for name in VARIANTS}
    busy = {name: [] for name in VARIANTS}
    for i in range(args.repeats):
        for name, variant in VARIANTS.items():
            alone[name] += train_seconds(variant, args.alone_steps, [3])
            pair[name].append(max(train_seconds(variant, args.pair_steps, [1, 2])))
            with busy_neighbours():
                busy[name] += train_seconds(variant, args.pair_steps, [4])
            print(f"repeat {i + 1}, {name}: alone {alone[name][-1]:.1f} s, pair {pair[name][-1]:.1f} s, "
                  f"beside two busy processes {busy[name][-1]:.1f} s", flush=True)
    per_step = {name: statistics.median(alone[name]) / args.alone_steps for name in VARIANTS}
    fastest = min(per_step, key=per_step.get)
    rows = []
    for name in VARIANTS:
        a, p, b = statistics.median(alone[name]), statistics.median(pair[name]), statistics.median(busy[name])
        rows += [row(f"{name}: alone, {args.alone_steps} steps", f"{a:.1f} s ({args.alone_steps / a:.1f} steps/s)",
                     f"median of {args.repeats}; against {BASELINE} alone", per_step[BASELINE] / per_step[name]),
                 row(f"{name}: two at once, {args.pair_steps} steps each", f"{p:.1f} s (the slower of the two)",
                     f"median of {args.repeats}; per step against this variant alone (against the fastest alone: "
                     f"{p / args.pair_steps / per_step[fastest]:.2f})", p / args.pair_steps / per_step[name]),
                 row(f"{name}: beside two busy processes, {args.pair_steps} steps", f"{b:.1f} s",
                     f"median of {args.repeats}; per step against this variant alone (against the fastest alone: "
                     f"{b / args.pair_steps / per_step[fastest]:.2f})", b / args.pair_steps / per_step[name])]
    detail = "  \n".join(f"{name}: alone {', '.join(f'{s:.1f}' for s in alone[name])} s; two at once "
                         f"{', '.join(f'{s:.1f}' for s in pair[name])} s; beside two busy processes "
                         f"{', '.join(f'{s:.1f}' for s in busy[name])} s" for name in VARIANTS)
    body = (f"Load average at the start: {load:.2f}. The fastest alone: {fastest}.\n\n"
            + to_markdown(rows) + "\n\nRatios: alone, the baseline's seconds per step over this variant's (above 1 is "
            "faster); two at once and beside two busy processes, seconds per step against the same variant alone "
            "(for two threads, 2 is a fair share of the cores; one thread beside two busy processes gets two thirds "
            "of a core, 1.5).\n\n" + detail)
    publish("omp_wait", "Threads and OpenMP waits: a training alone, two at once, and beside other work",
            "bench.omp_wait", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

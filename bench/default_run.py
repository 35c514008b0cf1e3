"""The default short run's goal: MIG over seeds nobody tuned on, the old default beside the new one.

Run: ``python -m bench.default_run [--seeds 100,101,102,103,104] [--steps N] [--variant NAME=FLAGS ...]``.
Each variant is a sweep (``python -m explorer sweep``: one process and one thread per run, two at
a time, scored on ``FRESH``: 10,000 fresh images drawn with seed 1000 + the run's seed), all in
one invocation so their seconds are measured under the same load; the step budget makes the
metrics the same on any host. Reported per variant and seed: MIG, each factor's gap, informative
units, steps and training seconds; then the median and the worst seed against the goal (median
MIG ≥ 0.35, no seed below 0.25). ``--keep DIR`` keeps the sweep folders (for the Sweep page).
"""
from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from explorer.config import FACTOR_NAMES, TrainConfig

from .common import publish

#: Before this issue's change of default: the plain β-VAE recipe (no total-correlation term) on its 1,600 steps.
OLD_DEFAULT = ["--tc-weight", "0", "--steps", "1600"]
GOAL_MEDIAN, GOAL_FLOOR = 0.35, 0.25
SEEDS = "100,101,102,103,104"


def sweep(flags: list[str], seeds: str, steps: int, out: Path, workers: int) -> list[dict]:
    """Run one variant as a sweep into ``out`` (resumes if it is there) and read its table."""
    # the variant's own flags come last, so a variant may name its own --steps (an old default's budget)
    subprocess.run([sys.executable, "-m", "explorer", "sweep", "--steps", str(steps), *flags, "--seeds", seeds,
                    "--out", str(out), "--workers", str(workers), "--keep-weights", "none"], check=True)
    with open(out / "results.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if r["status"] == "completed"]


def table(name: str, flags: list[str], rows: list[dict]) -> str:
    head = "| seed | MIG | " + " | ".join(f"gap {f}" for f in FACTOR_NAMES) + " | informative units | steps | seconds |"
    lines = [f"### {name}: `{' '.join(flags) or '(the defaults)'}`", "", head, "|" + "---|" * (5 + len(FACTOR_NAMES))]
    for r in sorted(rows, key=lambda r: int(r["seed"])):
        gaps = " | ".join(f"{float(r[f'mig_gap_{f}']):.3f}" for f in FACTOR_NAMES)
        lines.append(f"| {r['seed']} | {float(r['mig']):.3f} | {gaps} | {r['informative_units']} | {r['steps']} | "
                     f"{float(r['train_seconds']):.0f} |")
    migs = [float(r["mig"]) for r in rows]
    summary = {"median": statistics.median(migs), "min": min(migs), "max": max(migs), "n": len(migs),
               "gap_medians": {f: statistics.median(float(r[f"mig_gap_{f}"]) for r in rows) for f in FACTOR_NAMES}}
    met = summary["median"] >= GOAL_MEDIAN and summary["min"] >= GOAL_FLOOR
    lines += ["", f"MIG median **{summary['median']:.3f}** (min {summary['min']:.3f}, max {summary['max']:.3f}) over "
              f"{len(migs)} seeds; goal (median ≥ {GOAL_MEDIAN}, none below {GOAL_FLOOR}): "
              f"{'**met**' if met else '**not met**'}. Median gap per factor: "
              + ", ".join(f"{f} {g:.3f}" for f, g in summary["gap_medians"].items()) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=SEEDS)
    parser.add_argument("--steps", type=int, default=TrainConfig().steps, help="default: the default step budget")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=FLAGS (sweep flags, space-separated); default: old and new default")
    parser.add_argument("--keep", type=Path, help="keep the sweep folders here")
    args = parser.parse_args(argv)
    variants = [v.split("=", 1) for v in args.variant] or [["old default", " ".join(OLD_DEFAULT)], ["new default", ""]]
    sections = []
    with tempfile.TemporaryDirectory(prefix="default-run-") as tmp:
        root = args.keep or Path(tmp)
        for i, (name, text) in enumerate(variants):
            flags = text.split()
            rows = sweep(flags, args.seeds, args.steps, root / f"variant{i}", args.workers)
            section = table(name, flags, rows)
            print(section, flush=True)
            sections.append(section)
    name = "default_run" + ("" if args.steps == TrainConfig().steps else f"_{args.steps}_steps") \
        + ("" if args.seeds == SEEDS else "_seeds_" + args.seeds.split(",")[0])
    publish(name, "The default short run: MIG over five untuned seeds", "bench.default_run", argv,
            f"{args.steps:,} steps per run, seeds {args.seeds}, {args.workers} runs at a time on one thread each.\n\n"
            + "\n\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

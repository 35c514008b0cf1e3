"""Does the default keep its code when the budget is small? Informative units at 100 to 800 steps.

Run: ``python -m bench.short_budget [--budgets 100,200,400,800] [--seeds 100,...] [-- train flags]``.
A first-time user may pick the smallest budget on the Train page, or cancel a run early: the
code must not be lost either way (informative units ≥ 3: position and one more factor). Each run
is scored on its fresh 10,000-image sample (``bench.common.score_fresh``); one thread, step budgets,
so the numbers do not depend on the host's load.
"""
from __future__ import annotations

import argparse

import torch

from explorer.metrics import seed_summary

from .common import publish
from .screen import score_flags

MIN_INFORMATIVE = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="100,200,400,800")
    parser.add_argument("--seeds", default="100,101,102,103,104")
    parser.add_argument("--name", default="short_budget", help="results file: bench/results/NAME.md")
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="-- then explorer train flags")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    flags = args.flags[1:] if args.flags[:1] == ["--"] else args.flags
    seeds = [int(s) for s in args.seeds.split(",")]
    lines = ["| steps | " + " | ".join(f"seed {s}" for s in seeds) + " | fewest | MIG median |",
             "|---|" + "---|" * (len(seeds) + 2)]
    for steps in (int(b) for b in args.budgets.split(",")):
        scores = [score_flags(flags, steps, seed) for seed in seeds]
        units = [s["informative_units"] for s in scores]
        median = seed_summary([s["mig"] for s in scores])["median"]
        lines.append(f"| {steps} | " + " | ".join(f"{u} (KL {s['kl']:.1f})" for u, s in zip(units, scores))
                     + f" | {min(units)}{'' if min(units) >= MIN_INFORMATIVE else ' **lost**'} | "
                       f"{median:.3f} |")
        print(lines[-1], flush=True)
    publish(args.name, "Informative units of short budgets", "bench.short_budget", argv,
            f"Flags: `{' '.join(flags) or '(the defaults)'}`. Each cell: informative units (and KL in nats) on "
            f"the run's fresh 10,000 images; 'lost' when a seed keeps fewer than {MIN_INFORMATIVE}.\n\n"
            + "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

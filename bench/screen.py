"""Screen a training configuration: MIG over seeds under a fixed step budget, on fresh samples.

Run: ``python -m bench.screen --steps 2800 --seeds 3 -- --batch-size 16 --warmup-fraction 0.1``.
Everything after ``--`` is ``python -m explorer train`` flags (the rest at their defaults). A
step budget makes the result independent of machine load, so screens can run side by side
(``OMP_NUM_THREADS=1``, one seed per process with ``--first-seed``). Each run is scored on a
fresh 10,000-image sample drawn with seed 1000 + seed (``bench.common.score_fresh``, as in
``bench.short_runs`` and ``bench.labels``). This is how the README's recipe table was made.
"""
from __future__ import annotations

import argparse
import json

from explorer.metrics import seed_summary

from .common import score_fresh, train_flags


def score_flags(flags: list[str], steps: int, seed: int, with_dci: bool = False) -> dict:
    """Train ``explorer train <flags>`` for ``steps`` steps with ``seed`` and score it on its fresh sample."""
    return score_fresh(train_flags(flags, seed, ["--steps", str(steps)]), seed, with_dci=with_dci)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="-- then explorer train flags")
    args = parser.parse_args(argv)
    flags = args.flags[1:] if args.flags[:1] == ["--"] else args.flags
    migs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        s = score_flags(flags, args.steps, seed)
        migs.append(s["mig"])
        print(json.dumps({"flags": flags, "steps": args.steps, "seed": seed, "mig": round(s["mig"], 3),
                          "active_units": s["active_units"], "informative_units": s["informative_units"],
                          "kl": round(s["kl"], 2), "mi": round(s["mi"], 2), "recon": round(s["recon"], 1),
                          "gaps": [round(g, 2) for g in s["mig_gaps"]]}),
              flush=True)
    summary = seed_summary(migs)
    print(f"MIG median {summary['median']:.3f} (min {summary['min']:.3f}, max {summary['max']:.3f}) over {len(migs)} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

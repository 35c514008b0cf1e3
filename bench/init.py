"""Encoder initialisation: PyTorch's default against He, early in a run of the short-run recipe.

Run: ``python -m bench.init [--steps 300 --seeds 3]``. Both arms are ``python -m explorer train
--beta 4 --steps N`` with ``--encoder-init torch`` or ``he``; scored on a fresh 5,000-image
sample: reconstruction NLL, informative units, I(x; z) and MIG after N steps.
"""
from __future__ import annotations

import argparse

from explorer.metrics import seed_summary

from .common import publish, row, score_fresh, to_markdown, train_flags


def run(steps: int, seeds: int, log=print) -> list[dict]:
    rows = []
    for init in ("torch", "he"):
        scores = []
        for seed in range(seeds):
            result = train_flags(["--beta", "4", "--encoder-init", init], seed, ["--steps", str(steps)])
            s = score_fresh(result, seed, n=5000)
            scores.append(s)
            log(f"init {init}, seed {seed}: recon {s['recon']:.1f}, informative units {s['informative_units']}, "
                f"I(x;z) {s['mi']:.2f}, MIG {s['mig']:.3f}")
        for key, fmt in (("recon", ".1f"), ("informative_units", ".0f"), ("mi", ".2f"), ("mig", ".3f")):
            m = seed_summary([s[key] for s in scores])
            rows.append(row(f"encoder init {init}, after {steps} steps: {key}", f"{m['median']:{fmt}}",
                            f"median of {seeds} seeds (min {m['min']:{fmt}}, max {m['max']:{fmt}}), fresh 5k sample"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    table = to_markdown(run(args.steps, args.seeds, log=lambda s: print(s, flush=True)))
    print(table)
    publish("init", "Encoder initialisation", "bench.init", argv, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a step of the default run costs, and what share of this CPU's arithmetic ceiling it reaches.

Run: ``python -m bench.step_cost [--steps 400] [--rounds 3] [--variant NAME=FLAGS ...]``.
Each variant (``train`` flags on top of the defaults) trains ``--steps`` steps on its own thread count
(``--threads``, default 1), twice per round: with its history points (as the CLI and the app run it) and without
(``--log-every`` past the budget), variants alternating so a change in the host's load hits all.
Steps per second come from the trainer's own clock (final evaluation excluded). The arithmetic per
step is counted by ``bench.flops.training_flops`` on the variant's model and batch; the ceiling is a
2048² fp32 matrix product on as many threads, so ``share`` = steps/s × FLOP per step / ceiling.
"""
from __future__ import annotations

import argparse
import statistics

import torch

from explorer.flags import parse_train
from explorer.models import build_model
from explorer.threads import computing_with
from explorer.trainer import train

from .common import publish, row, to_markdown
from .flops import gemm_ceiling, training_flops

VARIANTS = ["default=", "two threads=--threads 2", "no TC term=--tc-weight 0"]


def rate(flags: list[str], steps: int, logging: bool) -> float:
    config = parse_train([*flags, "--steps", str(steps)] + ([] if logging else ["--log-every", str(10 * steps)]))
    run = train(config, final_eval=False)
    return run.metrics["steps"] / run.metrics["seconds"]


def flop_per_step(flags: list[str]) -> float:
    config = parse_train(flags)
    batch = config.train.batch_size
    model = build_model(config.model)
    return training_flops(model, torch.zeros(batch, 1, 64, 64))["per_image"] * batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variant", action="append", default=[], help="NAME=FLAGS (train flags, space-separated)")
    args = parser.parse_args(argv)
    variants = [v.split("=", 1) for v in (args.variant or VARIANTS)]
    rates = {name: {"logged": [], "bare": []} for name, _ in variants}
    for i in range(args.rounds):
        for name, text in variants:
            for kind in ("logged", "bare"):
                rates[name][kind].append(rate(text.split(), args.steps, kind == "logged"))
            print(f"round {i + 1}, {name}: {rates[name]['logged'][-1]:.1f} steps/s with history points, "
                  f"{rates[name]['bare'][-1]:.1f} without", flush=True)
    ceilings, rows = {}, []
    for name, text in variants:
        threads = parse_train(text.split()).train.threads
        if threads not in ceilings:
            with computing_with(threads):
                ceilings[threads] = gemm_ceiling()
            rows.append(row(f"fp32 matrix product (2048², {threads} thread{'s' * (threads > 1)})",
                            f"{ceilings[threads] / 1e9:.0f} GFLOP/s", "the ceiling"))
        ceiling = ceilings[threads]
        flop = flop_per_step(text.split())
        logged, bare = (statistics.median(rates[name][k]) for k in ("logged", "bare"))
        rows += [
            row(f"{name} (`{text or 'the defaults'}`): arithmetic per step", f"{flop / 1e9:.2f} GFLOP",
                "forward + both gradients, bench.flops"),
            row(f"{name}: with history points", f"{logged:.1f} steps/s",
                f"median of {args.rounds} × {args.steps} steps; share of the ceiling", logged * flop / ceiling),
            row(f"{name}: without history points", f"{bare:.1f} steps/s",
                f"share of the ceiling; history points cost {1 - logged / bare:.0%} of the run", bare * flop / ceiling),
        ]
    body = "Each variant on its own `--threads` and its ceiling on as many.\n\n" + to_markdown(rows)
    print(body)
    publish("step_cost", "The default run's step: pace and share of the arithmetic ceiling", "bench.step_cost",
            argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

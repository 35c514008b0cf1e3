"""Short runs on the CPU: time to disentangle, collapse on demand and its cure, the β ladder.

Run: ``python -m bench.short_runs [--seconds 120 --seeds 3] [--only disentangle,collapse,ladder]``.
Each run is ``explorer.trainer.train`` with the CLI's defaults except the flags listed, and
is scored afterwards on a *fresh* sample of 10,000 images (``bench.common.score_fresh``: never
the training batches or the history's evaluation sample). Medians over seeds.
"""
from __future__ import annotations

import argparse

from explorer import recipes
from explorer.data.dsprites_grid import FACTOR_NAMES
from explorer.flags import to_argv
from explorer.metrics import seed_summary

from .common import publish, row, score_fresh, to_markdown, train_flags


def _without_budget(config) -> list[str]:
    """A recipe's train flags minus its step budget (these runs are timed in seconds)."""
    argv = to_argv(config)
    if "--steps" not in argv:  # the default step budget is left out already
        return argv
    i = argv.index("--steps")
    return argv[:i] + argv[i + 2:]


#: scenario -> [(label, CLI flags, seeds: None = all of --seeds, 1 = a single seed)]
SCENARIOS = {
    "disentangle": [("default short run (β-TCVAE), β = 4", ["--beta", "4"], None)],
    "collapse": [
        ("strongest AR decoder (pixelcnn8), β = 1, no annealing, no free bits", _without_budget(recipes.collapse()), None),
        ("the same + linear warm-up + free bits 1 nat/dim (batch)", _without_budget(recipes.cure()), None),
        ("factorised conv decoder, β = 1, no annealing", ["--beta", "1", "--decoder", "conv", "--schedule", "constant",
                                                          "--tc-weight", "0"], 1),
        ("factorised broadcast decoder, β = 1, no annealing", ["--beta", "1", "--schedule", "constant",
                                                               "--tc-weight", "0"], 1),
    ],
    # the plain β-VAE, as on the β ladder page: lesson 1 is about β alone
    "ladder": [(f"β ladder (recipe, plain β-VAE), β = {b}", ["--beta", str(b), "--tc-weight", "0"], 1) for b in (1, 12, 50)],
}


def run_one(flags: list[str], seconds: float, seed: int) -> dict:
    result = train_flags(flags, seed, ["--seconds", str(seconds)])
    scores = score_fresh(result, seed)
    h = result.history
    return {"scores": scores, "status": result.status, "curve": list(zip(h["seconds"], h["mig"], h["active_units"], h["eval_kl"]))}


def _median_row(figure: str, values: list[float], fmt: str, seconds: float) -> dict:
    summary = seed_summary(values)
    return row(figure, f"{summary['median']:{fmt}}",
               f"median of {len(values)} seed(s) (min {summary['min']:{fmt}}, max {summary['max']:{fmt}}), {seconds:g} s, fresh 10k sample")


def run(seconds: float = 120.0, seeds: int = 3, only: list[str] | None = None, log=print) -> tuple[list[dict], list[str]]:
    rows, curves = [], []
    for scenario, runs in SCENARIOS.items():
        if only and scenario not in only:
            continue
        for label, flags, n_seeds in runs:
            n_seeds = seeds if n_seeds is None else min(n_seeds, seeds)
            results = []
            for seed in range(n_seeds):
                res = run_one(flags, seconds, seed)
                results.append(res)
                s = res["scores"]
                log(f"{label} seed {seed}: MIG {s['mig']:.3f} AU {s['active_units']} informative {s['informative_units']} "
                    f"KL {s['kl']:.2f} MI {s['mi']:.2f} recon {s['recon']:.1f}; MIG gap per factor "
                    + " ".join(f"{name} {g:.2f}" for name, g in zip(FACTOR_NAMES, s["mig_gaps"])))
                curves.append(f"{label}, seed {seed}: " + "  ".join(
                    f"{t:.0f}s MIG {m:.2f} AU {au} KL {kl:.1f}" for t, m, au, kl in res["curve"]))
            for key, fmt in (("mig", ".3f"), ("active_units", ".0f"), ("informative_units", ".0f"), ("kl", ".2f"),
                             ("mi", ".2f"), ("recon", ".1f")):
                rows.append(_median_row(f"{label}: {key}", [r["scores"][key] for r in results], fmt, seconds))
            if scenario == "disentangle":  # which factors the MIG is made of: what limits it
                for i, name in enumerate(FACTOR_NAMES):
                    rows.append(_median_row(f"{label}: MIG gap of {name}", [r["scores"]["mig_gaps"][i] for r in results],
                                            ".2f", seconds))
    return rows, curves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", type=str, help="comma-separated: " + ",".join(SCENARIOS))
    args = parser.parse_args(argv)
    rows, curves = run(args.seconds, args.seeds, args.only.split(",") if args.only else None)
    table = to_markdown(rows)
    print(table)
    body = table + "\n\nHistory curves (evaluation sample of the run, every log point):\n\n" + "\n".join(f"- {c}" for c in curves)
    name = "short_runs" if not args.only else "short_runs_" + args.only.replace(",", "_")
    publish(name, "Short runs on the CPU", "bench.short_runs", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

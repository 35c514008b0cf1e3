"""Pinned axes against the unsupervised β-VAE: MIG and DCI over seeds for 0 and a few hundred labels.

Run: ``python -m bench.labels [--steps 2700 --seeds 3 --labels 0,300]``. Each run is the
short-run recipe (``python -m explorer train --beta 4``, every other flag at its default)
with ``--labels N`` added, under the same step budget (2,700 steps of 16 images is about the
recipe's 120 s on 2 cores; steps keep the comparison independent of machine load). Scored on a fresh
10,000-image sample: MIG, DCI disentanglement (random forests) and, with labels, each pinned
factor's share of entropy captured by its own dimension.
"""
from __future__ import annotations

import argparse

from explorer.metrics import seed_summary

from .common import publish, row, to_markdown
from .screen import score_flags

#: about the recipe's 120 s on 2 cores (2,700 steps of 16 images)
STEPS = 2700


def run_one(labels: int, steps: int, seed: int) -> dict:
    return score_flags(["--beta", "4", "--labels", str(labels)], steps, seed, with_dci=True)


def _spread(values: list[float]) -> str:
    s = seed_summary(values)
    return f"{s['median']:.3f} ({s['min']:.3f}–{s['max']:.3f})"


def run(label_counts: list[int], steps: int, seeds: int, log=print) -> tuple[list[dict], list[str]]:
    rows, lines = [], []
    for labels in label_counts:
        scores = []
        for seed in range(seeds):
            s = run_one(labels, steps, seed)
            scores.append(s)
            pinned = ", ".join(f"{k} {v:.2f}" for k, v in (s.get("pinned_mi") or {}).items())
            line = (f"labels {labels}, seed {seed}: MIG {s['mig']:.3f}, DCI-D {s['dci_disentanglement']:.3f}, "
                    f"AU {s['active_units']}, recon {s['recon']:.1f}" + (f"; pinned MI share: {pinned}" if pinned else ""))
            log(line)
            lines.append(line)
        what = f"{labels} labels" if labels else "0 labels (unsupervised β-VAE)"
        anchor = f"median (min–max) of {seeds} seeds, {steps} steps, fresh 10k sample"
        rows.append(row(f"{what}: MIG", _spread([s["mig"] for s in scores]), anchor))
        rows.append(row(f"{what}: DCI disentanglement (rf)", _spread([s["dci_disentanglement"] for s in scores]), anchor))
        if labels:
            for factor in scores[0]["pinned_mi"]:
                rows.append(row(f"{what}: {factor}'s MI share in its pinned dim",
                                _spread([s["pinned_mi"][factor] for s in scores]), anchor))
    return rows, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labels", type=str, default="0,300", help="comma-separated label counts")
    args = parser.parse_args(argv)
    rows, lines = run([int(n) for n in args.labels.split(",")], args.steps, args.seeds, log=lambda s: print(s, flush=True))
    table = to_markdown(rows)
    print(table)
    body = table + "\n\nPer run:\n\n" + "\n".join(f"- {line}" for line in lines)
    publish("labels", "Pinned axes: labels against none", "bench.labels", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""All benchmarks in one command: ``python -m bench [--quick]``.

The concurrent-browser load test is separate (``python -m bench.load``: it needs Chromium).
Prints one markdown table (figure | value | anchor | ratio) and writes it with the date,
machine and command to bench/results/summary.md; each part also writes its own file.
``--quick`` shortens every run (a smoke test of the benchmark code, not figures to quote).
"""
from __future__ import annotations

import argparse

from . import labels, latency, mig_speed, short_runs, throughput
from .common import publish, to_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, one seed: checks the code, not the figures")
    parser.add_argument("--seconds", type=float, default=120.0, help="training budget of each short run")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    seconds, seeds = (10.0, 1) if args.quick else (args.seconds, args.seeds)
    rows = []
    rows += mig_speed.run(n=20_000 if args.quick else 100_000, repeats=3, extras=not args.quick)
    tp_rows, profile = throughput.run(seconds=3.0 if args.quick else 8.0, rounds=1 if args.quick else 3)
    rows += tp_rows
    rows += latency.run(rss_seconds=5.0 if args.quick else 20.0)
    sr_rows, curves = short_runs.run(seconds, seeds, log=lambda s: print(s, flush=True))
    rows += sr_rows
    rows += labels.run([0, 300], steps=50 if args.quick else labels.STEPS, seeds=seeds, log=lambda s: print(s, flush=True))[0]
    table = to_markdown(rows)
    print(table)
    body = (table + "\n\nWhere the training step spends its time:\n\n```\n" + profile + "\n```\n\n"
            + "Short-run history curves:\n\n" + "\n".join(f"- {c}" for c in curves))
    publish("summary" if not args.quick else "summary_quick", "Benchmarks", "bench", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The sweep engine: the same small grid on the local backend and on Ray, and what the engine costs.

Run: ``python -m bench.sweep_engine [--steps 200 --betas 1,4 --seeds 4 --workers 2 --backends local,ray]``.
Each backend sweeps the recipe (``python -m explorer sweep --beta 1,4 --seeds 0,1,2,3 --steps 200``)
into a fresh folder, each run scored on the 10,000-image fresh sample as every sweep is. The
engine's overhead is the wall time beyond a perfect packing of the runs' own train + eval seconds
onto the workers (wall − Σ / workers): worker start-up and imports, data, file writes, idle slots at
the end, and, on Ray, its start-up. The Ray backend needs ``pip install -r requirements-sweep.txt``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from explorer.protocols import FRESH
from explorer.sweep.engine import run_sweep
from explorer.sweep.grid import add_grid_flags, grid_from_args
from explorer.sweep.options import Options

from .common import publish, row, to_markdown


def grid_flags(steps: int, betas: str, seeds: int) -> list[str]:
    return ["--beta", betas, "--steps", str(steps), "--seeds", ",".join(map(str, range(seeds)))]


def sweep_once(backend: str, flags: list[str], workers: int, eval_n: int, out: Path) -> dict:
    parser = argparse.ArgumentParser()
    add_grid_flags(parser)
    grid = grid_from_args(parser.parse_args(flags))
    start = time.perf_counter()
    summary = run_sweep(grid, Options(out, backend=backend, workers=workers, eval_n=eval_n))
    wall = time.perf_counter() - start
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*/result.json"))]
    own = [r["timings"]["train_seconds"] + r["timings"]["eval_seconds"] for r in results]
    return {"backend": backend, "wall": wall, "runs": len(results), "failed": summary.failed, "own": own,
            "train": [r["timings"]["train_seconds"] for r in results], "startup": summary.startup_seconds,
            "metrics": {r["key"]: r["metrics"] for r in results}}


def rows_for(m: dict, workers: int) -> list[dict]:
    b, n, total = m["backend"], m["runs"], sum(m["own"])
    overhead = m["wall"] - total / workers
    out = [
        row(f"{b}: wall time of the sweep ({n} runs, {workers} workers)", f"{m['wall']:.1f} s",
            f"{m['failed']} failed"),
        row(f"{b}: wall seconds per run", f"{m['wall'] / n:.1f} s", "wall / runs"),
        row(f"{b}: runs per hour", f"{3600 * n / m['wall']:.0f}", f"{workers} workers, runs of this grid's size"),
        row(f"{b}: a run's own train + eval seconds", f"{total / n:.1f} s (train {sum(m['train']) / n:.1f} s)",
            f"mean of {n}; Σ {total:.1f} s"),
        row(f"{b}: engine overhead", f"{overhead:.1f} s ({overhead / m['wall']:.0%} of the wall time)",
            f"wall − Σ(train + eval) / {workers} workers; {overhead * workers / n:.1f} s of a worker per run"),
    ]
    if b == "ray":
        out.append(row("ray: start-up (ray.init of a local instance)", f"{m['startup']:.1f} s", "inside the wall time"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--betas", default="1,4")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="local,ray")
    parser.add_argument("--eval-n", type=int, default=FRESH.samples)
    args = parser.parse_args(argv)
    flags = grid_flags(args.steps, args.betas, args.seeds)
    measured, rows = [], []
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        for backend in args.backends.split(","):
            m = sweep_once(backend, flags, args.workers, args.eval_n, Path(tmp) / backend)
            print(f"{backend}: {m['wall']:.1f} s for {m['runs']} runs", flush=True)
            measured.append(m)
            rows += rows_for(m, args.workers)
    if len(measured) > 1:
        same = all(m["metrics"] == measured[0]["metrics"] for m in measured[1:])
        rows.append(row("the same metrics on every backend", "yes" if same else "**no**", "compared exactly"))
    table = to_markdown(rows)
    print(table)
    grid = "python -m explorer sweep " + " ".join(flags) + f" --workers {args.workers}"
    publish("sweep_engine", "Sweep engine: local processes and Ray", "bench.sweep_engine", argv,
            f"The grid: `{grid}` (the recipe otherwise; scored on {args.eval_n:,} fresh images). Every run "
            f"trains and scores on one thread (the machine line above is this driver's). Local workers are new "
            f"processes (each imports torch); Ray reuses its worker processes from run to run.\n\n{table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

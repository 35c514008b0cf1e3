"""Does the default short run disentangle on seeds nobody chose anything on, on both paths a user takes?

Run: ``python -m bench.seed_robustness [--seeds 7000-7019] [--paths cli,cli-2,sweep] [--dir runs/seed-robustness]``.
Three paths, the same default settings:

- ``cli``: the README's ``python -m explorer train --seed S`` with its defaults (one thread since issue 25),
  scored by ``python -m explorer eval --samples 10000 --seed 1000+S`` (protocols.FRESH);
- ``cli-2``: the same with ``--threads 2``, torch's own count on a 2-core host and the CLI's default
  before the thread count was a setting;
- ``sweep``: ``python -m explorer sweep --seeds …`` (two runs at a time, each on its one thread), which
  scores every run on the same fresh sample.

One thread and two split the arithmetic differently, so ``cli-2`` trains other models from the same
seeds; ``cli`` and ``sweep`` compute alike, and the report counts the seeds where their MIG is the same
number. Each finished seed is appended to ``<dir>/results.jsonl``, so an interrupted bench resumes and a
partial table can be published. MIG is a function of the steps, not the clock, so a busy host changes the
seconds here and nothing else. ``TUNING`` seeds are for choosing settings and are never reported as held out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from explorer.config import FACTOR_NAMES
from explorer.protocols import FRESH

from .common import cli_training, publish

#: Seeds no setting was ever chosen on (the benches before used 100–104, 200–204, 300–304 and the sweeps 0–4).
HELD_OUT = list(range(7000, 7020))
#: Seeds to choose settings on; a result on these is never reported as held out.
TUNING = list(range(8000, 8020))
FLOOR, GOAL_MEDIAN, GOAL_FAILURES = 0.25, 0.38, 1
PATHS = ("cli", "cli-2", "sweep")
LABELS = {"cli": "`python -m explorer train --seed S` (the default: one thread)",
          "cli-2": "`python -m explorer train --seed S --threads 2` (torch's own count here; the CLI's default before "
                   "issue 25)",
          "sweep": "`python -m explorer sweep` (one thread per run, two runs at a time)"}
FLAGS = {"cli": [], "cli-2": ["--threads", "2"]}


def parse_seeds(text: str) -> list[int]:
    """'7000-7019' or '7000,7003': the seeds, in order."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    return seeds


def cli_seed(seed: int, folder: Path, flags: list[str] = ()) -> dict:
    """Train and score one seed as the README says (and ``flags``); the scores of ``explorer eval --json``."""
    checkpoint = folder / f"cli-{seed}.pt"
    trained = subprocess.run([sys.executable, "-m", "explorer", "train", "--seed", str(seed), "--out", str(checkpoint),
                              "--force", *flags], capture_output=True, text=True, check=True)
    steps, seconds = cli_training(trained.stdout + trained.stderr)
    fresh = FRESH.for_seed(seed)
    scored = subprocess.run([sys.executable, "-m", "explorer", "eval", str(checkpoint), "--json", "--samples",
                             str(fresh.samples), "--seed", str(fresh.seed)], capture_output=True, text=True, check=True)
    metrics = json.loads(scored.stdout.strip().splitlines()[-1])
    checkpoint.unlink()  # the scores are what this bench keeps
    return {"mig": metrics["mig"], "gaps": dict(zip(FACTOR_NAMES, metrics["mig_gaps"])), "steps": steps,
            "seconds": seconds, "threads": 2 if "--threads" in flags else 1}


def sweep_seeds(seeds: list[int], folder: Path) -> list[dict]:
    """Train and score seeds as a sweep does (one thread each, two at a time)."""
    out = folder / f"sweep-{seeds[0]}"
    subprocess.run([sys.executable, "-m", "explorer", "sweep", "--seeds", ",".join(map(str, seeds)), "--out", str(out),
                    "--workers", "2", "--keep-weights", "none"], check=True, capture_output=True, text=True)
    rows = []
    for result in sorted(out.glob("*/result.json")):
        r = json.loads(result.read_text())
        m = r["metrics"]
        rows.append({"seed": int(r["config"]["train"]["seed"]), "mig": m["mig"],
                     "gaps": dict(zip(FACTOR_NAMES, m["mig_gaps"])), "steps": m.get("steps"),
                     "seconds": (r.get("timings") or {}).get("train_seconds"), "threads": 1})
    return rows


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def table(path_name: str, rows: list[dict], held_out: bool) -> str:
    rows = sorted(rows, key=lambda r: r["seed"])
    head = "| seed | MIG | " + " | ".join(f"gap {f}" for f in FACTOR_NAMES) + " | steps | seconds |"
    lines = [head, "|" + "---|" * (4 + len(FACTOR_NAMES))]
    for r in rows:
        gaps = " | ".join(f"{r['gaps'].get(f, float('nan')):.3f}" for f in FACTOR_NAMES)
        flag = " **(< 0.25)**" if r["mig"] < FLOOR else ""
        lines.append(f"| {r['seed']} | {r['mig']:.3f}{flag} | {gaps} | {r['steps']} | "
                     f"{(r['seconds'] or 0):.0f} |")
    migs = [r["mig"] for r in rows]
    failures = sum(m < FLOOR for m in migs)
    median = statistics.median(migs)
    scaled = GOAL_FAILURES * len(migs) / 20
    met = median >= GOAL_MEDIAN and failures <= scaled
    title = f"### {path_name}: {len(migs)} {'held-out' if held_out else 'tuning'} seeds"
    summary = (f"MIG median **{median:.3f}** (min {min(migs):.3f}, max {max(migs):.3f}); below {FLOOR}: "
               f"**{failures} of {len(migs)}**. Goal (median ≥ {GOAL_MEDIAN}, at most {GOAL_FAILURES} in 20 below "
               f"{FLOOR}): {'met' if met else 'not met'}" + ("" if len(migs) >= 20 else " on the seeds done so far")
               + ".")
    return "\n".join([title, "", *lines, "", summary])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default=f"{HELD_OUT[0]}-{HELD_OUT[-1]}")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--dir", type=Path, default=Path("runs/seed-robustness"), help="results.jsonl and sweep folders")
    parser.add_argument("--report-only", action="store_true", help="publish what results.jsonl holds, train nothing")
    args = parser.parse_args(argv)
    seeds, paths = parse_seeds(args.seeds), args.paths.split(",")
    args.dir.mkdir(parents=True, exist_ok=True)
    store = args.dir / "results.jsonl"
    done = {(r["path"], r["seed"]) for r in load(store)}
    for i in range(0, len(seeds) if not args.report_only else 0, 2):  # both paths advance together
        pair = seeds[i:i + 2]
        if "sweep" in paths and any(("sweep", s) not in done for s in pair):
            for row in sweep_seeds(pair, args.dir):
                _append(store, {"path": "sweep", **row})
        for seed in pair:
            for path in ("cli", "cli-2"):
                if path in paths and (path, seed) not in done:
                    _append(store, {"path": path, "seed": seed, **cli_seed(seed, args.dir, FLAGS[path])})
        print(f"seeds {pair} done", flush=True)
    results = [r for r in load(store) if r["seed"] in seeds]
    sections = []
    for name in paths:
        rows = [r for r in results if r["path"] == name]
        if rows:
            sections.append(table(LABELS[name], rows, held_out=all(r["seed"] not in TUNING for r in rows)))
    sections.append(agreement(results))
    body = (f"The defaults (`python -m explorer train --help`), scored on {FRESH.samples:,} fresh images (seed 1000 + "
            "the run's seed). The seconds are the trainer's own clock on a shared host: they say nothing about pace "
            "here (other work ran beside these runs); MIG depends on the steps, not the clock.\n\n" + "\n\n".join(sections))
    print(body)
    publish("seed_robustness", "The default run on seeds nobody chose, on the CLI's and the sweep's threads",
            "bench.seed_robustness", argv, body)
    return 0


def agreement(results: list[dict]) -> str:
    """How many seeds trained by ``train`` and by a sweep, both on one thread, scored the very same MIG."""
    cli = {r["seed"]: r["mig"] for r in results if r["path"] == "cli"}
    sweep = {r["seed"]: r["mig"] for r in results if r["path"] == "sweep"}
    both = sorted(set(cli) & set(sweep))
    same = [s for s in both if cli[s] == sweep[s]]
    differ = ", ".join(str(s) for s in both if cli[s] != sweep[s]) or "none"
    return (f"`train` and a sweep on one thread: the same MIG, to the last bit, for **{len(same)} of {len(both)}** "
            f"seeds trained both ways (differing: {differ}).")


def _append(path: Path, row: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

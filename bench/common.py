"""Shared pieces of the benchmarks: the machine line, medians, the markdown table, results files."""
from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import statistics
import shlex
import sys
import time
from pathlib import Path

from explorer.protocols import FRESH

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> str:
    import numpy as np
    import sklearn
    import torch

    return (f"{platform.platform()}; {platform.machine()}; {os.cpu_count()} CPUs; "
            f"torch {torch.__version__} (its default {torch.get_num_threads()} threads; a training computes with its "
            f"run's --threads); Python {platform.python_version()}; "
            f"numpy {np.__version__}; scikit-learn {sklearn.__version__}")


def median_time(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(figure: str, value: str, anchor: str = "", ratio: float | None = None) -> dict:
    return {"figure": figure, "value": value, "anchor": anchor, "ratio": ratio}


def to_markdown(rows: list[dict]) -> str:
    lines = ["| figure | value | anchor | ratio |", "|---|---|---|---|"]
    for r in rows:
        ratio = "" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        lines.append(f"| {r['figure']} | {r['value']} | {r['anchor']} | {ratio} |")
    return "\n".join(lines)


def write_results(name: str, title: str, command: str, body: str) -> Path:
    """Write ``bench/results/<name>.md`` with the date, the machine and the command that made it."""
    stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    path = RESULTS_DIR / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {title}\n\n{stamp}  \n{machine()}  \n`{command}`\n\n{body}\n")
    return path


def publish(name: str, title: str, module: str, argv: list[str] | None, body: str) -> Path:
    """Write ``bench/results/<name>.md`` for ``python -m <module> <argv>`` (sys.argv when None) and say where."""
    args = sys.argv[1:] if argv is None else argv
    path = write_results(name, title, shlex.join(["python", "-m", module, *args]), body)
    print(f"written to {path}")
    return path


_CLI_DONE = re.compile(r"completed: ([\d,]+) steps, ([\d.]+) s")


def cli_training(out: str) -> tuple[int, float]:
    """(steps, training seconds) from the closing line ``python -m explorer train`` prints; RuntimeError if absent."""
    m = _CLI_DONE.search(out)
    if m is None:
        raise RuntimeError(f"the CLI did not report its pace: {out[-200:]!r}")
    return int(m.group(1).replace(",", "")), float(m.group(2))


#: Short runs are scored on explorer.protocols.FRESH: 10,000 images drawn with seed 1000 + the run's seed,
#: never the training batches, never the run's own history sample, and the same sample in every bench.
FRESH_SAMPLES = FRESH.samples


def train_flags(flags: list[str], seed: int, budget: list[str]):
    """Train ``python -m explorer train <flags> <budget> --seed <seed>`` (budget: ``--steps N`` or ``--seconds S``)."""
    from explorer.flags import parse_train
    from explorer.trainer import train

    return train(parse_train([*flags, *budget, "--seed", str(seed)]), final_eval=False)


def score_fresh(result, seed: int, n: int = FRESH_SAMPLES, with_dci: bool = False) -> dict:
    """A trained run's scores on the fresh sample that belongs to ``seed``."""
    from explorer.data import ProceduralDSprites
    from explorer.evaluation import evaluate_run

    return evaluate_run(result, ProceduralDSprites(), n=n, seed=FRESH.for_seed(seed).seed, with_dci=with_dci)

"""Rebuild the views of a sweep's runs that kept no weights: retrain each from its recorded config,
and keep the result only if it scores exactly what its ``result.json`` recorded.

``python -m explorer.sweep.rebuild FOLDER [--keep-weights]``. A run is retrained on its own thread count
(``--threads``, as the sweep worker applied it), rescored on its recorded fresh sample, and compared with its
record metric by metric; any difference is refused in one line, so a views file never shows a model
other than the one the sweep measured. The views are written to ``<key>/checkpoint.views.npz``; the
weights are written too only with ``--keep-weights``.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from .files import CHECKPOINT, RESULT, read_json

#: How close a rescored metric must come to its record (the same arithmetic gives the same bits).
TOLERANCE = 1e-9


def _same(recorded, rescored) -> bool:
    if isinstance(recorded, (list, tuple)):
        return isinstance(rescored, (list, tuple)) and len(recorded) == len(rescored) and all(
            _same(a, b) for a, b in zip(recorded, rescored))
    if recorded is None or rescored is None:
        return recorded is None and rescored is None
    return math.isclose(float(recorded), float(rescored), rel_tol=0, abs_tol=TOLERANCE)


def rebuild_run(folder: Path, keep_weights: bool = False, log=print) -> Path | None:
    """Retrain one run folder's recorded config and write its views; None (with a line) if it does not reproduce."""
    from ..checkpoint import save_run
    from ..config import RunConfig
    from ..data import dataset_of
    from ..evaluation import evaluate_run
    from ..protocols import SWEEP_FRESH
    from ..threads import use
    from ..trainer import train
    from ..provenance import file_sha256
    from ..view_data import save_views, views_path
    from ..views import compute_views, write_views

    result = read_json(folder / RESULT)
    if not result or result.get("status") != "completed":
        log(f"{folder.name}: no completed result.json, skipped")
        return None
    config = RunConfig.from_dict(result["config"])
    use(config.train.threads)  # the worker's count, for the scores and views as well as the training
    dataset = dataset_of(config.train)
    start = time.perf_counter()
    run = train(config, dataset=dataset, final_eval=False)
    sample = result["metrics_sample"]
    run.metrics.update(evaluate_run(run, dataset, n=sample["samples"], seed=sample["seed"]))
    differ = [k for k, v in (result.get("metrics") or {}).items() if k in run.metrics and not _same(v, run.metrics[k])]
    if differ:
        log(f"{folder.name}: retrained weights do not reproduce the record ({', '.join(differ)} differ); nothing written")
        return None
    run.metrics.update(result["metrics"])
    sample_name = {"name": SWEEP_FRESH, "samples": sample["samples"], "seed": sample["seed"]}
    if keep_weights:
        checkpoint = save_run(run, folder / CHECKPOINT)
        views = write_views(run, dataset, checkpoint, sample_name)
    else:  # the views name the weights they came from by hash, even though the weights are not kept
        with tempfile.TemporaryDirectory() as tmp:
            digest = file_sha256(save_run(run, Path(tmp) / CHECKPOINT))
        views = save_views(compute_views(run, dataset, sample_name, digest), views_path(folder / CHECKPOINT))
    log(f"{folder.name}: reproduced its record exactly; wrote {views.name} in {time.perf_counter() - start:.0f} s")
    return views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.sweep.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--keep-weights", action="store_true", help="also write each run's checkpoint.pt")
    parser.add_argument("--only-missing", action="store_true", help="skip runs that already have a views file")
    parser.add_argument("--reverse", action="store_true", help="last folder first (a second process on another core)")
    args = parser.parse_args(argv)
    failed = 0
    for folder in sorted((p for p in args.folder.iterdir() if (p / RESULT).exists()), reverse=args.reverse):
        if (folder / CHECKPOINT).exists() or (args.only_missing and views_file(folder).exists()):
            continue
        failed += rebuild_run(folder, args.keep_weights) is None
    return 1 if failed else 0


def views_file(folder: Path) -> Path:
    from ..view_data import views_path

    return views_path(folder / CHECKPOINT)


if __name__ == "__main__":
    sys.exit(main())

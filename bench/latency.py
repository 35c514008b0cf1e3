"""Interactive latency: what a dashboard user waits for, and the trainer's peak memory.

Run: ``python -m bench.latency``. Uses the gallery's checkpoints where they exist
(trained weights: the autoregressive decode's pass count depends on them), else freshly
initialised models of each decoder type (marked "untrained").
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from explorer.checkpoint import load_run
from explorer.config import ModelConfig
from explorer.data import ProceduralDSprites
from explorer.models import DECODERS, build_model
from explorer.pictures import mean_images
from explorer.traversal import traversal_grid

from .common import median_time, publish, row, to_markdown

GALLERY = Path(__file__).resolve().parents[1] / "checkpoints"


def _models() -> dict[str, tuple[torch.nn.Module, str]]:
    """One model per decoder type: a gallery checkpoint where one exists, else untrained."""
    found = {}
    index = GALLERY / "index.json"
    if index.exists():
        for entry in json.loads(index.read_text())["runs"]:
            decoder = entry["config"]["model"]["decoder"]
            if decoder not in found:
                found[decoder] = (load_run(GALLERY / entry["file"]).model, entry["file"])
    for name in DECODERS:
        if name not in found:
            torch.manual_seed(0)
            found[name] = (build_model(ModelConfig(decoder=name)).eval(), "untrained")
    return found


def peak_training_rss(seconds: float = 20.0) -> float:
    """Peak resident memory (MB) of a CLI training run on the full dSprites grid."""
    code = ("import resource, sys; from explorer.cli import main; main(['train', '--seconds', '%g', '--quiet', "
            "'--out', '/tmp/bench-rss.pt']); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)" % seconds)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def run(rss_seconds: float = 20.0) -> list[dict]:
    rows = []
    data = ProceduralDSprites()
    x = torch.from_numpy(data.images(np.array([123456])))
    for name, (model, source) in _models().items():
        def edit():  # the slider editor: encode to the mean, draw (a mean of samples for autoregressive decoders)
            mean_images(model, model.encode_mean(x))

        def grid():
            traversal_grid(model)

        _, info = traversal_grid(model)
        t_edit, t_grid = median_time(edit, 5), median_time(grid, 3)
        passes = f", mean of {info['samples']} samples, {info['passes']:.1f} passes" if model.autoregressive else ""
        rows.append(row(f"{name}: encode + decode one image ({source})", f"{t_edit * 1e3:.1f} ms", "slider editor"))
        rows.append(row(f"{name}: 10 × 8 traversal grid ({source}{passes})", f"{t_grid:.2f} s", "a few seconds"))
    index = GALLERY / "index.json"
    if index.exists():
        records = json.loads(index.read_text())["runs"]
        files = [GALLERY / e["file"] for e in records] + [GALLERY / e["pictures"] for e in records if e.get("pictures")]
        t_load = median_time(lambda: load_run(files[0]), 5)
        rows.append(row(f"load a gallery checkpoint ({files[0].name})", f"{t_load * 1e3:.0f} ms", "< 1 s"))
        size = sum(f.stat().st_size for f in files)  # bytes
        rows.append(row(f"gallery size ({len(files)} files)", f"{size / 2**20:.1f} MiB ({size / 1e6:.1f} MB)", "< 50 MB"))
    rss = peak_training_rss(rss_seconds)
    rows.append(row(f"peak RSS of `python -m explorer train` ({rss_seconds:g} s, full dSprites grid)", f"{rss:.0f} MB",
                    "≤ 1,536 MB", 1536 / rss))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rss-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    table = to_markdown(run(args.rss_seconds))
    print(table)
    publish("latency", "Interactive latency and memory", "bench.latency", argv, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

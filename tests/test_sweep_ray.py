"""The Ray backend (the sweep extra, requirements-sweep.txt) trains the same runs as the local one, bit for bit."""
import json
from pathlib import Path

import pytest

from explorer.cli import main

pytest.importorskip("ray")

GRID = ["--seeds", "0,1", "--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "10",
        "--steps", "30", "--decoder", "conv", "--eval-n", "200", "--workers", "2",
        "--keep-weights", "none"]  # what is compared is the metrics and curves: no weights kept, so no views drawn


def results(out: Path) -> dict:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def test_the_same_grid_gives_the_same_metrics_locally_and_on_ray(tmp_path):
    assert main(["sweep", *GRID, "--out", str(tmp_path / "local")]) == 0
    assert main(["sweep", *GRID, "--backend", "ray", "--out", str(tmp_path / "ray")]) == 0
    local, ray = results(tmp_path / "local"), results(tmp_path / "ray")
    assert len(local) == 2 and set(local) == set(ray)
    for key in local:
        assert ray[key]["status"] == local[key]["status"] == "completed"
        assert ray[key]["host"]["backend"] == "ray" and ray[key]["host"]["threads"] == 1
        assert ray[key]["metrics"] == local[key]["metrics"]  # exactly: one thread, a step budget, the same sample
        for name, values in local[key]["history"].items():
            if name != "seconds":  # wall-clock time is the only thing allowed to differ
                assert ray[key]["history"][name] == values, name
    assert (tmp_path / "ray" / "results.csv").read_text().count("\n") == 3

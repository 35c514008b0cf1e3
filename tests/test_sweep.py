"""The sweep engine: the folder contract of docs/sweeps.md, resuming, retries, a killed worker, bad input."""
import argparse
import csv
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.config import RunConfig
from explorer.flags import parse_train
from explorer.sweep.files import write_json
from explorer.sweep.grid import add_grid_flags, grid_from_args
from explorer.sweep.table import write_table

ROOT = Path(__file__).resolve().parents[1]
#: Tiny runs, scored on 200 fresh images instead of 10,000 (--eval-n exists for smoke tests like these).
TINY = ["--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "10", "--steps", "30",
        "--decoder", "conv", "--eval-n", "200", "--workers", "2"]
COLUMNS = ["key", "beta", "seed", "status", "attempts", "mig", "mig_gap_shape", "mig_gap_scale", "mig_gap_orientation",
           "mig_gap_posX", "mig_gap_posY", "informative_units", "active_units", "kl", "mi", "z_usage", "recon", "steps",
           "train_seconds"]
METRICS = {"mig", "mig_gaps", "informative_units", "active_units", "kl", "mi", "z_usage", "recon", "steps"}


def results(out: Path) -> dict:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def table(out: Path) -> list[dict]:
    with open(out / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def stamps(out: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in out.glob("*/*")}


def test_a_grid_writes_the_contract_resumes_in_seconds_and_extends(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--beta", "1,4", "--seeds", "0,1", *TINY, "--keep-weights", "first-seed",
                 "--out", str(out)]) == 0
    runs = results(out)
    assert len(runs) == 4 and {r["status"] for r in runs.values()} == {"completed"}
    for key, r in runs.items():
        assert r["key"] == key == RunConfig.from_dict(r["config"]).key()
        assert parse_train(shlex.split(r["command"])[4:]).key() == key  # the command trains this very run
        assert r["attempts"] == 1 and r["reason"] == "" and set(r["swept"]) == {"beta", "seed"}
        assert set(r["metrics"]) == METRICS and len(r["metrics"]["mig_gaps"]) == 5 and r["metrics"]["steps"] == 30
        assert r["metrics_sample"] == {"samples": 200, "seed": 1000 + r["swept"]["seed"]}
        assert r["history"]["step"] == [0, 10, 20, 30]
        assert {"train_seconds", "eval_seconds", "started", "finished"} <= set(r["timings"])
        assert r["host"]["backend"] == "local" and r["host"]["threads"] == 1
        kept = r["swept"]["seed"] == 0  # --keep-weights first-seed
        assert r["checkpoint"] == ("checkpoint.pt" if kept else None)
        assert (out / key / "checkpoint.pt").exists() == kept
    rows = table(out)
    assert list(rows[0]) == COLUMNS and len(rows) == 4
    assert [(r["beta"], r["seed"]) for r in rows] == [("1.0", "0"), ("1.0", "1"), ("4.0", "0"), ("4.0", "1")]
    assert all(float(r["mig"]) == runs[r["key"]]["metrics"]["mig"] for r in rows)
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["axes"] == {"beta": [1.0, 4.0], "seed": [0, 1]} and sweep["version"] == 1
    assert "--steps" in sweep["base"] and "--beta" not in sweep["base"] and sweep["metrics_sample"]["samples"] == 200

    before = stamps(out)
    capsys.readouterr()
    start = time.perf_counter()
    assert main(["sweep", "--beta", "1,4", "--seeds", "0,1", *TINY, "--out", str(out)]) == 0
    assert time.perf_counter() - start < 3.0
    assert "0 trained" in capsys.readouterr().out and stamps(out) == before

    # no weights kept this time (nor views drawn for them): what is checked is which runs train
    assert main(["sweep", "--beta", "1,4", "--seeds", "0,1,2", *TINY, "--keep-weights", "none", "--out", str(out)]) == 0
    assert "2 trained" in capsys.readouterr().out
    assert {p: t for p, t in stamps(out).items() if p in before} == before  # the old runs were not touched
    assert json.loads((out / "sweep.json").read_text())["axes"] == {"beta": [1.0, 4.0], "seed": [0, 1, 2]}
    assert len(table(out)) == 6 and len(results(out)) == 6


def test_a_failing_run_is_recorded_and_retried_on_the_next_call_up_to_the_limit(tmp_path, capsys):
    out = tmp_path / "sweep"
    # MNIST's files are not in /nonexistent: that run fails when it loads its data, the dSprites one trains
    args = ["sweep", "--dataset", "dsprites,mnist", "--data-root", str(tmp_path / "nonexistent"), *TINY,
            "--max-attempts", "2", "--keep-weights", "none", "--out", str(out)]  # no weights: no views to draw
    assert main(args) == 1
    by_dataset = {r["config"]["train"]["dataset"]: r for r in results(out).values()}
    failed, fine = by_dataset["mnist"], by_dataset["dsprites"]
    assert fine["status"] == "completed"
    assert (failed["status"], failed["attempts"], failed["metrics"]) == ("failed", 1, {})
    assert failed["reason"].startswith("DatasetUnavailable: mnist is not available") and "\n" not in failed["reason"]
    row = {r["dataset"]: r for r in table(out)}["mnist"]
    assert row["status"] == "failed" and row["mig"] == row["kl"] == row["train_seconds"] == ""
    done = (out / fine["key"] / "result.json").stat().st_mtime_ns

    assert main(args) == 1
    assert results(out)[failed["key"]]["attempts"] == 2
    assert (out / fine["key"] / "result.json").stat().st_mtime_ns == done  # a completed run is never retrained
    capsys.readouterr()
    assert main(args) == 1  # attempts are spent: nothing trains
    assert "0 trained" in capsys.readouterr().out and results(out)[failed["key"]]["attempts"] == 2


def test_a_worker_killed_mid_training_loses_only_its_run_which_is_retried(tmp_path):
    out, steps = tmp_path / "sweep", 150
    flags = [*TINY, "--steps", str(steps), "--seeds", "0,1", "--keep-weights", "none"]  # the later --steps wins
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "sweep", *flags, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        victim = _kill_a_worker_mid_training(out, steps)
        key = victim["key"]
        death = _wait_for(lambda: (results(out).get(key) or {}).get("status") == "failed", 30)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert death, "the engine never recorded the dead worker"
    assert proc.returncode == 0, stderr
    with pytest.raises(ProcessLookupError):
        os.kill(victim["pid"], 0)  # that process is gone
    runs = results(out)  # every result.json parses
    assert len(runs) == 2 and {r["status"] for r in runs.values()} == {"completed"}
    assert runs[key]["attempts"] == 2 and runs[key]["metrics"]["steps"] == steps
    assert [r["attempts"] for k, r in runs.items() if k != key] == [1]
    assert sorted(r["key"] for r in table(out)) == sorted(runs)
    leftovers = [p.name for p in out.glob("*/.*")]
    assert leftovers == [], leftovers


def _kill_a_worker_mid_training(out: Path, steps: int) -> dict:
    """SIGKILL the first worker whose note says it is past its first history point and not done training."""
    deadline = time.time() + 60
    while time.time() < deadline:
        for note_path in out.glob("*/.worker"):
            try:
                note = json.loads(note_path.read_text())
            except (OSError, ValueError):
                continue
            if 10 <= note["step"] < steps:
                os.kill(note["pid"], signal.SIGKILL)
                return {**note, "key": note_path.parent.name}
        time.sleep(0.02)
    raise AssertionError("no worker was caught mid-training")


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("flags, words", [
    (["--beta", "1,x"], "invalid float value: 'x'"),
    (["--decoder", "conv,nope"], "invalid choice: 'nope'"),
    (["--beta", "1,-2"], "beta=-2.0, seed=0: beta must be a finite number"),
    (["--batch-size", "8", "--labels", "10", "--label-batch", "4,9"], "label_batch must be"),
    (["--steps", "30", "--seconds", "5"], "not both"),
    (["--beta", "1,"], "--beta has an empty value"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--eval-n", "5"], "--eval-n must be at least"),
    (["--address", "head:6379"], "--backend ray"),
])
def test_invalid_values_fail_in_one_line_before_anything_trains(tmp_path, capsys, flags, words):
    out = tmp_path / "sweep"
    assert main(["sweep", *flags, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err
    assert not out.exists()


def test_a_list_flag_sweeps_alternatives_and_inert_values_train_once():
    parser = argparse.ArgumentParser()
    add_grid_flags(parser)
    grid = grid_from_args(parser.parse_args(["--labels", "30", "--pin", "posX,posY/scale", "--seed", "3,4",
                                             "--cycles", "2,4", "--beta", "2"]))
    assert grid.values["pinned"] == [["posX", "posY"], ["scale"]] and grid.values["seed"] == [3, 4]
    assert grid.axes == ["cycles", "pinned", "seed"] and grid.base() == ["--beta", "2", "--labels", "30"]
    points = grid.points()
    assert len(points) == 8 and len({c.key() for _, c in points}) == 4  # cycles does nothing without --schedule cyclical


def test_the_table_reads_only_whole_run_folders(tmp_path):
    whole = {"version": 1, "key": "0123456789ab", "status": "completed", "attempts": 1, "swept": {"seed": 0},
             "metrics": {"mig": 0.5, "mig_gaps": [0.1, 0.2, 0.3, 0.4, 0.5], "kl": 3.0}, "timings": {"train_seconds": 2.0}}
    write_json(tmp_path / "0123456789ab" / "result.json", whole)
    (tmp_path / "ba9876543210").mkdir()  # a run still training: no result.json yet
    (tmp_path / "ba9876543210" / ".result.json.1f2e3d.tmp").write_text('{"half": ')  # a killed writer's leftover
    (tmp_path / "ffffffffffff").mkdir()
    (tmp_path / "ffffffffffff" / "result.json").write_text(json.dumps({**whole, "key": "0123456789ab"}))  # misplaced
    (tmp_path / "notes").mkdir()
    write_table(tmp_path, {"seed": [0]})
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["key"], r["mig"], r["mig_gap_posY"], r["kl"], r["recon"]) for r in rows] == [
        ("0123456789ab", "0.5", "0.5", "3.0", "")]


def test_the_ray_backend_without_ray_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    out = tmp_path / "sweep"
    assert main(["sweep", "--backend", "ray", *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "requirements-sweep.txt" in err and not out.exists()


def test_a_setting_fixed_before_and_swept_now_becomes_an_axis_of_every_run(tmp_path):
    out = tmp_path / "sweep"
    tiny = [*TINY, "--steps", "5", "--log-every", "5", "--keep-weights", "none"]  # no weights: no views to draw
    assert main(["sweep", "--beta", "4", *tiny, "--out", str(out)]) == 0
    assert main(["sweep", "--beta", "4,8", *tiny, "--out", str(out)]) == 0  # β = 4 is the run already there
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["axes"] == {"beta": [4.0, 8.0], "seed": [0]} and "--beta" not in sweep["base"]
    assert sorted((r["swept"]["beta"], r["attempts"]) for r in results(out).values()) == [(4.0, 1), (8.0, 1)]
    assert [r["beta"] for r in table(out)] == ["4.0", "8.0"]

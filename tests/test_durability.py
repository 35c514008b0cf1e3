"""Killing a process in the middle of writing a checkpoint leaves the old file or the new one, never a broken one."""
import os
import signal
import subprocess
import sys
import time

from explorer.checkpoint import load_run, save_run
from explorer.trainer import train
from helpers import tiny_config

WRITER = """
import sys, torch
sys.path.insert(0, {tests!r})
from explorer.checkpoint import load_run, save_run
run = load_run({path!r})
i = 0
while True:  # rewrite the same file as fast as possible, each time with different weights
    i += 1
    with torch.no_grad():
        next(run.model.parameters()).fill_(float(i))
    run.metrics["version"] = i
    save_run(run, {path!r})
    if i == 1:
        print("ready", flush=True)  # the first save (and its imports) are done: now kill at random points
"""


def test_sigkill_during_repeated_saves_never_corrupts_the_file(tmp_path):
    path = tmp_path / "run.pt"
    save_run(train(tiny_config(steps=2), final_eval=False), path)
    original = float(next(load_run(path).model.parameters()).flatten()[0])
    versions = set()
    code = WRITER.format(tests=os.path.dirname(__file__), path=str(path))
    for delay in (0.05, 0.13, 0.21, 0.37):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        run = load_run(path)  # raises CheckpointError if the file were broken
        version = run.metrics.get("version")
        expected = original if version is None else float(version)
        assert float(next(run.model.parameters()).flatten()[0]) == expected  # weights and metadata agree
        versions.add(version)
    assert len(versions - {None}) >= 2  # the kills really landed during a stream of rewrites
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["run.pt"]


def test_the_next_save_sweeps_temporaries_left_by_killed_writers_but_not_fresh_ones(tmp_path):
    run = train(tiny_config(steps=1), final_eval=False)
    stale, fresh = tmp_path / ".run.pt.abc123.tmp", tmp_path / ".other.pt.def456.tmp"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"half a checkpoint")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    save_run(run, tmp_path / "run.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.def456.tmp", "run.pt"]  # a writer may still own it

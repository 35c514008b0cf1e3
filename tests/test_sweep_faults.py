"""Issue 26's sweep attacks: a killed sweep leaves no worker, one live trainer per run, results name their
weights by hash and damaged runs are set aside and retrained, every refusal is one line (docs/reliability.md)."""
import argparse
import hashlib
import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.sweep.engine import Summary, run_sweep
from explorer.sweep.files import DIGEST, write_json
from explorer.sweep.folder import run_state, run_folders
from explorer.sweep.grid import grid_from_args
from explorer.sweep.lock import FolderLock
from explorer.sweep.options import add_sweep_flags, options_from_args
from explorer.sweep.plan import make_plan
from explorer.sweep.worker import LEFT, run_one
from explorer.ui.sweeps import read_sweep
from test_sweep import TINY, results

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "checkpoints" / "sweeps"
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="the sweep extra (ray) is not installed")
#: How long a killed sweep's processes may take to go, on a loaded host (they normally go in about a second).
DEADLINE = 30
#: test_sweep's tiny runs, shorter still: what is checked here is the folder, not the numbers.
FAST = [*TINY, "--steps", "10", "--log-every", "5", "--eval-n", "100"]


class InProcess:
    """The local backend's contract with each run in this process, one after another: what the engine decides is
    the same, without an interpreter and torch start-up per run (the kill tests use the real processes)."""

    name, retries_deaths, startup_seconds = "local", False, 0.0

    def start(self) -> None:
        pass

    def run(self, tasks, done, tick) -> None:
        for task in tasks:
            began = time.perf_counter()
            outcome = run_one(task)
            done(task, LEFT if outcome["status"] == LEFT else None, time.perf_counter() - began)


def parse(out: Path, flags: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sweep_flags(parser)
    return parser.parse_args([*flags, "--out", str(out)])


def sweep_here(out: Path, flags: list[str]) -> tuple[Summary, str]:
    """(the summary, what it wrote on stderr) of a sweep call run in this process."""
    args, stream = parse(out, flags), io.StringIO()
    summary = run_sweep(grid_from_args(args), options_from_args(args), backend=InProcess(), stream=stream)
    return summary, stream.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def session(sid: int) -> list[str]:
    """The live processes of a session (zombies waiting for init are not alive)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        rest = text[text.rindex(")") + 2:].split()
        if int(rest[3]) == sid and rest[0] not in "ZX":
            alive.append(text[:text.rindex(")") + 1])
    return alive


def gone(sid: int) -> list[str]:
    """[] once every process of the session has ended, else what is still alive at the deadline."""
    deadline = time.time() + DEADLINE
    while session(sid) and time.time() < deadline:
        time.sleep(0.2)
    return session(sid)


def start_sweep(out: Path, *flags: str) -> subprocess.Popen:
    """A sweep in a session of its own, so that every process it starts can be found."""
    return subprocess.Popen([sys.executable, "-m", "explorer", "sweep", *flags, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_workers(out: Path, n: int, seconds: float = 120, exclude=()) -> list[int]:
    """The pids of ``n`` workers not in ``exclude``, from their notes (a worker writes one once it holds its run;
    one that ends removes it, so pids are gathered until ``n`` have been seen)."""
    deadline, seen = time.time() + seconds, []
    while time.time() < deadline:
        for path in out.glob("*/.worker"):
            try:
                pid = json.loads(path.read_text())["pid"]
            except (OSError, ValueError, KeyError):
                continue
            if pid not in exclude and pid not in seen:
                seen.append(pid)
        if len(seen) >= n:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{n} workers never started")


def assert_each_trained_once(out: Path, n: int) -> None:
    runs = results(out)
    assert len(runs) == n and {r["status"] for r in runs.values()} == {"completed"}
    assert [r["attempts"] for r in runs.values()] == [1] * n
    for key, r in runs.items():
        assert r[DIGEST] == sha256(out / key / "checkpoint.pt")  # the weights are the ones this result scored
    assert not list(out.glob("*/damaged-*")) and not list(out.glob("*/.*"))


def test_a_killed_sweep_leaves_no_worker_and_a_rerun_trains_each_run_once(tmp_path):
    out, flags = tmp_path / "sweep", [*FAST, "--seeds", "0,1"]
    seen: list[int] = []
    for sig in (signal.SIGKILL, signal.SIGTERM):
        proc = start_sweep(out, *flags)
        try:  # every run without a result gets a worker (on a slow host one may have finished before a kill)
            seen += wait_for_workers(out, 2 - len(results(out)), exclude=seen)
            os.kill(proc.pid, sig)
            _, stderr = proc.communicate(timeout=60)
            assert gone(proc.pid) == [], sig  # the engine and every worker it started
        finally:
            proc.kill()
    # SIGTERM unwound: workers stopped, the table written, one line said so
    assert proc.returncode == 128 + signal.SIGTERM
    assert stderr.splitlines()[-1].startswith("sweep: terminated (SIGTERM)") and (out / "results.csv").exists()
    summary, _ = sweep_here(out, flags)
    assert summary.completed == 2 and summary.failed == summary.left == 0
    assert_each_trained_once(out, 2)


@needs_ray
def test_sigkill_of_a_ray_sweep_leaves_nothing_of_its_ray_instance(tmp_path):
    out = tmp_path / "sweep"
    proc = start_sweep(out, *FAST, "--steps", "100000", "--seeds", "0,1", "--backend", "ray")
    try:
        wait_for_workers(out, 2, seconds=180)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert gone(proc.pid) == []  # gcs_server, raylet, the agents and both tasks
    finally:
        proc.kill()


def test_damaged_runs_are_set_aside_and_retrained_and_nothing_else_is(tmp_path):
    out, flags = tmp_path / "sweep", [*FAST, "--beta", "1,4", "--seeds", "0,1"]
    sweep_here(out, flags)
    garbage, deleted, truncated, kept = run_folders(out)
    old = {f: sha256(f / "checkpoint.pt") for f in (garbage, deleted, truncated)}
    (garbage / "checkpoint.pt").write_bytes(os.urandom(4096))
    (deleted / "checkpoint.pt").unlink()
    text = (truncated / "result.json").read_text()
    (truncated / "result.json").write_text(text[: len(text) // 2])
    legacy = json.loads((kept / "result.json").read_text())
    write_json(kept / "result.json", {k: v for k, v in legacy.items() if k != DIGEST})  # as written before issue 26
    before = {p: p.stat().st_mtime_ns for p in kept.iterdir()}

    notes = read_sweep(out).notes  # the Sweep page's reader says what the engine will
    why = {
        garbage.name: "checkpoint.pt does not match the sha256 its result.json records",
        deleted.name: "its result.json records checkpoint.pt, which is missing",
        truncated.name: "its result.json is not valid JSON",
    }
    assert sorted(n.split()[1] for n in notes) == sorted(why) and all(why[n.split()[1]] in n for n in notes)
    rows = read_sweep(out).runs.set_index("key")
    assert rows["opens"].to_dict() == {k: k == kept.name for k in rows.index}  # the truncated run has no row

    summary, err = sweep_here(out, flags)
    lines = [line for line in err.splitlines() if "needs retraining" in line]
    assert len(lines) == 3 and all(why[line.split()[2]] in line and "damaged-" in line for line in lines)
    assert (summary.trained, summary.completed) == (3, 4)
    for folder in (garbage, deleted, truncated):
        (aside,) = folder.glob("damaged-*")  # nothing is deleted to repair: the old files are kept aside
        assert why[folder.name] in (aside / "why.txt").read_text()
        r = json.loads((folder / "result.json").read_text())
        assert r["status"] == "completed" and r[DIGEST] == sha256(folder / "checkpoint.pt")
        assert (aside / "checkpoint.pt").exists() == (folder != deleted)
    (aside,) = truncated.glob("damaged-*")
    assert sha256(aside / "checkpoint.pt") == old[truncated] and (aside / "result.json").read_text() == text[: len(text) // 2]
    assert {p: p.stat().st_mtime_ns for p in kept.iterdir()} == before  # the whole run was not touched
    assert read_sweep(out).notes == []


def test_results_without_a_hash_are_checked_by_their_views_or_as_a_whole_checkpoint(tmp_path):
    for folder in (f for sweep in SHIPPED.iterdir() for f in run_folders(sweep)):  # shipped before the hash
        assert run_state(folder)[1] is None, folder
    checkpoint = next(SHIPPED.glob("*/*/checkpoint.pt"))
    record = json.loads((checkpoint.parent / "result.json").read_text())
    assert DIGEST not in record
    run = tmp_path / record["key"]
    run.mkdir()
    write_json(run / "result.json", record)
    (run / "checkpoint.pt").write_bytes(checkpoint.read_bytes())
    assert run_state(run)[1] is None  # no views: a whole zip archive is trusted
    (run / "checkpoint.pt").write_bytes(checkpoint.read_bytes()[:-100])
    assert run_state(run)[1] == f"run {run.name} needs retraining: checkpoint.pt is not a readable checkpoint"
    (run / "checkpoint.views.npz").write_bytes(checkpoint.with_name("checkpoint.views.npz").read_bytes())
    assert run_state(run)[1].endswith("checkpoint.pt does not match the sha256 its views were drawn from")


def test_a_run_held_by_a_live_trainer_is_left_to_it(tmp_path, monkeypatch):
    out, flags = tmp_path / "sweep", [*FAST, "--seeds", "0,1", "--keep-weights", "none"]  # who trains
    key = make_plan(grid_from_args(parse(out, flags)), out, options_from_args(parse(out, flags))).keys[0]
    (out / key).mkdir(parents=True)
    with FolderLock(out / key / ".lock", remove=True):  # what a worker holds while it trains
        summary, err = sweep_here(out, flags)
        assert f"sweep: run {key} is being trained by another live process; left to it" in err
        assert (summary.trained, summary.completed, summary.failed, summary.left) == (1, 1, 0, 1)
        assert "1 left to another process still training them" in summary.line()
        assert not (out / key / "result.json").exists()  # nobody trained it beside its trainer
        monkeypatch.setattr("explorer.sweep.plan.held", lambda path: False)  # as if it were free when planned:
        (task,) = make_plan(grid_from_args(parse(out, flags)), out, options_from_args(parse(out, flags))).tasks
        assert run_one(task)["status"] == LEFT and not (out / key / "result.json").exists()  # the worker leaves it


def _ray_running() -> bool:
    """Whether a Ray instance (its gcs_server) runs on this machine."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"gcs_server" in cmdline.read_bytes():
                return True
        except OSError:  # it ended meanwhile
            pass
    return False


def _not_ray(port_holder: list) -> socket.socket:
    """A server that answers like a web server, not like Ray's gRPC."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    port_holder.append(server.getsockname()[1])
    return server


def _file_under(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("")
    return tmp_path / "a-file" / "sweep"


@pytest.mark.parametrize("flags, words", [
    (lambda t: ["--out", str(_file_under(t))], "a-file/sweep lies under"),
    (lambda t: ["--out", "/proc/explorer-sweep"], "--out /proc/explorer-sweep cannot be written: /proc takes no"),
    (lambda t: ["--seeds=-1", "--out", str(t / "s")], "--seeds takes whole numbers from 0 to 4294967295; got -1"),
    (lambda t: ["--seeds", "0,4294967296", "--out", str(t / "s")], "got 4294967296"),
    (lambda t: ["--seeds", "1.5", "--out", str(t / "s")], "--seed: invalid int value: '1.5'"),
    (lambda t: ["--seeds", "0,,1", "--out", str(t / "s")], "--seed has an empty value"),
], ids=["out-under-a-file", "out-in-proc", "seed-negative", "seed-too-big", "seed-not-whole", "seed-empty"])
def test_each_refusal_is_one_line_with_exit_code_2(tmp_path, capfd, flags, words):
    assert main(["sweep", "--steps", "2", *flags(tmp_path)]) == 2
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and words in captured.err, captured.err
    assert not (tmp_path / "s").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_out_is_one_line(tmp_path, capfd):
    out = tmp_path / "ro"
    out.mkdir(mode=0o555)
    assert main(["sweep", "--steps", "2", "--out", str(out)]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "cannot be written" in err and "Permission denied" in err


def test_a_damaged_sweep_json_says_what_is_damaged(tmp_path, capfd):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text('{"version": 1, "axes": {"seed": [0')
    assert main(["sweep", "--steps", "2", "--eval-n", "100", "--out", str(out)]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "sweep.json is not valid JSON" in err and "move it aside" in err, err
    (out / "sweep.json").write_text('{"version": 1, "axes": ["seed"]}')
    assert main(["sweep", "--steps", "2", "--eval-n", "100", "--out", str(out)]) == 2
    assert "sweep.json lacks its axes or base" in capfd.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".lock", "sweep.json"]


@needs_ray
@pytest.mark.parametrize("address, words", [
    ("not-ray", "answers, but not as a Ray cluster"),
    ("auto", "--address auto found no Ray cluster running on this machine"),
    ("ray://127.0.0.1:1", "uses Ray Client, which is not installed"),
])
def test_ray_address_problems_are_one_line_on_stderr(tmp_path, address, words):
    if address == "ray://127.0.0.1:1" and importlib.util.find_spec("grpc") is not None:
        pytest.skip("ray[client] is installed")
    if address == "auto" and _ray_running():
        pytest.skip("a Ray instance runs on this machine: auto would join it")
    port = []
    server = _not_ray(port) if address == "not-ray" else None
    address = f"127.0.0.1:{port[0]}" if server else address
    try:
        done = subprocess.run([sys.executable, "-m", "explorer", "sweep", *FAST, "--backend", "ray",
                               "--address", address, "--out", str(tmp_path / "s")], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    finally:
        if server:
            server.close()
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ") and words in done.stderr and not (tmp_path / "s").exists()

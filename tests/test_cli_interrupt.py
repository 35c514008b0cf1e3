"""Ctrl-C during ``train``: the first keeps the run so far (saved as cancelled, never over another file), a second
quits at once; either way one line, no traceback. Each case waits for what the command prints, not for a time."""
import os
import signal
import subprocess
import sys
from pathlib import Path

from explorer.checkpoint import load_run, save_run
from explorer.outputs import save_trained
from explorer.trainer import train

from helpers import tiny_config

ROOT = Path(__file__).resolve().parents[1]
#: a tiny run that would take hours: only Ctrl-C ends it
ENDLESS = ["--latent-dim", "3", "--decoder", "conv", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2",
           "--steps", "1000000"]


def _start(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "explorer", "train", *ENDLESS, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _read_until(stream, text: str) -> str:
    """What ``stream`` gives up to and including ``text`` (the progress bar redraws with '\\r', so bytes, not lines)."""
    seen = b""
    while text.encode() not in seen:
        chunk = stream.read1(4096)
        assert chunk, f"the command ended before printing {text!r}: {seen.decode()[-300:]!r}"
        seen += chunk
    return seen.decode()


def test_the_first_ctrl_c_stops_after_the_step_and_saves_the_run_so_far_as_cancelled(tmp_path):
    out = tmp_path / "run.pt"
    proc = _start(out)
    _read_until(proc.stderr, "step 2")  # training, past its first history points
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=600)
    stdout, stderr = stdout.decode(), stderr.decode()
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "stopping after this step" in stderr
    assert stdout.startswith("cancelled: ") and "stopped by the user after" in stdout and f"saved {out}" in stdout
    run = load_run(out)
    assert run.status == "cancelled" and 2 <= run.metrics["steps"] < 1_000_000


def test_a_second_ctrl_c_quits_at_once_in_one_line_and_saves_nothing(tmp_path):
    out = tmp_path / "run.pt"
    proc = _start(out)
    _read_until(proc.stderr, "step 2")
    proc.send_signal(signal.SIGINT)
    _read_until(proc.stderr, "Ctrl-C again")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode() and "interrupted (Ctrl-C)" in stderr.decode()
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_a_run_that_did_not_complete_never_replaces_the_file_already_there(tmp_path):
    config = tiny_config(steps=6)
    out = save_run(train(config, final_eval=False), tmp_path / "run.pt")
    before = out.read_bytes()
    stopped = train(config, final_eval=False, stop=lambda: True)
    assert stopped.status == "cancelled"
    elsewhere = save_trained(stopped, out, force=False)
    assert elsewhere != out and out.read_bytes() == before
    assert load_run(elsewhere).status == "cancelled"
    elsewhere.unlink()

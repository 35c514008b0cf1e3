"""`streamlit run app.py` on a free loopback port, as a context manager (browser tests and the load bench)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_mb(pid: int, field: str) -> float | None:
    """A memory field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``) in MB; None where the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def process_rss_mb(pid: int) -> float:
    """Resident memory now of ``pid`` alone (Linux /proc), in MB; 0 where it is gone."""
    return status_mb(pid, "VmRSS") or 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident memory now of ``pid`` and all its descendants (Linux /proc), in MB."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += process_rss_mb(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


@dataclass
class AppServer:
    url: str
    pid: int
    #: the largest summed resident memory of the server and its children (trainings run in a child) seen so far
    tree_peak_mb: float = 0.0
    #: the largest resident memory of the server process alone seen so far (sampled like the tree's)
    server_peak_mb: float = 0.0

    def peak_rss_mb(self) -> float | None:
        """The server process's peak resident memory (Linux VmHWM), or None where /proc is not there."""
        return status_mb(self.pid, "VmHWM")

    def sample_tree(self) -> None:
        """Add up the current resident memory of the server and its descendants; keep the peak."""
        self.tree_peak_mb = max(self.tree_peak_mb, tree_rss_mb(self.pid))
        self.server_peak_mb = max(self.server_peak_mb, process_rss_mb(self.pid))

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server process has used so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None


@contextmanager
def running_app(env: dict[str, str] | None = None, start_timeout: float = 60.0,
                cwd: str | Path | None = None) -> Iterator[AppServer]:
    """A headless app server for the duration of the block; ``env`` adds variables (e.g. EXPLORER_MAX_TRAININGS);
    ``cwd`` serves another checkout's app.py (a worktree of an older commit), default this repository."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=cwd or ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    done = threading.Event()
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start on {url} (exit code {proc.poll()})") from None
                time.sleep(0.5)
        server = AppServer(url, proc.pid)

        def sample() -> None:
            while not done.wait(0.25):
                server.sample_tree()

        threading.Thread(target=sample, daemon=True).start()
        yield server
    finally:
        done.set()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

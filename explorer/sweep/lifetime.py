"""A sweep's processes end with it: what SIGKILL or SIGTERM of ``python -m explorer sweep`` leaves behind.

SIGKILL (``kill -9``, the OOM killer, the end of ``timeout -s KILL``) runs no code in the engine, so every
process it started must notice on its own: a local worker asks the kernel for SIGKILL when its parent ends
(Linux ``PR_SET_PDEATHSIG``; elsewhere a thread watches its parent), a Ray task watches its driver when it
runs on the driver's host. SIGTERM (``timeout``, systemd, ``docker stop``) is turned into an exception in
the engine, so its ``finally`` blocks run: workers are stopped, Ray is shut down and results.csv written.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

#: The environment variable that tells a local worker its engine's pid.
PARENT = "EXPLORER_SWEEP_PARENT"
#: How often a watching thread looks for the process it watches.
WATCH_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class Terminated(SystemExit):
    """The engine received SIGTERM: unwinds like Ctrl-C, and the process exits 128 + 15."""


_received: list[int] = []


def terminated() -> int | None:
    """The exit code SIGTERM asked for, once it arrived (Ray's waits turn the exception into SystemExit(1))."""
    return _received[-1] if _received else None


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends, including by SIGKILL."""
    if not _parent_death_signal(signal.SIGKILL):
        exit_when(lambda: os.getppid() != parent)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


def _parent_death_signal(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of a process (Linux /proc), None when it is gone or unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    rest = text[text.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[19])


def start_time(pid: int) -> int | None:
    """When a process started (None when it is gone, or without /proc): a pid and this name one process."""
    stat = proc_stat(pid)
    return stat[1] if stat else None


def exit_when(gone, seconds: float = WATCH_SECONDS) -> None:
    """A daemon thread that ends this process at once (``os._exit``) when ``gone()`` becomes true."""
    def watch() -> None:
        while not gone():
            time.sleep(seconds)
        os._exit(1)

    threading.Thread(target=watch, name="sweep-watchdog", daemon=True).start()


def _raise_terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    _received.append(128 + signum)
    raise Terminated(128 + signum)


def arm_sigterm() -> None:
    """Make SIGTERM raise Terminated in the main thread (again: ``ray.init`` installs its own handler)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


@contextmanager
def sigterm_unwinds():
    """Within this block SIGTERM raises Terminated (main thread only); the old handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    arm_sigterm()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)

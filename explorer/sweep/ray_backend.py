"""The Ray backend: each run a Ray core task (``num_cpus=1``) executing the local backend's ``run_one``.

A task is one slot whatever the run's ``--threads`` (one by default): the worker computes with the run's own
count, so a sweep of ``--threads 2`` should ask for half as many workers.

With a CUDA device each task also asks for a share of a GPU (``num_gpus``, :func:`gpu_share`): ``workers``
tasks spread evenly over the GPUs Ray sees, several to a GPU when there are more workers than GPUs (the runs
are small); without ``workers`` (a cluster's own count) one GPU each. On the CPU a task asks for no GPU.

Without an address Ray starts a quiet local instance with ``workers`` CPUs; with one it joins a
running cluster (``ray start --head`` elsewhere), and every node writes its runs straight into the
sweep folder, which must therefore be on storage every node sees. Ray re-runs a task whose worker
process or node died (``max_retries``) once while attempts allow; the worker counts that re-run
as an attempt of its own (explorer.sweep.worker.claim). Ray is an optional extra, imported only here.

When the driver (the sweep) ends: SIGTERM and Ctrl-C unwind into ``ray.shutdown()``; after SIGKILL a task
on the driver's host ends itself, and a reaper process the driver started kills what remains of its local
Ray instance (Ray's own agents outlive their raylet for minutes). Ray's messages to the driver (a worker
died …) go to stderr, and joining a cluster prints one line of our own when it fails, not Ray's log.
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from .lifetime import exit_when, proc_stat, start_time
from .worker import LEFT, Task

EXTRA = "pip install -r requirements-sweep.txt"
#: The client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS) answers with SETTINGS.
_HTTP2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_SETTINGS = 4
_REAPER = "from explorer.sweep.ray_backend import reaper_main; reaper_main()"
_watched: set[int] = set()


def _ray():
    try:
        import ray
    except ImportError:
        raise ValueError(f"the Ray backend needs the sweep extra, which is not installed: {EXTRA}") from None
    return ray


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not minutes of Ray's own retries, when nothing listens at a plain host:port or
    what answers is not a gRPC server (Ray's GCS speaks gRPC)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # ray://…, "auto" and the like: Ray's own checks apply
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as conn:
            reply = b""
            if not os.environ.get("RAY_USE_TLS"):
                conn.sendall(_HTTP2_HELLO)
                with contextlib.suppress(OSError):
                    while len(reply) < 9 and (chunk := conn.recv(9 - len(reply))):
                        reply += chunk
    except OSError as exc:
        raise ValueError(f"no Ray cluster answers at {address} ({exc.__class__.__name__}); start one with "
                         f"`ray start --head` there, or leave out --address for a local instance") from None
    if not os.environ.get("RAY_USE_TLS") and (len(reply) < 9 or reply[3] != _SETTINGS):
        raise ValueError(f"{address} answers, but not as a Ray cluster (no gRPC server there); give the address "
                         f"`ray start --head` printed (port 6379 unless --port said otherwise)")


def _join_error(address: str, exc: Exception) -> str:
    """One line for a cluster that could not be joined, naming the likely cause."""
    text = (str(exc).strip().splitlines() or [""])[0]
    if address.startswith("ray://") and "ray[client]" in text:
        return (f"--address {address} uses Ray Client, which is not installed (pip install 'ray[client]'); "
                f"or give the cluster's host:6379 instead")
    if address == "auto" and isinstance(exc, ConnectionError):
        return ("--address auto found no Ray cluster running on this machine; start one with `ray start --head`, "
                "or leave out --address for a local instance")
    hint = ""
    if "://" not in address and os.environ.get("RAY_AUTH_MODE") is None:  # it answered as gRPC: likely a token
        hint = " (a cluster from `ray start` uses token authentication: set RAY_AUTH_MODE=token, docs/sweeps.md)"
    return f"could not join the Ray cluster at {address}: {exc.__class__.__name__}: {text[:200]}{hint}"


@contextlib.contextmanager
def _quiet_native_stderr():
    """Ray's C++ client logs its retries straight to file descriptor 2: kept out of the terminal here."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _execute(task: Task) -> dict:
    from .worker import run_one

    host, pid, started = (*task.driver, None, None, None)[:3]
    # a task on the driver's host ends when the driver is gone; the start time tells the driver from a process
    # that has its number in another pid namespace (a container with the host's name)
    if host == socket.gethostname() and pid not in _watched and started is not None and start_time(pid) == started:
        _watched.add(pid)
        exit_when(lambda: start_time(pid) != started)
    return run_one(task)


def descendants(root: int) -> list[tuple[int, int]]:
    """(pid, start time) of every process below ``root``; empty where there is no /proc."""
    children: dict[int, list[tuple[int, int]]] = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    for pid in pids:
        stat = proc_stat(pid)
        if stat:
            children.setdefault(stat[0], []).append((pid, stat[1]))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


def reaper_main() -> None:
    """Read (pid, start time) lists of the driver's Ray processes from stdin until the driver ends (EOF), then
    kill those still running, and what they started: whatever ended the driver, its Ray instance ends too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a SIGTERM to the whole group: the driver shuts Ray down
    known: dict[int, int] = {}
    for line in sys.stdin:
        with contextlib.suppress(ValueError, TypeError):
            known.update({int(pid): int(start) for pid, start in json.loads(line)})
    doomed = [(pid, start) for pid, start in known.items() if start_time(pid) == start]
    for pid, _ in list(doomed):
        doomed += descendants(pid)
    for pid, start in doomed:
        if start_time(pid) == start:  # not a new process that reuses the number
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


class _Reaper:
    """The driver's side: starts the reaper and tells it which processes are its local Ray instance's."""

    def __init__(self):
        self.sent: set = set()
        self.proc = subprocess.Popen([sys.executable, "-c", _REAPER], stdin=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": _pythonpath()})

    def update(self) -> None:
        mine = {p for p in descendants(os.getpid()) if p[0] != self.proc.pid}
        if mine - self.sent:
            self.sent |= mine
            with contextlib.suppress(OSError):
                self.proc.stdin.write((json.dumps(sorted(mine)) + "\n").encode())
                self.proc.stdin.flush()

    def close(self) -> None:
        """After ray.shutdown: the reaper kills any straggler and exits."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


def gpu_share(gpus: float, workers: int | None) -> float:
    """The ``num_gpus`` of one task: an even share of ``gpus`` among ``workers`` tasks at once, at most one GPU
    (Ray counts GPU fractions in steps of 1/10,000, so a share is rounded down to one)."""
    if not workers:
        return 1.0
    return max(1e-4, min(1.0, math.floor(gpus / workers * 1e4) / 1e4))


def _pythonpath() -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)


def _local_gpus() -> int:
    """The GPUs torch sees here, for a local Ray instance (its own detection may miss them)."""
    import torch

    return torch.cuda.device_count()


class RayBackend:
    name = "ray"
    retries_deaths = True  # Ray re-runs the task itself

    def __init__(self, workers: int | None, address: str | None, max_attempts: int, device: str = "cpu"):
        self.ray = _ray()
        self.workers, self.address, self.max_attempts = workers, address, max_attempts
        #: options.sweep_device's name: "cpu", "cuda", or (joining a cluster) "auto"; start() settles it
        self.device = device
        self.num_gpus = 0.0  # per task
        self.startup_seconds = 0.0
        self.reaper = None

    def start(self) -> None:
        """Start or join Ray (before the engine writes anything); ValueError (one line) when it cannot."""
        clock = time.perf_counter()
        if self.address:
            _reachable(self.address)
        quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
        env = {"env_vars": {"OMP_NUM_THREADS": "1"}}
        if self.address:
            try:
                with _quiet_native_stderr():
                    self.ray.init(address=self.address, runtime_env=env, **quiet)
            except Exception as exc:  # ConnectionError, a timeout, a version mismatch with the cluster …
                raise ValueError(_join_error(self.address, exc)) from None
        else:
            if sys.platform.startswith("linux"):
                self.reaper = _Reaper()
            gpus = {"num_gpus": _local_gpus()} if self.device == "cuda" else {}
            try:
                self.ray.init(num_cpus=self.workers, runtime_env=env, include_dashboard=False, **quiet, **gpus)
            except Exception as exc:
                self._close_reaper()
                first = (str(exc).strip().splitlines() or [""])[0][:200]
                raise ValueError(f"could not start a local Ray instance: {exc.__class__.__name__}: {first}") from None
            if self.reaper:
                self.reaper.update()
        try:
            self._settle_device()
        except ValueError:
            self.ray.shutdown()
            self._close_reaper()
            raise
        self.startup_seconds = time.perf_counter() - clock

    def _settle_device(self) -> None:
        """The device every task gets and its GPU share, from the GPUs Ray sees; ``cuda`` without any is refused."""
        if self.device == "cpu":
            return
        gpus = float(self.ray.cluster_resources().get("GPU", 0))
        if not gpus and self.device == "cuda":
            where = f"the Ray cluster at {self.address}" if self.address else "the local Ray instance"
            raise ValueError(f"--device cuda: {where} has no GPU; give --device cpu or auto")
        self.device = "cuda" if gpus else "cpu"
        self.num_gpus = gpu_share(gpus, self.workers) if gpus else 0.0

    def run(self, tasks: list[Task], done, tick) -> None:
        """Submit ``tasks`` (at most ``workers`` in flight when that is set) and report each as it ends, as the
        local backend does (``seconds`` counts from submission: a task queued by the cluster waits in it)."""
        ray = self.ray
        remote = ray.remote(num_cpus=1)(_execute)
        queue, running = list(tasks), {}
        try:
            with contextlib.redirect_stdout(sys.stderr):  # Ray prints "A worker died …" blocks to stdout
                self._run(ray, remote, queue, running, done, tick)
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            ray.shutdown()
            self._close_reaper()

    def _close_reaper(self) -> None:
        if self.reaper is not None:
            self.reaper.close()
            self.reaper = None

    def _run(self, ray, remote, queue: list, running: dict, done, tick) -> None:
        while queue or running:
            while queue and (self.workers is None or len(running) < self.workers):
                task = replace(queue.pop(0), device=self.device)
                retries = 1 if task.attempt < self.max_attempts else 0
                gpu = {"num_gpus": self.num_gpus} if self.num_gpus else {}
                ref = remote.options(max_retries=retries, retry_exceptions=False, **gpu).remote(task)
                running[ref] = (task, time.perf_counter())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in ready:
                task, began = running.pop(ref)
                try:
                    died = LEFT if ray.get(ref).get("status") == LEFT else None
                except Exception as exc:  # WorkerCrashedError, NodeDiedError, OutOfMemoryError …
                    died = f"worker died: {exc.__class__.__name__}"
                again = done(task, died, time.perf_counter() - began)
                if again is not None:
                    queue.insert(0, again)
            tick(len(running))
            if self.reaper:
                self.reaper.update()

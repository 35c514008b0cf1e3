"""Train in a child process, with the same callbacks as ``explorer.trainer.train``.

The app's default (EXPLORER_TRAIN_IN=process). The child's OpenMP threads spin only briefly before
they sleep at a barrier: long spins stall on a peer preempted by the server, the browser or a second
training, while sleeping at once costs a training alone a little (bench/results/omp_wait.md). The
separate interpreter shares no lock with the page's reruns. The child gets the config, trains, and
sends back the history at each log point, throttled step reports, and at the end the weights,
history and metrics, from which the parent rebuilds the same ``Run``.
"""
from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
import time

from typing import TYPE_CHECKING

from .config import RunConfig
from .framing import end_child, receive as _receive, send as _send

if TYPE_CHECKING:
    from .run import Run

#: Step reports are relayed at most this often (phase changes always); a step takes tens of ms.
STEP_REPORT_SECONDS = 0.25
#: How often the parent checks ``stop()`` while it waits for a message (a dead child shows as end-of-output).
_POLL_SECONDS = 0.1
#: The app's training device (explorer.device: auto, cpu, cuda, cuda:N), resolved in the child: no torch here.
DEVICE_ENV = "EXPLORER_TRAIN_DEVICE"


def train_device() -> str:
    """The device name the app's trainings ask for (``$EXPLORER_TRAIN_DEVICE``, default auto), unresolved."""
    return os.environ.get(DEVICE_ENV, "auto")


def child_environment() -> dict[str, str]:
    """The environment of a child that runs torch beside the server (a training, a views computation)."""
    from .omp import wait_policy

    return {**wait_policy(os.environ), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def train_in_process(config: RunConfig, on_progress=None, stop=None, on_step=None, views: bool = False, out=None,
                     device: str | None = None) -> "Run":
    """``train(config, …)`` run in a fresh ``python -m explorer.train_process``; ``stop()`` is polled here
    and passed on. The child computes with the run's own thread count (explorer.threads); with ``views`` the
    child also computes the run's views (``explorer.views.job_views``) and the run comes back with them; with
    ``out`` the child saves the weights there and the run comes back without a model (``Run.checkpoint``);
    ``device`` (None: :func:`train_device`) is resolved by the child. Raises RuntimeError with the child's own
    message if it fails (a device it does not have included), or if it dies without a result.

    A plain subprocess, not multiprocessing: spawn would re-import the server's ``__main__``."""
    child = subprocess.Popen([sys.executable, "-m", "explorer.train_process"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=child_environment())
    messages: queue.Queue = queue.Queue()
    threading.Thread(target=_relay, args=(child.stdout, messages), daemon=True, name="train-relay").start()
    try:
        _send(child.stdin, {"config": config.to_dict(), "views": views,
                            "out": str(out) if out is not None else None,
                            "device": device if device is not None else train_device()})
        cancelled = False
        while True:
            if not cancelled and stop is not None and stop():
                cancelled = True
                _send(child.stdin, "stop")
            try:
                kind, payload = messages.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if kind == "step" and on_step is not None:
                on_step(*payload)
            elif kind == "progress" and on_progress is not None:
                from .run import Run

                history, fraction = payload
                on_progress(Run(config=config, model=None, history=history), fraction)
            elif kind == "done":
                return _rebuild(config, payload)
            elif kind == "error":
                raise RuntimeError(payload)
            elif kind == "eof":
                raise RuntimeError(f"the training process exited with code {child.wait()} without a result")
    finally:
        end_child(child, timeout=10)


def _relay(stream, messages: queue.Queue) -> None:
    """Read the child's messages into a queue (a thread: reads block)."""
    try:
        while True:
            messages.put(_receive(stream))
    except (EOFError, OSError, pickle.UnpicklingError):
        messages.put(("eof", None))


def _rebuild(config: RunConfig, payload: dict) -> "Run":
    from .run import Run

    if payload.get("checkpoint"):  # the weights stay in their file: no torch in this process
        return Run(config=config, model=None, history=payload["history"], metrics=payload["metrics"],
                   status=payload["status"], reason=payload["reason"], views=payload.get("views"),
                   checkpoint=payload["checkpoint"])
    from .models import build_model

    model = build_model(config.model)
    model.load_state_dict(payload["state"])
    model.eval()
    return Run(config=config, model=model, history=payload["history"], metrics=payload["metrics"],
               status=payload["status"], reason=payload["reason"], views=payload.get("views"))


def _child() -> None:
    """The child's whole life: read the job, train (reporting as it goes), send the result or the error.
    Messages go to the real stdout; anything else that prints goes to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer
    lock = threading.Lock()

    def send(message) -> None:
        with lock:
            _send(out, message)

    try:
        job = _receive(inp)
        stop = threading.Event()

        def listen() -> None:  # "stop", or the parent closing our input, or dying
            try:
                while _receive(inp) != "stop":
                    pass
            except (EOFError, OSError):
                pass
            stop.set()

        threading.Thread(target=listen, daemon=True).start()
        from .device import resolve
        from .threads import use
        from .trainer import train

        config = RunConfig.from_dict(job["config"])
        use(config.train.threads)  # the run's own count, for its views as well as its training
        device = resolve(job.get("device") or "auto", what=DEVICE_ENV)
        last = [0.0, None]

        def on_step(step: int, fraction: float, phase: str) -> None:
            now = time.perf_counter()
            if phase != last[1] or now - last[0] >= STEP_REPORT_SECONDS or fraction >= 1.0:
                last[0], last[1] = now, phase
                send(("step", (step, fraction, phase)))

        def on_progress(run, fraction: float) -> None:
            send(("progress", (run.history, fraction)))  # pickled at once: a snapshot, no copy needed

        run = train(config, on_progress=on_progress, stop=stop.is_set, on_step=on_step,
                    device=device)
        views = None
        if job.get("views"):  # what the pages will show, drawn here so the server never decodes for a visitor
            from .views import job_views

            on_step(int(run.metrics.get("steps") or 0), 1.0, "drawing")
            views = job_views(run)
        result = {"history": run.history, "metrics": run.metrics, "status": run.status, "reason": run.reason,
                  "views": views}
        if job.get("out"):  # the weights go to a file, not back through the pipe into the parent
            from .checkpoint import save_run

            result["checkpoint"] = str(save_run(run, job["out"]))
        else:
            result["state"] = run.model.state_dict()
        send(("done", result))
    except BaseException as exc:  # the parent re-raises it with this message
        send(("error", f"{exc.__class__.__name__}: {exc}"))
    finally:
        out.close()
        sys.stderr.flush()
        os._exit(0)  # not a normal shutdown: the listening thread may be blocked reading our input


if __name__ == "__main__":
    _child()

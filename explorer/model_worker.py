"""A long-lived child process that holds the models, so a server that shows pages never imports torch.

The slider editor encodes and decodes on every slider move, and Compare may draw a traversal from a
start the stored views do not hold. Doing that in the server would load torch into it for the rest of
its life; here torch lives in one ``python -m explorer.model_worker`` child, started on first use and
stopped after ``IDLE_SECONDS`` without a request, so a quiet demo gives its memory back. A server's
trainings leave their weights in a file this process reads; a run trained inside the server
(``EXPLORER_TRAIN_IN=thread``) is answered in-process by the same code (:func:`answer`).

Requests are ``(op, source, args)``; ``source`` names a checkpoint by path and the sha256 the caller
checked, and the child refuses a file whose bytes changed since.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict

import numpy as np

from .framing import end_child, receive, send

#: a worker with no request for this long exits; the next request starts a fresh one (a few seconds)
IDLE_SECONDS = float(os.environ.get("EXPLORER_MODEL_IDLE_SECONDS", "600"))
MAX_MODELS = 8


class WorkerError(RuntimeError):
    """A request the model process could not answer; the message is one line for the page, ``kind`` the class
    of the exception the child raised (so a caller can say what went wrong as it would in-process)."""

    def __init__(self, message: str, kind: str = "WorkerError"):
        super().__init__(message)
        self.kind = kind


def answer(run, op: str, args: dict, datasets: dict | None = None):
    """What ``op`` asks of ``run`` (an ``explorer.run.Run`` with its model); the same in the child and in-process."""
    from .views import draw_code, encode_picture, start_code, traversal_view

    if op == "describe":
        from .pictures import picture_note

        return {"config": run.config.to_dict(), "metrics": dict(run.metrics),
                "latent_dim": int(run.model.encoder.latent_dim), "picture_note": picture_note(run.model)}
    if op == "encode":
        return encode_picture(run.model, args["image"])
    if op == "decode":
        return draw_code(run.model, args["code"])
    dataset = _dataset(run.config.train, datasets)
    if op == "images":
        return dataset.images(np.asarray(args["indices"], dtype=np.int64) % dataset.n_images)
    if op == "encode_index":
        return start_code(run.model, dataset, args["index"])
    if op == "code_ranges":
        from .code_ranges import model_code_ranges

        lo, hi = model_code_ranges(run.model, dataset, args["kind"])
        return [float(v) for v in lo], [float(v) for v in hi]
    if op == "traversal":
        start = args["start"]
        grid, values, info = traversal_view(run.model, dataset, start, args["kind"])
        image = dataset.images(np.array([start % dataset.n_images], dtype=np.int64))[0, 0] if start is not None else None
        return {"grid": grid.astype(np.float16), "values": values, "samples": int(info.get("samples", 0)),
                "start_image": image}
    raise WorkerError(f"unknown request {op!r}")


def dsprites_images(indices) -> np.ndarray:
    """(N, 1, 64, 64) dSprites images (the procedural set, indices wrapped): the editor's pictures need no run."""
    from .data import ProceduralDSprites

    dataset = ProceduralDSprites()
    return dataset.images(np.asarray(indices, dtype=np.int64) % dataset.n_images)


def _dataset(train, datasets: dict | None):
    """The dataset a run names, kept in ``datasets`` (a rendered set builds its tables once)."""
    from .data import dataset_of

    key = (train.dataset, train.npz_path, train.data_root)
    if datasets is None:
        return dataset_of(train)
    if key not in datasets:
        datasets[key] = dataset_of(train)
    return datasets[key]


class ModelWorker:
    """The server's handle on the child: one request at a time, started on demand, stopped when idle."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS):
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._last_use = 0.0
        self.starts = 0

    @property
    def running(self) -> bool:
        """Whether a child is up now (the next request then needs no start, which takes seconds)."""
        return self._child is not None and self._child.poll() is None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self.running else None

    def call(self, op: str, source: dict | None, **args):
        """The child's answer to ``op`` on the checkpoint ``source`` names (None: no checkpoint); WorkerError
        with the child's one-line reason, or saying the process died (the next call starts a new one)."""
        with self._lock:
            for attempt in (1, 2):
                child = self._start()
                if not send(child.stdin, (op, source, args)):  # it died while idle: start again, once
                    self._stop()
                    continue
                try:
                    kind, value = receive(child.stdout)
                except (EOFError, OSError):
                    code = child.wait()
                    self._stop()
                    raise WorkerError(f"the model process exited (code {code}) while answering {op!r}") from None
                self._last_use = time.monotonic()
                if kind == "error":
                    raise WorkerError(*value)
                return value
            raise WorkerError("the model process could not be started")

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _start(self) -> subprocess.Popen:
        if self.running:
            return self._child
        from .train_process import child_environment

        self._child = subprocess.Popen([sys.executable, "-m", "explorer.model_worker"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, env=child_environment())
        self.starts += 1
        self._last_use = time.monotonic()
        threading.Thread(target=self._stop_when_idle, args=(self._child,), daemon=True, name="model-idle").start()
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        end_child(child, timeout=5)
        child.stdout.close()

    def _stop_when_idle(self, child: subprocess.Popen) -> None:
        while child.poll() is None:
            time.sleep(min(5.0, max(self.idle_seconds / 4, 0.05)))
            idle = time.monotonic() - self._last_use >= self.idle_seconds
            if idle and self._child is child and self._lock.acquire(blocking=False):
                try:
                    if self._child is child:
                        self._stop()
                finally:
                    self._lock.release()
                return


def _serve() -> None:
    """The child: answer requests until the server closes our input (or dies). Answers go to the real
    stdout; anything else that prints goes to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer
    models: OrderedDict = OrderedDict()
    datasets: dict = {}
    while True:
        try:
            op, source, args = receive(inp)
        except (EOFError, OSError):
            break
        try:
            if source is None:
                if op != "images":
                    raise WorkerError(f"{op!r} needs a checkpoint")
                value = dsprites_images(args["indices"])
            else:
                value = answer(_model(models, source), op, args, datasets)
            reply = ("ok", value)
        except Exception as exc:  # one line back to the page; the worker lives on
            reply = ("error", (_one_line(exc), exc.__class__.__name__))
        if not send(out, reply):
            break
    out.close()


def _model(models: OrderedDict, source: dict):
    """The run at ``source['path']``, loaded once per file version; refuses bytes other than those checked."""
    from .checkpoint import load_run
    from .provenance import file_sha256

    key = (source["path"], source["sha256"])
    if key not in models:
        if source["sha256"] and file_sha256(source["path"]) != source["sha256"]:
            raise WorkerError(f"{os.path.basename(source['path'])} changed after it was checked; reload the page")
        models[key] = load_run(source["path"])
        while len(models) > MAX_MODELS:
            models.popitem(last=False)
    models.move_to_end(key)
    return models[key]


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if isinstance(exc, WorkerError) else f"{exc.__class__.__name__}: {text}"


if __name__ == "__main__":
    _serve()

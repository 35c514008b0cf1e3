"""One run of a sweep, the same on every backend: train, score on the fresh sample, write the folder.

``run_one(task)`` is what a local worker process and a Ray task both execute. It trains on one
thread (so a step budget gives the same weights, hence the same metrics, whichever backend or worker
ran it, busy or not; another CPU may round differently), scores the
run with ``evaluate_run`` on ``FRESH.for_seed(seed)``, writes the checkpoint when it is kept and
``result.json`` last (naming the checkpoint's sha256), so a folder with a result.json is always a whole
run. It holds the run folder's lock while it works: a run another live process trains is left to it, and
a run whose files are damaged has them moved aside before it trains again. An exception becomes a
``failed`` record with a one-line reason; a killed process writes nothing and its engine records it.
"""
from __future__ import annotations

import datetime as _dt
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .. import metric_registry as registry
from .files import CHECKPOINT, DIGEST, FINAL, MARKER, RESULT, VERSION, read_json, write_json
from .folder import run_state, set_aside
from .lock import LOCK, FolderLock, Held

#: The metrics result.json carries (docs/sweeps.md): the registry's sweep metrics kept in "metrics".
HEADLINE = registry.keys(registry.SWEEP, source="metrics")
#: The status of an execution that trained nothing because another live process owns the run.
LEFT = "left"


@dataclass(frozen=True)
class Task:
    """Everything a worker needs, picklable and self-contained (a Ray node has nothing else)."""

    out: str            # the sweep folder, absolute
    key: str
    config: dict        # RunConfig.to_dict() of the normalised config
    swept: dict
    command: str
    attempt: int
    dispatch: str       # a token per dispatch: a re-execution of the same dispatch means its worker died
    keep_weights: bool
    eval_n: int
    backend: str
    damaged: str = ""   # the one line why its files are set aside before it trains (docs/sweeps.md)
    driver: tuple = ()  # (hostname, pid, start time) of the engine: a task on that host ends when it is gone
    device: str = "cpu"  # explorer.device's name, resolved by the worker (options.sweep_device)


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def one_thread() -> None:
    """One intra-op thread until the run's own count is known: N workers on N cores do not fight."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def record(task: Task, attempt: int, status: str, reason: str = "", **rest) -> dict:
    """A result.json object; a failed one has no metrics, history or checkpoint."""
    return {"version": VERSION, "key": task.key, "status": status, "reason": reason, "attempts": attempt,
            "swept": task.swept, "config": task.config, "command": task.command,
            "metrics": rest.get("metrics", {}), "metrics_sample": rest.get("metrics_sample"),
            "history": rest.get("history", {}), "timings": rest.get("timings", {}),
            "host": rest.get("host", {"hostname": socket.gethostname(), "backend": task.backend}),
            "checkpoint": rest.get("checkpoint"), DIGEST: rest.get(DIGEST)}


def claim(task: Task) -> int:
    """Write the worker note; return this execution's attempt number.

    A note left by the same dispatch means an earlier execution of it died (Ray re-ran the task
    after a system failure), which counts as an attempt of its own.
    """
    folder = Path(task.out) / task.key
    earlier = read_json(folder / MARKER) or {}
    attempt = task.attempt
    if earlier.get("dispatch") == task.dispatch:
        attempt = max(attempt, int(earlier.get("attempt", 0)) + 1)
    note(task, attempt, step=0)
    return attempt


def note(task: Task, attempt: int, step: int) -> None:
    write_json(Path(task.out) / task.key / MARKER,
               {"pid": os.getpid(), "host": socket.gethostname(), "attempt": attempt, "dispatch": task.dispatch,
                "step": step, "updated": now()})


def run_one(task: Task) -> dict:
    """Train, score and write one run; return ``{"status", "reason", "attempt"}`` (status LEFT: not trained,
    another live process owns the run or finished it meanwhile)."""
    one_thread()
    folder = Path(task.out) / task.key
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FolderLock(folder / LOCK, remove=True):
            before, damaged = run_state(folder)
            if before is not None and before.get("status") in FINAL and not damaged:
                return {"status": LEFT, "reason": "another process finished it meanwhile", "attempt": task.attempt}
            if damaged:
                set_aside(folder, damaged)
            attempt = claim(task)
            try:
                result = _train_and_score(task, attempt)
            except Exception as exc:  # any failure of this run is its own, recorded, never the sweep's
                result = record(task, attempt, "failed", _one_line(exc), timings={"finished": now()})
            write_json(folder / RESULT, result)
    except Held:
        return {"status": LEFT, "reason": "another live process is training it", "attempt": task.attempt}
    return {"status": result["status"], "reason": result["reason"], "attempt": attempt}


def _train_and_score(task: Task, attempt: int) -> dict:
    import torch

    from ..checkpoint import save_run
    from ..config import RunConfig
    from ..data import load_dataset
    from ..device import describe, resolve
    from ..evaluation import evaluate_run
    from ..protocols import FRESH, SWEEP_FRESH
    from ..threads import use
    from ..trainer import train

    config = RunConfig.from_dict(task.config)
    t = config.train
    use(t.threads)  # the run's own count for its training, scores and views alike (the default is one_thread's)
    started = now()
    device = resolve(task.device)
    dataset = load_dataset(t.dataset, t.npz_path, t.data_root, t.download)
    clock = time.perf_counter()
    run = train(config, dataset=dataset, final_eval=False, device=device,
                on_progress=lambda r, _: note(task, attempt, int(r.last("step") or 0)))
    train_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    sample = {"samples": task.eval_n, "seed": FRESH.for_seed(t.seed).seed}
    scores = evaluate_run(run, dataset, n=sample["samples"], seed=sample["seed"], device=device)
    eval_seconds = time.perf_counter() - clock
    measured = {**scores, "steps": run.metrics["steps"]}
    run.metrics.update(scores)
    views_seconds = digest = None
    if task.keep_weights:  # the pages show the run from its views, drawn here once (without the slow scores)
        from ..provenance import file_sha256
        from ..views import write_views

        checkpoint = save_run(run, Path(task.out) / task.key / CHECKPOINT)
        digest = file_sha256(checkpoint)
        clock = time.perf_counter()
        write_views(run, dataset, checkpoint, {"name": SWEEP_FRESH, **sample}, extra=False)
        views_seconds = round(time.perf_counter() - clock, 3)
    metrics = {k: measured.get(k) for k in HEADLINE}
    host = {"hostname": socket.gethostname(), "backend": task.backend, "torch": str(torch.__version__),
            "threads": torch.get_num_threads(), "device": describe(device)}
    timings = {"train_seconds": round(train_seconds, 3), "eval_seconds": round(eval_seconds, 3),
               **({"views_seconds": views_seconds} if views_seconds is not None else {}),
               "started": started, "finished": now()}
    return record(task, attempt, run.status, run.reason, metrics=metrics, metrics_sample=sample, history=run.history,
                  timings=timings, host=host, checkpoint=CHECKPOINT if task.keep_weights else None,
                  **{DIGEST: digest})


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = f"{exc.__class__.__name__}: {lines[0]}" if lines else exc.__class__.__name__
    return text if len(text) <= 300 else text[:299] + "…"

"""The model side of the pages: images encoded and decoded by a run's model. No torch in this module.

The models live in one model process (explorer.model_worker), started when the slider editor or a
traversal from another start first needs one, so the server that shows pages never loads torch. A
run trained on this server left its weights in a file for it; one trained inside the server (thread mode)
is answered in-process by the same code.
Answers are cached per exact request (cache_data), keyed by the weights' version.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import streamlit as st

from ..config import RunConfig
from ..model_worker import ModelWorker, WorkerError, answer
from . import runs


@st.cache_resource
def worker() -> ModelWorker:
    """One model process per server, shared by every session (requests take turns)."""
    return ModelWorker()


def loading_text() -> str:
    """What the page says while it waits for its first answer."""
    if worker().running:
        return "Loading the model…"
    return "Starting the model process (torch loads once, a few seconds; this page's server never loads it)…"


@dataclass
class ModelRun:
    """A run the pages can encode and decode with: its settings and scores here, its model in the model
    process (``source`` names the checked file) or, for a run trained on this server, in ``local``."""

    ref: str
    config: RunConfig
    metrics: dict
    latent_dim: int
    picture_note: str
    source: dict | None = None
    local: object | None = field(default=None, repr=False)

    def ask(self, op: str, **args):
        if self.local is not None:
            return answer(self.local, op, args)
        return worker().call(op, self.source, **args)


def get_run(ref: str) -> tuple[ModelRun | None, str | None]:
    """The run a reference names, ready to encode and decode, or a one-line reason why it cannot be."""
    kind = ref.partition(":")[0]
    run, source, reason = _weights(ref)
    if reason:
        return None, reason
    if run is not None:
        about = answer(run, "describe", {})
        return ModelRun(ref, run.config, dict(run.metrics), about["latent_dim"], about["picture_note"], local=run), None
    try:
        about = _describe(source["path"], source["sha256"])
    except WorkerError as exc:
        return None, str(exc)
    # a sweep run's result.json holds the fresh sample's scores (the worker saves them in both), so the
    # editor and Compare show the same numbers; what the checkpoint holds wins
    result = runs.sweeps.read_json(Path(source["path"]).parent / "result.json") if kind == "s" else None
    scored = result.get("metrics") if isinstance(result, dict) else None
    metrics = {**(scored if isinstance(scored, dict) else {}), **about["metrics"]}
    return ModelRun(ref, RunConfig.from_dict(about["config"]), metrics, about["latent_dim"], about["picture_note"],
                    source=source), None


def _weights(ref: str):
    """(a run with its model in this process, None, None), (None, the model process's source: its weights file
    and their sha256, None) or (None, None, why not)."""
    kind, _, name = ref.partition(":")
    if kind == "j":
        job = runs.job_manager().get(name)
        if job is None or job.run is None:
            return None, None, runs.views_for(ref).error or f"run {name!r} has no weights on this server"
        if job.run.model is not None:  # trained inside the server (EXPLORER_TRAIN_IN=thread)
            return job.run, None, None
        if not job.run.checkpoint or not Path(job.run.checkpoint).is_file():
            return None, None, f"run {name!r} has no weights on this server"
        path = Path(job.run.checkpoint)
    else:
        path, reason = runs.checkpoint_of(ref)
        if path is None:
            return None, None, reason
    return None, {"path": str(path), "sha256": runs.sha256_of(path) or ""}, None


@st.cache_data(max_entries=32, show_spinner=False)
def _describe(path: str, sha256: str) -> dict:
    return worker().call("describe", {"path": path, "sha256": sha256})


def dataset_images(indices: list[int], run: ModelRun | None = None) -> np.ndarray:
    """(N, 1, 64, 64) images of the run's dataset (dSprites without a run); indices wrap to its size."""
    key = tuple(int(i) for i in indices)
    if run is None:
        return _dsprites(key)
    return _images(run.ref, runs.run_version(run.ref), key, run)


@st.cache_data(max_entries=64, show_spinner=False)
def _dsprites(indices: tuple[int, ...]) -> np.ndarray:
    return worker().call("images", None, indices=list(indices))


@st.cache_data(max_entries=64, show_spinner=False)
def _images(ref: str, version: str, indices: tuple[int, ...], _run: ModelRun) -> np.ndarray:
    return _run.ask("images", indices=list(indices))


def encode(run: ModelRun, image: np.ndarray) -> np.ndarray:
    """The posterior mean (D,) of one (64, 64) picture."""
    return _encode(run.ref, runs.run_version(run.ref), np.asarray(image, dtype=np.float32).tobytes(), run)


@st.cache_data(max_entries=64, show_spinner=False)
def _encode(ref: str, version: str, image: bytes, _run: ModelRun) -> np.ndarray:
    return _run.ask("encode", image=np.frombuffer(image, dtype=np.float32).reshape(64, 64))


def cached_decode(ref: str, code: tuple[float, ...], run: ModelRun) -> np.ndarray:
    """One picture for the slider editor, cached by the exact code (a mean of samples for AR decoders)."""
    return _decode(ref, runs.run_version(ref), code, run)


@st.cache_data(max_entries=128, show_spinner=False)
def _decode(ref: str, version: str, code: tuple[float, ...], _run: ModelRun) -> np.ndarray:
    return _run.ask("decode", code=list(code))


def cached_code_ranges(ref: str, kind: str, run: ModelRun) -> tuple[list[float], list[float]]:
    """(lo, hi) per latent dimension for ``kind`` (explorer.code_ranges), from the run's own dataset."""
    return _code_ranges(ref, runs.run_version(ref), kind, run)


@st.cache_data(max_entries=64, show_spinner=False)
def _code_ranges(ref: str, version: str, kind: str, _run: ModelRun) -> tuple[list[float], list[float]]:
    return _run.ask("code_ranges", kind=kind)


def traversal_work(ref: str, start: int | None, kind: str):
    """A function that draws a traversal from another start or over another range than the stored views'
    (seconds; minutes for an autoregressive decoder), for ``background``; or a one-line reason it cannot.

    The run is found here, in the script thread; the work itself calls no Streamlit cache."""
    run, source, reason = _weights(ref)
    if reason:
        return None, reason
    if run is not None:
        return (lambda: answer(run, "traversal", {"start": start, "kind": kind})), None
    pool = worker()
    return (lambda: pool.call("traversal", source, start=start, kind=kind)), None


__all__ = ["ModelRun", "WorkerError", "cached_code_ranges", "cached_decode", "dataset_images", "encode", "get_run",
           "loading_text", "traversal_work", "worker"]

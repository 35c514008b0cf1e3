"""The model side of the pages: weights loaded, images encoded and decoded. Imports torch.

Only pages that encode or decode on request import this (the slider editor; Compare when a
traversal starts somewhere other than the stored views' start), and they say so while it loads.
Models are cached per reference and weights (cache_resource), pictures per exact request (cache_data).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from ..checkpoint import CheckpointError, load_run
from ..code_ranges import model_code_ranges
from ..data import ProceduralDSprites, dataset_of, load_dataset
from ..run import Run
from ..views import draw_code, start_code, traversal_view
from . import runs


@st.cache_resource(max_entries=8)
def _load(path: str, sha256: str) -> Run:
    """A checkpoint, once per file version; a sweep run gets the metrics only its result.json holds (the
    worker saves the fresh sample's scores in both, so the editor and Compare show the same numbers)."""
    run = load_run(path)
    result = runs.sweeps.read_json(Path(path).parent / "result.json")
    scored = result.get("metrics") if isinstance(result, dict) else None
    run.metrics = {**(scored if isinstance(scored, dict) else {}), **run.metrics}
    return run


def get_run(ref: str) -> tuple[Run | None, str | None]:
    """The run (with its model) a reference names, or a one-line reason why it cannot be loaded."""
    kind, _, name = ref.partition(":")
    if kind == "j":
        job = runs.job_manager().get(name)
        if job is None or job.run is None:
            return None, runs.views_for(ref).error
        return job.run, None
    path, reason = runs.checkpoint_of(ref)
    if path is None:
        return None, reason
    try:
        return _load(str(path), runs.sha256_of(path) or ""), None
    except (CheckpointError, OSError) as exc:
        return None, str(exc)


@st.cache_resource(max_entries=4)
def _dataset(name: str, npz_path: str | None, root: str):
    return load_dataset(name, npz_path, root)


def run_dataset(run: Run):
    """The dataset a run was trained on: every view of the run draws its images from it."""
    t = run.config.train
    return _dataset(t.dataset, t.npz_path, t.data_root)


def dataset_images(indices: list[int], run: Run | None = None) -> np.ndarray:
    """(N, 1, 64, 64) images of the run's dataset (dSprites without a run); indices wrap to its size."""
    dataset = run_dataset(run) if run is not None else ProceduralDSprites()
    return dataset.images(np.asarray(indices, dtype=np.int64) % dataset.n_images)


def traversal_work(ref: str, start: int | None, kind: str):
    """A function that draws a traversal from another start or over another range than the stored views'
    (seconds; minutes for an autoregressive decoder), for ``background``; or a one-line reason it cannot.

    The weights are found here, in the script thread; the work itself calls no Streamlit cache."""
    kind_, _, name = ref.partition(":")
    if kind_ == "j":
        job = runs.job_manager().get(name)
        run = job.run if job is not None else None
        if run is None or run.model is None:
            return None, f"run {name!r} has no weights on this server"
        load = lambda: run  # noqa: E731
    else:
        path, reason = runs.checkpoint_of(ref)
        if path is None:
            return None, reason
        load = lambda: load_run(path)  # noqa: E731

    def work() -> dict:
        model_run = load()
        dataset = dataset_of(model_run.config.train)
        grid, values, info = traversal_view(model_run.model, dataset, start, kind)
        image = dataset.images(np.array([start % dataset.n_images], dtype=np.int64))[0, 0] if start is not None else None
        return {"grid": grid.astype(np.float16), "values": values, "samples": int(info.get("samples", 0)),
                "start_image": image}
    return work, None


def encode_index(run: Run, index: int) -> np.ndarray:
    return start_code(run.model, run_dataset(run), index)


def cached_decode(ref: str, code: tuple[float, ...], run: Run) -> np.ndarray:
    """One picture for the slider editor, cached by the exact code (a mean of samples for AR decoders)."""
    return _decode(ref, runs.run_version(ref), code, run)


@st.cache_data(max_entries=128, show_spinner=False)
def _decode(ref: str, version: str, code: tuple[float, ...], _run: Run) -> np.ndarray:
    return draw_code(_run.model, code)


def cached_code_ranges(ref: str, kind: str, run: Run) -> tuple[list[float], list[float]]:
    """(lo, hi) per latent dimension for ``kind`` (explorer.code_ranges), from the run's own dataset."""
    return _code_ranges(ref, runs.run_version(ref), kind, run)


@st.cache_data(max_entries=64, show_spinner=False)
def _code_ranges(ref: str, version: str, kind: str, _run: Run) -> tuple[list[float], list[float]]:
    lo, hi = model_code_ranges(_run.model, run_dataset(_run), kind)
    return [float(v) for v in lo], [float(v) for v in hi]

"""Which runs a server can show, and cached access to them.

A run is named by a short reference that fits in a URL: ``g:<name>`` for a gallery
checkpoint shipped in checkpoints/, ``j:<id>`` for a run trained on this server (alive
while the server lives). Everything expensive is cached: models (cache_resource),
traversal grids, editor decodes (cache_data).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from ..checkpoint import CheckpointError, load_run
from ..data import ProceduralDSprites
from ..data.dsprites_grid import FACTOR_NAMES
from ..evaluation import evaluate
from ..jobs import JobManager
from ..run import Run
from ..traversal import row_labels, traversal_grid

GALLERY_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
MAX_TRAININGS = int(os.environ.get("EXPLORER_MAX_TRAININGS", "1"))
MAX_KEPT_RUNS = int(os.environ.get("EXPLORER_MAX_KEPT_RUNS", "12"))


@st.cache_resource
def job_manager() -> JobManager:
    """One process-wide manager: every session sees the same jobs."""
    return JobManager(max_concurrent=MAX_TRAININGS, max_finished=MAX_KEPT_RUNS)


@st.cache_data(ttl=60)
def gallery_index() -> list[dict]:
    path = GALLERY_DIR / "index.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["runs"]


@st.cache_resource(max_entries=32)
def _gallery_run(name: str, mtime: float) -> Run:
    entry = next(e for e in gallery_index() if e["name"] == name)
    return load_run(GALLERY_DIR / entry["file"])


def available_runs() -> dict[str, str]:
    """reference -> label, gallery first, then this server's finished runs (newest last)."""
    runs = {f"g:{e['name']}": f"{e['title']} [gallery]" for e in gallery_index()}
    for job in job_manager().jobs():
        if job.run is not None and job.state in ("completed", "cancelled"):
            o = job.config.objective
            runs[f"j:{job.id}"] = (f"trained here: β={o.beta:g}, {job.config.model.decoder}, {o.schedule}"
                                   f", free bits {o.free_bits:g} [{job.state}, {job.id}]")
    return runs


def get_run(ref: str) -> tuple[Run | None, str | None]:
    """The run a reference names, or a one-line reason why it cannot be shown."""
    kind, _, name = ref.partition(":")
    if kind == "g":
        entry = next((e for e in gallery_index() if e["name"] == name), None)
        if entry is None:
            return None, f"there is no gallery run called {name!r}"
        path = GALLERY_DIR / entry["file"]
        try:
            return _gallery_run(name, path.stat().st_mtime), None
        except (CheckpointError, OSError) as exc:
            return None, str(exc)
    if kind == "j":
        job = job_manager().get(name)
        if job is None:
            return None, f"run {name!r} is not on this server (runs trained here live only while the server runs)"
        if job.run is None:
            return None, f"run {name!r} is still training"
        return job.run, None
    return None, f"{ref!r} is not a run reference"


def factor_names(run: Run) -> tuple[str, ...] | None:
    return FACTOR_NAMES if run.config.train.dataset == "dsprites" else None


@st.cache_data(max_entries=64, show_spinner=False)
def cached_grid(ref: str, start_index: int | None, _run: Run) -> tuple[np.ndarray, list[str], dict]:
    """Traversal grid (float16 to keep the cache small), row labels and decode info."""
    z0 = None
    if start_index is not None:
        z0 = encode_index(_run, start_index)
    grid, info = traversal_grid(_run.model, z0=z0)
    return grid.astype(np.float16), row_labels(_run.metrics, factor_names(_run)), info


def dataset_images(indices: list[int]) -> np.ndarray:
    return ProceduralDSprites().images(np.asarray(indices, dtype=np.int64))


def encode_index(run: Run, index: int) -> np.ndarray:
    x = torch.from_numpy(dataset_images([index]))
    return run.model.encode_mean(x)[0].numpy()


@st.cache_data(max_entries=512, show_spinner=False)
def cached_decode(ref: str, code: tuple[float, ...], _run: Run) -> np.ndarray:
    """One decoded image for the slider editor, cached by the exact code."""
    probs, _ = _run.model.decode(torch.tensor([code], dtype=torch.float32))
    return probs[0, 0].numpy()


#: A fixed, varied set of dSprites images for the reconstruction rows (one per shape, several scales/positions).
RECON_INDICES = (12345, 98765, 245760 + 40960 * 3 + 1024 * 7 + 32 * 20 + 9, 491520 + 40960 * 5 + 1024 * 13 + 32 * 5 + 25,
                 600000, 700001, 333333, 150000)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_reconstructions(ref: str, indices: tuple[int, ...], _run: Run) -> np.ndarray:
    x = torch.from_numpy(dataset_images(list(indices)))
    probs, _ = _run.model.decode(_run.model.encode_mean(x))
    return probs[:, 0].numpy().astype(np.float16)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_full_metrics(ref: str, _run: Run) -> dict:
    """DCI, SAP and the FactorVAE score on a fresh 5,000-image sample (tens of seconds; cached per run)."""
    out = evaluate(_run.model, ProceduralDSprites(), n=5000, seed=7, recon_samples=0, full=True)
    return {k: out[k] for k in ("dci_disentanglement", "dci_completeness", "dci_informativeness", "dci_model",
                                "sap", "factor_vae", "factor_vae_active_dims") if k in out}

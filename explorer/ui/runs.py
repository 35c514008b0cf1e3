"""Which runs a server can show, and cached access to them.

A run is named by a short reference that fits in a URL: ``g:<name>`` for a gallery
checkpoint shipped in checkpoints/, ``j:<id>`` for a run trained on this server (alive
while the server lives), ``s:<sweep>/<key>`` for a run of a sweep folder that kept its
weights. Everything expensive is cached: models (cache_resource), traversal grids, editor
decodes (cache_data), each keyed by the reference and its ``run_version``.
"""
from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from ..checkpoint import CheckpointError, load_run
from ..provenance import file_sha256
from ..code_ranges import model_code_ranges
from ..data import ProceduralDSprites, load_dataset
from ..data.dsprites_grid import FACTOR_NAMES
from ..jobs import JobManager
from ..run import Run
from ..train_process import train_in_process
from ..traversal import row_labels
from ..views import (DEFAULT_RANGE, RECON_INDICES, START_INDEX, draw_code, extra_scores, factor_means, kl_split, load_pictures,
                     reconstruction_view, start_code, traversal_view, usage_view)
from . import sweeps
from .figures_factors import latent_factor_figure

GALLERY_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
MAX_TRAININGS = int(os.environ.get("EXPLORER_MAX_TRAININGS", "1"))
MAX_KEPT_RUNS = int(os.environ.get("EXPLORER_MAX_KEPT_RUNS", "12"))
#: torch threads per training on this server (0: torch's default, one per core); bench.app_speed
TRAIN_THREADS = int(os.environ.get("EXPLORER_TRAIN_THREADS", "0"))
#: "process" (a child process per training: it shares no interpreter lock with the page reruns) or
#: "thread" (inside the server, as before); bench.app_speed measures both
TRAIN_IN = os.environ.get("EXPLORER_TRAIN_IN", "process")


@st.cache_resource
def job_manager() -> JobManager:
    """One process-wide manager: every session sees the same jobs."""
    if TRAIN_IN == "thread":
        return JobManager(max_concurrent=MAX_TRAININGS, max_finished=MAX_KEPT_RUNS, threads=TRAIN_THREADS or None)
    return JobManager(max_concurrent=MAX_TRAININGS, max_finished=MAX_KEPT_RUNS,
                      trainer=partial(train_in_process, threads=TRAIN_THREADS or None))


@st.cache_data(ttl=60)
def gallery_index() -> list[dict]:
    path = GALLERY_DIR / "index.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["runs"]


@st.cache_resource(max_entries=8)
def _gallery_run(name: str, mtime: float) -> Run:
    """A gallery checkpoint, refused with one line unless its bytes are the ones the index vouches for."""
    entry = next(e for e in gallery_index() if e["name"] == name)
    path = GALLERY_DIR / entry["file"]
    expected = (entry.get("provenance") or {}).get("sha256")
    if expected and file_sha256(path) != expected:
        raise CheckpointError(f"{entry['file']} is not the file the gallery index records (sha256 differs); "
                              "it was changed or replaced, so it is not shown")
    return load_run(path)


def available_runs() -> dict[str, str]:
    """reference -> label, gallery first, then this server's finished runs (newest last)."""
    runs = {f"g:{e['name']}": f"{e['title']} [gallery]" for e in gallery_index()}
    for job in job_manager().jobs():
        if job.run is not None and job.state in ("completed", "cancelled"):
            o = job.config.objective
            runs[f"j:{job.id}"] = (f"trained here: β={o.beta:g}, {job.config.model.decoder}, {o.schedule}"
                                   f", free bits {o.free_bits:g} [{job.state}, {job.id}]")
    for sweep_name, path in sweeps.find_sweeps()[0].items():
        sweep = load_sweep(path)
        for row in sweep.runs.to_dict("records"):
            if row.get("weights"):
                runs[f"s:{sweep_name}/{row['key']}"] = (f"sweep {sweep_name}: {sweeps.run_label(sweep, row)} "
                                                        f"[{row['status']}, {row['key']}]")
    return runs


def load_sweep(path: Path) -> sweeps.Sweep:
    """A sweep folder, read again only when one of its files changed (the signature is a few stats)."""
    return _sweep(str(path), sweeps.signature(path))


@st.cache_data(max_entries=16, show_spinner=False)
def _sweep(path: str, signature: tuple) -> sweeps.Sweep:
    return sweeps.read_sweep(Path(path), reader=_result)


@st.cache_data(max_entries=4096, show_spinner=False)
def _result(path: str, mtime_ns: int, size: int) -> dict | str:
    """One result.json, parsed once per version of the file (a sweep adds runs one at a time)."""
    return sweeps.read_result(path)


@st.cache_resource(max_entries=8)
def _sweep_run(path: str, mtime: int) -> Run:
    """The weights, with the metrics only result.json holds (scored on the sweep's fresh sample) filled in."""
    run = load_run(path)
    result = sweeps.read_json(Path(path).parent / "result.json")
    scored = result.get("metrics") if isinstance(result, dict) else None
    run.metrics = {**(scored if isinstance(scored, dict) else {}), **run.metrics}
    return run


def _sweep_checkpoint(name: str) -> tuple[Path | None, str | None]:
    """``<sweep>/<key>`` -> its checkpoint file, or a one-line reason there is none."""
    sweep_name, _, key = name.rpartition("/")
    path = sweeps.find_sweeps()[0].get(sweep_name)
    if path is None:
        return None, f"there is no sweep called {sweep_name!r}"
    rows = [r for r in load_sweep(path).runs.to_dict("records") if r["key"] == key]
    if not rows:
        return None, f"sweep {sweep_name!r} has no readable run {key!r}"
    if not rows[0]["weights"]:
        command = rows[0]["command"] or "(no command recorded)"
        return None, f"this sweep kept no weights for run {key}; retrain it with: {command}"
    return path / key / str(rows[0]["checkpoint"]), None


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
    if kind == "s":
        path, reason = _sweep_checkpoint(name)
        if path is None:
            return None, reason
        try:
            return _sweep_run(str(path), path.stat().st_mtime_ns), None
        except (CheckpointError, OSError) as exc:
            return None, str(exc)
    return None, f"{ref!r} is not a run reference"


def factor_names(run: Run) -> tuple[str, ...] | None:
    return FACTOR_NAMES if run.config.train.dataset == "dsprites" else None


def run_version(ref: str) -> str:
    """What makes a reference's weights unique: the gallery or sweep file's mtime, or when a server run finished.

    Every cached picture is keyed by ``ref`` *and* this, so a configuration trained again under the
    same job id can never be shown with the old weights' pictures.
    """
    kind, _, name = ref.partition(":")
    if kind == "g":
        entry = next((e for e in gallery_index() if e["name"] == name), None)
        path = GALLERY_DIR / entry["file"] if entry else None
        return f"{path.stat().st_mtime_ns}" if path and path.exists() else ""
    if kind == "s":
        path = _sweep_checkpoint(name)[0]
        return f"{path.stat().st_mtime_ns}" if path and path.exists() else ""
    job = job_manager().get(name) if kind == "j" else None
    return f"{job.finished}" if job is not None else ""


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


def _stored(ref: str) -> dict | None:
    """A gallery run's shipped default view (autoregressive runs only), else None."""
    kind, _, name = ref.partition(":")
    entry = next((e for e in gallery_index() if e["name"] == name), None) if kind == "g" else None
    return load_pictures(GALLERY_DIR / entry["file"]) if entry else None


@st.cache_data(max_entries=24, show_spinner=False)
def cached_grid(ref: str, version: str, start: int | None, kind: str, _run: Run) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    """Traversal grid (float16 to keep the cache small), the swept values, row labels and decode info."""
    labels = row_labels(_run.metrics, factor_names(_run))
    stored = _stored(ref) if (start, kind) == (START_INDEX, DEFAULT_RANGE) else None
    if stored is not None and int(stored["start"]) == START_INDEX and str(stored["range"]) == kind:
        return stored["traversal"], stored["values"], labels, {"samples": int(stored["samples"]), "stored": True}
    grid, values, info = traversal_view(_run.model, run_dataset(_run), start, kind)
    return grid.astype(np.float16), values, labels, info


@st.cache_data(max_entries=24, show_spinner=False)
def cached_reconstructions(ref: str, version: str, _run: Run) -> np.ndarray:
    """(N, S, 64, 64) what the decoder draws from each of the RECON_INDICES images' codes."""
    stored = _stored(ref)
    if stored is not None and tuple(stored["recon_indices"].tolist()) == RECON_INDICES:
        return stored["recon"].astype(np.float16)
    return reconstruction_view(_run.model, run_dataset(_run)).astype(np.float16)


@st.cache_data(max_entries=24, show_spinner=False)
def cached_usage(ref: str, version: str, _run: Run) -> tuple[np.ndarray, np.ndarray]:
    """z-usage maps (float16) and per-image totals of the RECON_INDICES images."""
    maps, totals = usage_view(_run.model, run_dataset(_run))
    return maps.astype(np.float16), totals


def encode_index(run: Run, index: int) -> np.ndarray:
    return start_code(run.model, run_dataset(run), index)


def cached_decode(ref: str, code: tuple[float, ...], run: Run) -> np.ndarray:
    """One picture for the slider editor, cached by the exact code (a mean of samples for AR decoders)."""
    return _decode(ref, run_version(ref), code, run)


@st.cache_data(max_entries=128, show_spinner=False)
def _decode(ref: str, version: str, code: tuple[float, ...], _run: Run) -> np.ndarray:
    return draw_code(_run.model, code)


def cached_code_ranges(ref: str, kind: str, run: Run) -> tuple[list[float], list[float]]:
    """(lo, hi) per latent dimension for ``kind`` (explorer.code_ranges), from the run's own dataset."""
    return _code_ranges(ref, run_version(ref), kind, run)


@st.cache_data(max_entries=64, show_spinner=False)
def _code_ranges(ref: str, version: str, kind: str, _run: Run) -> tuple[list[float], list[float]]:
    lo, hi = model_code_ranges(_run.model, run_dataset(_run), kind)
    return [float(v) for v in lo], [float(v) for v in hi]


@st.cache_data(max_entries=12, show_spinner=False)
def cached_latent_factors(ref: str, version: str, dims: tuple[int, ...], labels: tuple[str, ...], _run: Run):
    """The latent-vs-factor figure of the chosen latents (explorer.latent_factors), built once per run and rows."""
    return latent_factor_figure(factor_means(_run.model), list(dims), list(labels), title="")


def cached_full_metrics(ref: str, run: Run) -> dict:
    """DCI, SAP and the FactorVAE score of a run on its own dataset (tens of seconds; cached per run)."""
    return _full_metrics(ref, run_version(ref), run)


@st.cache_data(max_entries=32, show_spinner=False)
def _full_metrics(ref: str, version: str, _run: Run) -> dict:
    return extra_scores(_run.model, run_dataset(_run))


def cached_kl_split(ref: str, run: Run) -> dict:
    """The final code's KL split three ways (explorer.views.kl_split; about a second per run, cached)."""
    return _kl_split(ref, run_version(ref), run)


@st.cache_data(max_entries=32, show_spinner=False)
def _kl_split(ref: str, version: str, _run: Run) -> dict:
    return kl_split(_run.model, run_dataset(_run))

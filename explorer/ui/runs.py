"""Which runs a server can show, and their views: read from files, never computed on a visitor's request.

A run is named by a short reference that fits in a URL: ``g:<name>`` for a gallery
checkpoint shipped in checkpoints/, ``j:<id>`` for a run trained on this server (alive
while the server lives), ``s:<sweep>/<key>`` for a run of a sweep folder. What a page shows of
a run is its ``RunViews`` (explorer.view_data), stored beside the weights; a run whose views are
missing or stale gets them computed in the background (a ``python -m explorer views`` child, so
this server never loads torch to show a page) while the page says so. No torch in this module:
the model-side calls (the editor's decodes, a traversal from another start) are in ``run_models``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import streamlit as st

from ..config import FACTOR_NAMES
from ..gallery_index import GalleryRecord, read_index
from ..jobs import JobManager
from ..sweep.files import CHECKPOINT
from ..sweep.folder import run_state, sha256_of  # one hash per file version, shared with the sweep's own checks
from ..view_data import RunViews, ViewsError, load_views, views_path
from . import sweeps
from .background import Task, background

GALLERY_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
MAX_TRAININGS = int(os.environ.get("EXPLORER_MAX_TRAININGS", "1"))
MAX_KEPT_RUNS = int(os.environ.get("EXPLORER_MAX_KEPT_RUNS", "12"))
#: "process" (a child process per training: it shares no interpreter lock with the page reruns) or
#: "thread" (inside the server, as before); bench.app_speed measures both
TRAIN_IN = os.environ.get("EXPLORER_TRAIN_IN", "process")
#: Where views computed on this server go (a shipped folder may be read-only); keyed by the weights' sha256.
VIEWS_CACHE = Path(os.environ.get("EXPLORER_VIEWS_CACHE", Path(tempfile.gettempdir()) / "explorer-views"))
#: Where runs trained on this server keep their weights (the model process reads them; the server never does).
TRAINED_DIR = Path(os.environ.get("EXPLORER_TRAINED_DIR", Path(tempfile.gettempdir()) / "explorer-trained"))


@st.cache_resource
def job_manager() -> JobManager:
    """One process-wide manager: every session sees the same jobs. Each training also draws its views."""
    from ..train_process import train_in_process

    if TRAIN_IN == "thread":
        from ..views import job_views

        return JobManager(max_concurrent=MAX_TRAININGS, max_finished=MAX_KEPT_RUNS, describe=job_views)
    return JobManager(max_concurrent=MAX_TRAININGS, max_finished=MAX_KEPT_RUNS,
                      trainer=partial(train_in_process, views=True),
                      weights_dir=TRAINED_DIR / f"server-{os.getpid()}")


@st.cache_data(ttl=60)
def gallery_index() -> list[GalleryRecord]:
    return read_index(GALLERY_DIR)


def gallery_record(name: str) -> GalleryRecord | None:
    return next((e for e in gallery_index() if e.name == name), None)


def factor_names(run) -> tuple[str, ...] | None:
    """dSprites' factor names for a run (or its views) trained on dSprites, else None."""
    return FACTOR_NAMES if run.config.train.dataset == "dsprites" else None


def run_label(config, state: str, ident: str) -> str:
    """'trained here: β=4, TC 24, broadcast, linear …': every knob that makes it more than a plain β-VAE."""
    o = config.objective
    parts = [f"β={o.beta:g}"] + ([f"TC {o.tc_weight:g}"] if o.tc_weight else []) + [config.model.decoder, o.schedule]
    parts += [f"free bits {o.free_bits:g}"] if o.free_bits else []
    parts += [f"{config.train.labels} labels"] if config.train.labels else []
    return f"trained here: {', '.join(parts)} [{state}, {ident}]"


def available_runs() -> dict[str, str]:
    """reference -> label, gallery first, then this server's finished runs (newest last), then sweeps."""
    runs = {e.ref: f"{e.title} [gallery]" for e in gallery_index()}
    for job in job_manager().jobs():
        if job.run is not None and job.state in ("completed", "cancelled"):
            runs[f"j:{job.id}"] = run_label(job.config, job.state, job.id)
    for sweep_name, path in sweeps.find_sweeps()[0].items():
        sweep = load_sweep(path)
        for row in sweep.runs.to_dict("records"):
            if row.get("opens"):
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


@st.cache_data(max_entries=64, show_spinner=False)
def _views(path: str, mtime_ns: int, checkpoint_sha256: str | None) -> RunViews | str:
    """A views file, parsed once per version; a one-line reason instead when it cannot be used."""
    try:
        return load_views(path, checkpoint_sha256)
    except ViewsError as exc:
        return str(exc)


def read_views(path: Path, checkpoint_sha256: str | None) -> RunViews | str:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return f"{path.name} does not exist"
    return _views(str(path), mtime, checkpoint_sha256)


@dataclass
class Lookup:
    """A run's views, or why there are none (``error``), or the work that is computing them (``pending``)."""
    views: RunViews | None = None
    error: str | None = None
    pending: Task | None = None


def views_for(ref: str) -> Lookup:
    """The views a reference names: from its views file, from the job that trained it, or pending."""
    kind, _, name = ref.partition(":")
    if kind == "g":
        return _gallery_views(name)
    if kind == "s":
        return _sweep_views(name)
    if kind == "j":
        job = job_manager().get(name)
        if job is None:
            return Lookup(error=f"run {name!r} is not on this server (runs trained here live only while the server runs)")
        if job.run is None:
            return Lookup(error=f"run {name!r} is still training")
        if job.run.views is None:
            return Lookup(error=f"run {name!r} ended {job.state} and has nothing to draw")
        return Lookup(job.run.views)
    return Lookup(error=f"{ref!r} is not a run reference")


def _gallery_views(name: str) -> Lookup:
    record = gallery_record(name)
    if record is None:
        return Lookup(error=f"there is no gallery run called {name!r}")
    checkpoint = GALLERY_DIR / record.file
    if record.sha256 and sha256_of(checkpoint) not in (None, record.sha256):
        return Lookup(error=f"{record.file} is not the file the gallery index records (sha256 differs); "
                            "it was changed or replaced, so it is not shown")
    path = GALLERY_DIR / (record.views or views_path(record.file).name)
    if record.views_sha256 and sha256_of(path) not in (None, record.views_sha256):
        return Lookup(error=f"{path.name} is not the views file the gallery index records (sha256 differs), "
                            "so it is not shown")
    return _stored_or_pending(path, checkpoint, record.sha256 or sha256_of(checkpoint))


def sweep_run_folder(name: str) -> tuple[Path | None, dict | None, str | None]:
    """``<sweep>/<key>`` -> (its folder, its table row), or a one-line reason there is none."""
    sweep_name, _, key = name.rpartition("/")
    path = sweeps.find_sweeps()[0].get(sweep_name)
    if path is None:
        return None, None, f"there is no sweep called {sweep_name!r}"
    rows = [r for r in load_sweep(path).runs.to_dict("records") if r["key"] == key]
    if not rows:
        return None, None, f"sweep {sweep_name!r} has no readable run {key!r}"
    return path / key, rows[0], None


def checkpoint_of(ref: str) -> tuple[Path | None, str | None]:
    """The weights file of a gallery or sweep reference (checked against the index), or a one-line reason."""
    kind, _, name = ref.partition(":")
    found = views_for(ref)
    if found.error:
        return None, found.error
    if kind == "g":
        return GALLERY_DIR / gallery_record(name).file, None
    if kind == "s":
        folder, row, _ = sweep_run_folder(name)
        path = sweep_checkpoint(folder, row)
        if path.exists():
            return path, None
        # its views are there and its record names no weights (a recorded, missing file fails in views_for)
        command = row["command"] or "(no command recorded)"
        return None, f"this sweep kept only the views of run {row['key']}, not its weights; retrain it with: {command}"
    return None, f"{ref!r} names no weights file"


def sweep_checkpoint(folder: Path, row: dict) -> Path:
    """Where a sweep run's weights are (or would be): the name its result.json records, else checkpoint.pt."""
    name = row.get("checkpoint")
    return folder / (name if isinstance(name, str) and name else CHECKPOINT)


def _sweep_views(name: str) -> Lookup:
    folder, row, reason = sweep_run_folder(name)
    if folder is None:
        return Lookup(error=reason)
    checkpoint = sweep_checkpoint(folder, row)
    path = views_path(checkpoint)
    command = row["command"] or "(no command recorded)"
    _, problem = run_state(folder)  # the sweep's own judgement: weights missing, changed or unreadable
    if problem:
        return Lookup(error=f"{problem}; retrain it with: {command}")
    if not checkpoint.exists() and not path.exists():
        return Lookup(error=f"this sweep kept no weights for run {row['key']}; retrain it with: {command}")
    return _stored_or_pending(path, checkpoint, sha256_of(checkpoint))


def _stored_or_pending(path: Path, checkpoint: Path, checkpoint_sha256: str | None) -> Lookup:
    """The stored views when they match the weights; else the cached ones computed here; else start computing."""
    stored = read_views(path, checkpoint_sha256)
    if isinstance(stored, RunViews):
        return Lookup(stored)
    if checkpoint_sha256 is None or not checkpoint.exists():
        return Lookup(error=stored)
    cached = VIEWS_CACHE / f"{checkpoint_sha256}.views.npz"
    again = read_views(cached, checkpoint_sha256)
    if isinstance(again, RunViews):
        return Lookup(again)
    task = background().request(f"views:{checkpoint_sha256}", f"Computing what this page shows of {checkpoint.name} "
                                f"({stored}): traversals, reconstructions, z-usage, factor plots, KL split",
                                partial(compute_views_file, checkpoint, cached))
    if task.done and task.error:
        return Lookup(error=f"could not compute the views of {checkpoint.name}: {task.error}")
    return Lookup(pending=task)


def compute_views_file(checkpoint: Path, out: Path) -> Path:
    """``python -m explorer views CHECKPOINT --out OUT --no-extra`` in a child: torch stays out of this server,
    and the slow scores (tens of seconds more) are left to whoever stores the run."""
    from ..train_process import child_environment

    done = subprocess.run([sys.executable, "-m", "explorer", "views", str(checkpoint), "--out", str(out), "--no-extra"],
                          capture_output=True, text=True, env=child_environment())
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit code {done.returncode}")
    return out


def run_version(ref: str) -> str:
    """What makes a reference's views unique (the weights' hash, or when a server run finished): every
    cached picture is keyed by ``ref`` and this, so retrained weights never show old pictures."""
    found = views_for(ref)
    if found.views is not None:
        return found.views.checkpoint_sha256 or found.views.created
    return ""

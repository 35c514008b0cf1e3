"""A run's views as data: everything a page shows about a run, computed once, stored beside its weights.

A page that only shows (Compare, the β ladder, the lessons, Sweep) reads one ``.views.npz`` per run
and never loads a model, so a shared link opens without torch and without decoding. The file is
written when a run is stamped into the gallery, when a sweep run finishes, and by the training
process right after a run trained on the server (``explorer.views.compute_views``); the format is
documented in docs/views.md.

Format (``FORMAT`` below; a reader refuses any other): a NumPy ``.npz`` without pickles holding
the arrays listed in docs/views.md and one JSON string ``meta`` with every number and word. ``meta``
records the sha256 of the checkpoint the views were computed from, so a views file whose weights
changed is stale, never shown as theirs.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_bytes
from .config import RunConfig
from .sweep.files import json_safe

#: Bump when a field changes meaning; a reader treats any other version as missing (recomputed).
FORMAT = 1
SUFFIX = ".views.npz"
#: The default traversal start: a mid-sized heart in the middle of the canvas (dSprites index).
START_INDEX = 614_928
#: A fixed, varied set of dSprites images for reconstructions and z-usage maps (every shape, several scales/positions).
RECON_INDICES = (12345, 98765, 245760 + 40960 * 3 + 1024 * 7 + 32 * 20 + 9, 491520 + 40960 * 5 + 1024 * 13 + 32 * 5 + 25,
                 600000, 700001, 333333, 150000)
DEFAULT_RANGE = "data"
COLUMNS = 8


class ViewsError(ValueError):
    """A views file that cannot be used; the message says why in one line."""


@dataclass
class RunViews:
    """What a page needs of a run; the same attribute names as ``explorer.run.Run`` where they overlap
    (``config``, ``metrics``, ``history``), so a table can be drawn from either."""
    config: RunConfig
    metrics: dict
    history: dict
    metrics_sample: dict  # {"name", "samples", "seed"}: the images every number in ``metrics`` was measured on
    autoregressive: bool
    latent_dim: int
    picture_note: str
    traversal: np.ndarray
    values: np.ndarray
    samples: int  # samples averaged per traversal tile (0: pixel probabilities)
    recon: np.ndarray
    originals: np.ndarray
    start_image: np.ndarray
    usage_maps: np.ndarray
    usage_totals: np.ndarray
    kl_split: dict
    extra: dict  # DCI, SAP, FactorVAE: {"scores": {...}, "sample": {...}} or {}
    latent_factors: dict | None  # explorer.latent_factors.latent_factor_means, or None (not dSprites)
    checkpoint_sha256: str = ""
    status: str = "completed"
    created: str = ""

    @property
    def dataset(self) -> str:
        return self.config.train.dataset


def views_path(checkpoint: str | Path) -> Path:
    """``runs/b4.pt`` -> ``runs/b4.views.npz``; a sweep's ``<key>/checkpoint.pt`` -> ``<key>/checkpoint.views.npz``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + SUFFIX)


_LF_KEYS = ("position", "scale", "orientation", "explained", "mean", "std", "posX_values", "posY_values",
            "scale_values", "orientation_degrees")


def to_bytes(views: RunViews) -> bytes:
    """The ``.npz`` bytes of ``views`` (no pickles: arrays and one JSON string)."""
    meta = {
        "format": FORMAT, "checkpoint_sha256": views.checkpoint_sha256, "created": views.created,
        "config": views.config.to_dict(), "metrics": views.metrics, "history": views.history,
        "metrics_sample": views.metrics_sample, "autoregressive": views.autoregressive, "latent_dim": views.latent_dim,
        "picture_note": views.picture_note, "samples": views.samples, "status": views.status,
        "traversal_start": START_INDEX, "traversal_range": DEFAULT_RANGE, "recon_indices": list(RECON_INDICES),
        "kl_split": views.kl_split, "extra": views.extra,
        "latent_factors": None if views.latent_factors is None else {
            "shape_names": list(views.latent_factors["shape_names"]),
            "factor_names": list(views.latent_factors["factor_names"]),
            "n_images": int(views.latent_factors["n_images"])},
    }
    arrays = {"traversal": np.asarray(views.traversal, dtype=np.float16), "values": np.asarray(views.values, np.float32),
              "recon": np.asarray(views.recon, dtype=np.float16), "originals": to_uint8(views.originals),
              "start_image": to_uint8(views.start_image), "usage_maps": np.asarray(views.usage_maps, np.float16),
              "usage_totals": np.asarray(views.usage_totals, np.float32)}
    if views.latent_factors is not None:
        arrays.update({f"lf_{k}": np.asarray(views.latent_factors[k], np.float32) for k in _LF_KEYS})
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.asarray(json.dumps(json_safe(meta), allow_nan=False)), **arrays)
    return buf.getvalue()


def save_views(views: RunViews, path: str | Path) -> Path:
    """Write atomically (explorer.atomic): a reader sees the old file or the new one, never half."""
    return write_bytes(path, to_bytes(views))


def load_views(path: str | Path, checkpoint_sha256: str | None = None) -> RunViews:
    """The views in ``path``; ViewsError (one line) when absent, unreadable, of another format, or
    computed from other weights than ``checkpoint_sha256`` (when given)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
    except FileNotFoundError:
        raise ViewsError(f"{path.name} does not exist") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ViewsError(f"{path.name} cannot be read ({exc.__class__.__name__})") from None
    if meta.get("format") != FORMAT:
        raise ViewsError(f"{path.name} has views format {meta.get('format')!r}, this version reads {FORMAT}")
    if checkpoint_sha256 and meta.get("checkpoint_sha256") != checkpoint_sha256:
        raise ViewsError(f"{path.name} was computed from other weights than its checkpoint's (stale)")
    try:
        lf = meta.get("latent_factors")
        latent_factors = None if lf is None else {
            **{k: arrays[f"lf_{k}"] for k in _LF_KEYS}, "shape_names": tuple(lf["shape_names"]),
            "factor_names": tuple(lf["factor_names"]), "n_images": lf["n_images"]}
        return RunViews(
            config=RunConfig.from_dict(meta["config"]), metrics=meta["metrics"], history=meta["history"],
            metrics_sample=meta["metrics_sample"], autoregressive=bool(meta["autoregressive"]),
            latent_dim=int(meta["latent_dim"]), picture_note=meta["picture_note"], traversal=arrays["traversal"],
            values=arrays["values"], samples=int(meta["samples"]), recon=arrays["recon"], originals=arrays["originals"],
            start_image=arrays["start_image"], usage_maps=arrays["usage_maps"], usage_totals=arrays["usage_totals"],
            kl_split=meta["kl_split"], extra=meta["extra"], latent_factors=latent_factors,
            checkpoint_sha256=meta["checkpoint_sha256"], status=meta.get("status", "completed"),
            created=meta.get("created", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise ViewsError(f"{path.name} lacks a field ({exc})") from None


def to_uint8(images) -> np.ndarray:
    """Binary or [0, 1] images as 0..255 bytes (a dSprites image is exact in them)."""
    a = np.asarray(images)
    return a if a.dtype == np.uint8 else (np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8)

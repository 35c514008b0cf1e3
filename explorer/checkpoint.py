"""One self-describing file per run, written atomically and read without running pickled code.

The file is a ``torch.save`` of plain containers and tensors only, so ``torch.load(...,
weights_only=True)`` can read it: a hostile pickle is refused, never executed.
"""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import importlib.util
import pickle
import platform
import re
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_file
from .config import RunConfig
from .models import build_model
from .provenance import shipped_mismatch
from .run import Run

FORMAT = "beta-vae-explorer/checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a usable explorer checkpoint; the message is one line for the user."""


#: A temporary file this old is left over from a killed writer, not one still being written.
STALE_TEMPORARY_SECONDS = 3600


def save_run(run: Run, path: str | Path) -> Path:
    """Write ``run`` to ``path`` atomically (explorer.atomic: a temporary beside it, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temporaries(path.parent)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": run.config.to_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()},  # loads anywhere
        "history": _plain(run.history),
        "metrics": _plain(run.metrics),
        "status": run.status,
        "reason": run.reason,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _plain(versions()),
    }
    with atomic_file(path, "wb") as f:
        torch.save(payload, f)
    return path


def sweep_stale_temporaries(folder: str | Path, older_than: float = STALE_TEMPORARY_SECONDS) -> list[Path]:
    """Delete the hidden ``.<name>.pt.*.tmp`` files (explorer.atomic's temporaries) that writers killed
    mid-write left behind.

    Only files older than ``older_than`` seconds go, so a concurrent writer's file in progress is kept.
    """
    removed = []
    cutoff = time.time() - older_than
    for tmp in Path(folder).glob(".*.pt.*.tmp"):
        try:
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone already (another sweeper) or not ours to delete: not worth failing a save
            pass
    return removed


class ShippedFileChanged(CheckpointError):
    """A file a gallery index vouches for whose sha256 is no longer the one recorded."""


def read_payload(path: str | Path, accept_changed: bool = False) -> dict:
    """What ``torch.load`` reads from a checkpoint file, weights only; ``CheckpointError`` in one line for a
    file that is missing, unreadable, unsafe, or a shipped file that differs from its index (unless
    ``accept_changed``: ``gallery --stamp --accept``)."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint")
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    changed = None if accept_changed else shipped_mismatch(path)
    if changed:
        raise ShippedFileChanged(changed)
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols: the refusal says enough
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError (hostile/foreign pickle), RuntimeError/EOFError (truncated) …
        raise CheckpointError(unreadable(path, exc)) from None


def load_run(path: str | Path, accept_changed: bool = False) -> Run:
    """Read a checkpoint; raise ``CheckpointError`` with a one-line reason for anything unusable."""
    path = Path(path)
    payload = read_payload(path, accept_changed)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a β-VAE explorer checkpoint")
    if payload.get("version", 0) > VERSION:
        raise CheckpointError(f"{path.name} was written by a newer version (format {payload.get('version')})")
    try:
        config = RunConfig.from_dict(payload["config"])
        config.validate()
        model = build_model(config.model)
        state = payload["state_dict"]
        if not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ValueError("weights are not all tensors")
        if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
            raise ValueError("it contains NaN or infinite weights")
        model.load_state_dict(state, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path.name} does not match its own configuration: {_short(exc)}") from None
    model.eval()
    return Run(config=config, model=model, history=payload.get("history") or {}, metrics=payload.get("metrics") or {},
               status=payload.get("status", "completed"), reason=payload.get("reason", ""))


def unreadable(path: Path, exc: Exception) -> str:
    """Why torch could not read ``path``, in our words: torch's own text is cut off mid-sentence and advises
    turning ``weights_only`` off, which is exactly what must not be done with a file one cannot read."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as err:
        return f"{path.name} cannot be read ({err.strerror or err.__class__.__name__})"
    if not head:
        return f"{path.name} is empty, not a checkpoint"
    refused = isinstance(exc, pickle.UnpicklingError)
    if head[:2] == b"PK":
        if refused:
            return (f"{path.name} holds objects other than tensors and plain containers; refused unread "
                    "(unpickling them could run code)")
        return f"{path.name} is a damaged torch file (truncated or corrupted; {exc.__class__.__name__})"
    if head[:1] == b"\x80" and refused:
        return f"{path.name} is a pickle, not a torch checkpoint; refused unread (unpickling it could run code)"
    return f"{path.name} is not a checkpoint (neither a torch file nor a pickle)"


def versions() -> dict:
    """The library versions a checkpoint records, read without importing torchvision or scikit-learn: a training
    imports neither, and importing them only for their version strings cost every saving process seconds."""
    return {"python": platform.python_version(), "torch": torch.__version__, "torchvision": _torchvision_version(),
            "numpy": np.__version__, "scikit-learn": importlib.metadata.version("scikit-learn")}


def _torchvision_version() -> str:
    """torchvision's ``__version__`` (with its build tag, e.g. ``+cpu``, which the package metadata leaves out), from
    the ``version.py`` it ships; imported only where that file does not say it plainly."""
    spec = importlib.util.find_spec("torchvision")
    try:
        text = (Path(spec.submodule_search_locations[0]) / "version.py").read_text()
        return re.search(r"""^__version__ = ['"]([^'"]+)['"]""", text, re.M).group(1)
    except (AttributeError, TypeError, IndexError, OSError):
        import torchvision

        return torchvision.__version__


def _plain(obj):
    """Numbers, strings, lists and dicts only (what weights_only loading accepts and JSON can show)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, torch.Tensor):
        return _plain(obj.tolist())
    if isinstance(obj, str):
        return str(obj)  # str subclasses such as torch's TorchVersion are not weights-only loadable
    return obj


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{exc.__class__.__name__}: {first[:160]}" if first else exc.__class__.__name__


"""Cached, Streamlit-aware wrappers around the plain core: nothing recomputes that a cache can serve."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ..checkpoint import CheckpointError, load_run
from ..traversal import grid_png, traversal_grid

CHECKPOINT_DIRS = (Path("checkpoints"), Path("runs"))


def list_checkpoints() -> list[Path]:
    return sorted(p for d in CHECKPOINT_DIRS if d.is_dir() for p in d.glob("*.pt"))


@st.cache_resource(max_entries=16)
def cached_run(path: str, mtime: float):
    """A loaded run, keyed by path and modification time so a rewritten file is reloaded."""
    return load_run(path)


def get_run(path: Path):
    """The run at ``path``, or a one-line error message (never a traceback)."""
    try:
        return cached_run(str(path), path.stat().st_mtime), None
    except (CheckpointError, OSError) as exc:
        return None, str(exc)


@st.cache_data(max_entries=64)
def cached_traversal_png(path: str, mtime: float) -> tuple[bytes, dict]:
    run = cached_run(path, mtime)
    grid, info = traversal_grid(run.model)
    return grid_png(grid), info

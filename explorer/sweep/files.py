"""The run-directory contract of docs/sweeps.md on disk: its file names, and writing them whole.

Every file is written through explorer.atomic (a hidden temporary in the same folder, fsync,
``os.replace``), so whatever is killed when, a reader sees the old file or the new one.
explorer.sweep.folder reads what is whole: folders named like a run key holding a result.json
that parses; temporaries and half-made folders are ignored.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from ..atomic import write_text

SWEEP = "sweep.json"
TABLE = "results.csv"
RESULT = "result.json"
CHECKPOINT = "checkpoint.pt"
#: result.json's field naming its checkpoint's sha256 (results written before issue 26 have none).
DIGEST = "checkpoint_sha256"
#: Statuses that are results: never trained again (unless their files are damaged).
FINAL = ("completed", "diverged")
#: A run's damaged files are moved into ``<key>/damaged-<UTC time>/`` before it trains again.
DAMAGED = "damaged-"
#: The worker's note in its run folder while it runs (pid, host, attempt, step): hidden, never part of the contract.
MARKER = ".worker"
VERSION = 1
_KEY = re.compile(r"^[0-9a-f]{12}$")


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole (explorer.atomic)."""
    return write_text(path, text)


def write_json(path: Path, obj) -> Path:
    """``obj`` as plain JSON (NaN and ±inf as null), written whole."""
    return write_text(path, json.dumps(json_safe(obj), indent=1, allow_nan=False) + "\n")


def read_json(path: Path) -> dict | None:
    """The object in ``path``, or None when it is absent or not a JSON object (never half a file: see above)."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def json_safe(obj):
    """Plain JSON values: numpy and torch scalars as numbers, tuples as lists, NaN and ±inf as null."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, str):
        return str(obj)  # str subclasses (torch's version string) as plain strings
    return obj


def run_folders(out: Path) -> list[Path]:
    """The folders of ``out`` named like a run key, sorted by name."""
    try:
        return sorted(p for p in Path(out).iterdir() if _KEY.match(p.name) and p.is_dir())
    except OSError:  # absent, not a folder, not ours to list
        return []


def remove_temporaries(folder: Path) -> None:
    """Delete hidden ``.*.tmp`` files in a run folder no process is writing (its worker ended or died)."""
    for tmp in Path(folder).glob(".*.tmp"):
        try:
            tmp.unlink()
        except OSError:
            pass


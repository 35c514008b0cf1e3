"""Reading a sweep folder whatever it holds: its grid, each run's result.json or why it was skipped.

The engine (planning, ``results.csv``) and the app's Sweep page read through here, so they agree on
which runs a folder holds: folders named like a run key whose result.json parses and names that key.
"""
from __future__ import annotations

import json
from pathlib import Path

from .files import CHECKPOINT, RESULT, SWEEP, read_json, run_folders


def read_axes(out: Path) -> dict[str, list] | None:
    """sweep.json's axes, each a list of values; None when it is unreadable or names none."""
    spec = read_json(Path(out) / SWEEP)
    try:
        axes = {str(k): (list(v) if isinstance(v, list) else [v]) for k, v in spec["axes"].items()}
    except (TypeError, KeyError, AttributeError):
        return None
    return axes or None


def read_record(path: str | Path) -> dict | str:
    """One run folder's result.json, or a one-line reason it was skipped."""
    key = Path(path).parent.name
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return f"skipped run {key}: its result.json is not valid JSON ({exc.msg}, line {exc.lineno}); half-written?"
    except (OSError, UnicodeDecodeError) as exc:
        return f"skipped run {key}: its result.json could not be read ({type(exc).__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("swept", {}), dict):
        return f"skipped run {key}: its result.json is not a run result"
    if data.get("key") != key:
        return f"skipped run {key}: its result.json is another run's ({str(data.get('key'))[:20]!r}); copied?"
    return data


def read_results(out: Path) -> list[dict]:
    """Every run's result.json that exists, parses and names its own folder."""
    records = (read_record(folder / RESULT) for folder in run_folders(out))
    return [r for r in records if isinstance(r, dict)]


def signature(out: Path) -> tuple:
    """What changes when an engine writes: sweep.json, each run's result.json and checkpoint (a few stats)."""
    out = Path(out)
    entries = [(SWEEP, mtime_ns(out / SWEEP), 0)]
    for folder in run_folders(out):
        result = _stat(folder / RESULT)
        if result:
            entries.append((folder.name, *result, mtime_ns(folder / CHECKPOINT)))
    return tuple(entries)


def newest_write(sig: tuple) -> float:
    """Seconds since the epoch of the newest file in a signature (ns mtimes)."""
    return max((e[1] for e in sig), default=0) / 1e9


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        s = path.stat()
        return s.st_mtime_ns, s.st_size
    except OSError:
        return None


def mtime_ns(path: Path) -> int:
    """A file's modification time in ns, 0 when it cannot be read."""
    s = _stat(path)
    return s[0] if s else 0

"""Reading a sweep folder whatever it holds: its grid, each run's result.json or why it was skipped.

The engine (planning, ``results.csv``), its workers and the app's Sweep page read through here, so they
agree on which runs a folder holds (folders named like a run key whose result.json parses and names that
key) and on which need retraining: a result.json that does not parse, or weights it records that are
missing, do not match its sha256 (or, in results from before it was recorded, the sha256 the views name),
or are not a whole checkpoint. Such a run's files are moved aside (``set_aside``) before it trains again.
"""
from __future__ import annotations

import functools
import json
import os
import time
import zipfile
from pathlib import Path

from ..atomic import write_text
from ..provenance import file_sha256
from ..view_data import ViewsError, load_views, views_path
from .files import CHECKPOINT, DAMAGED, DIGEST, RESULT, SWEEP, read_json, run_folders


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
        return retrain(key, f"its result.json is not valid JSON ({exc.msg}, line {exc.lineno}; truncated or damaged)")
    except (OSError, UnicodeDecodeError) as exc:
        return retrain(key, f"its result.json could not be read ({type(exc).__name__})")
    if not isinstance(data, dict) or not isinstance(data.get("swept", {}), dict):
        return retrain(key, "its result.json is not a run result")
    if data.get("key") != key:
        return retrain(key, f"its result.json is another run's ({str(data.get('key'))[:20]!r}; copied?)")
    return data


def retrain(key: str, why: str) -> str:
    """The one line that says a run needs retraining, and why."""
    return f"run {key} needs retraining: {why}"


def run_state(folder: Path) -> tuple[dict | None, str | None]:
    """(its result.json, None) for a run to trust, (what parsed or None, one line why) for a run that needs
    retraining, (None, None) for a run with no result yet."""
    folder = Path(folder)
    if not (folder / RESULT).exists():
        return None, None
    record = read_record(folder / RESULT)
    if isinstance(record, str):
        return None, record
    problem = weights_problem(folder, record)
    return record, (retrain(folder.name, problem) if problem else None)


def weights_problem(folder: Path, record: dict) -> str | None:
    """Why the weights a run's record names cannot be trusted, or None (also when it names none)."""
    name = record.get("checkpoint")
    if not name:
        return None
    if not isinstance(name, str) or Path(name).name != name:
        return f"its result.json names weights outside its folder ({str(name)[:40]!r})"
    digest = sha256_of(Path(folder) / name)
    if digest is None:
        return f"its result.json records {name}, which is missing"
    recorded = record.get(DIGEST)
    if isinstance(recorded, str) and recorded:
        return None if digest == recorded else f"{name} does not match the sha256 its result.json records"
    drawn_from = _views_digest(Path(folder) / name)  # a result written before the sha256 was recorded
    if drawn_from:
        return None if digest == drawn_from else f"{name} does not match the sha256 its views were drawn from"
    return None if _whole_zip(Path(folder) / name) else f"{name} is not a readable checkpoint"


def sha256_of(path: Path) -> str | None:
    """A file's sha256, hashed once per version of it (path, size, mtime, inode); None when absent."""
    try:
        s = Path(path).stat()
    except OSError:
        return None
    return _sha256(str(path), s.st_size, s.st_mtime_ns, s.st_ino)


@functools.lru_cache(maxsize=1024)
def _sha256(path: str, size: int, mtime_ns: int, inode: int) -> str | None:
    try:
        return file_sha256(Path(path))
    except OSError:
        return None


def _views_digest(checkpoint: Path) -> str | None:
    """The sha256 of the weights a checkpoint's views file says it was drawn from; None without one."""
    path = views_path(checkpoint)
    if not path.exists():
        return None
    try:
        return load_views(path).checkpoint_sha256 or None
    except ViewsError:
        return None


def _whole_zip(path: Path) -> bool:
    """Whether a file is a whole zip archive, as torch.save writes (every member's CRC checked)."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False


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


def set_aside(folder: Path, why: str) -> Path | None:
    """Move a run's result.json, weights and views into ``damaged-<UTC time>/`` with ``why.txt``: a run that
    needs retraining never overwrites what it had (a damaged result may sit beside valid weights)."""
    folder = Path(folder)
    names = [n for n in (RESULT, CHECKPOINT, views_path(CHECKPOINT).name) if (folder / n).exists()]
    if not names:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside, n = folder / f"{DAMAGED}{stamp}", 1
    while aside.exists():
        n += 1
        aside = folder / f"{DAMAGED}{stamp}-{n}"
    aside.mkdir()
    for name in names:
        os.replace(folder / name, aside / name)
    write_text(aside / "why.txt", why + "\n")
    return aside

"""Reading sweep folders (docs/sweeps.md) into tables, never raising on what a user's folder holds.

Each run's ``result.json`` is the truth; ``results.csv`` is the engine's derived copy, so the table is
rebuilt from the run folders (and offered for download in results.csv's column order). Plain
pandas and json: the page caches these calls and draws them.
"""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..config import FACTOR_NAMES

ROOT = Path(__file__).resolve().parents[2]
#: Where sweeps live: the shipped ones first (they keep their plain names), then the users' (`--out sweeps/<name>`).
SWEEP_ROOTS = (ROOT / "checkpoints" / "sweeps", ROOT / "sweeps")
METRIC_LABELS = {"mig": "MIG", "informative_units": "informative units", "active_units": "active units",
                 "kl": "KL (nats)", "mi": "I(x;z) (nats)", "z_usage": "z-usage (nats)", "recon": "recon NLL (nats)",
                 **{f"mig_gap_{f}": f"MIG gap: {f}" for f in FACTOR_NAMES}, "train_seconds": "training time (s)"}
CSV_TAIL = ("status", "attempts", "mig", *(f"mig_gap_{f}" for f in FACTOR_NAMES), "informative_units", "active_units",
            "kl", "mi", "z_usage", "recon", "steps", "train_seconds")
AXIS_LABELS = {"beta": "β", "free_bits": "free bits", "latent_dim": "z dims", "seed": "seed"}
FAILED = ("diverged", "cancelled", "failed")
NOT_METRICS = {"steps", "attempts", "seed"}


@dataclass
class Sweep:
    """One folder: the axes asked for, one row per readable run folder, and notes about what was skipped."""
    path: Path
    axes: dict[str, list]
    runs: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    grid_known: bool = True


def axis_label(name: str) -> str:
    return AXIS_LABELS.get(name, name.replace("_", " "))


def find_sweeps(roots=None) -> tuple[dict[str, Path], list[str]]:
    """(name -> folder of every sweep, users' newest first then the shipped ones; notes on folders left out)."""
    found, notes, order = {}, [], []
    for rank, root in enumerate(roots if roots is not None else SWEEP_ROOTS):
        try:
            folders = sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / "sweep.json").is_file())
        except OSError:
            continue
        for path in folders:
            if "," in path.name or path.name.startswith("."):
                notes.append(f"left out sweep folder {path.name!r}: rename it without commas or a leading dot")
                continue
            name = path.name
            while name in found:  # a user's sweep named like a shipped one
                name = f"local-{name}"
            found[name] = path
            order.append((rank == 0, -_mtime(path / "sweep.json"), name))
    return {name: found[name] for *_, name in sorted(order)}, notes


def signature(path: Path) -> tuple:
    """What changes when an engine writes: sweep.json and each run's result.json and checkpoint (cheap stats)."""
    entries = [("sweep.json", _mtime(path / "sweep.json"), 0)]
    try:
        subs = sorted(e.name for e in os.scandir(path) if e.is_dir())
    except OSError:
        return tuple(entries)
    for key in subs:
        result = _stat(path / key / "result.json")
        if result:
            entries.append((key, *result, _mtime(path / key / "checkpoint.pt")))
    return tuple(entries)


def newest_write(sig: tuple) -> float:
    """Seconds since the epoch of the newest file in a signature (ns mtimes)."""
    return max((e[1] for e in sig), default=0) / 1e9


def read_json(path: Path):
    """A JSON file's content, or None when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_result(path: str, mtime_ns: int = 0, size: int = 0) -> dict | str:
    """One run folder's row, or a one-line reason it was skipped (the mtime and size only key a cache)."""
    key = Path(path).parent.name
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        return f"skipped run {key}: its result.json is not valid JSON ({exc.msg}, line {exc.lineno}); half-written?"
    except (OSError, UnicodeDecodeError) as exc:
        return f"skipped run {key}: its result.json could not be read ({type(exc).__name__})"
    if not isinstance(data, dict) or not isinstance(data.get("swept", {}), dict):
        return f"skipped run {key}: its result.json is not a run result"
    swept = dict(data.get("swept") or {})
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    swept.setdefault("seed", (config.get("train") or {}).get("seed"))
    row = {"key": key, **{f"axis:{k}": v for k, v in swept.items()}, "status": str(data.get("status") or "unknown"),
           "attempts": data.get("attempts"), "reason": str(data.get("reason") or ""),
           "command": str(data.get("command") or ""), "checkpoint": data.get("checkpoint") or None}
    metrics = data.get("metrics") if isinstance(data.get("metrics"), dict) else {}
    for name, value in metrics.items():
        if name == "mig_gaps" and isinstance(value, list):
            names = FACTOR_NAMES if len(value) == len(FACTOR_NAMES) else [str(i) for i in range(len(value))]
            row.update({f"mig_gap_{n}": _number(v) for n, v in zip(names, value)})
        elif _number(value) is not None:
            row[name] = _number(value)
    timings = data.get("timings") if isinstance(data.get("timings"), dict) else {}
    row["train_seconds"] = _number(timings.get("train_seconds"))
    return row


def read_sweep(path: Path, reader: Callable[[str, int, int], dict | str] = read_result) -> Sweep:
    """The sweep in ``path``: its grid from sweep.json (inferred from the runs when unreadable) and every run."""
    notes, axes, grid_known = [], {}, True
    try:
        spec = json.loads((path / "sweep.json").read_text())
        axes = {str(k): (list(v) if isinstance(v, list) else [v]) for k, v in spec["axes"].items()}
        assert axes
    except (OSError, ValueError, KeyError, TypeError, AttributeError, AssertionError):
        notes.append("sweep.json is unreadable or has no axes: the grid is inferred from the runs found")
        grid_known = False
    rows = []
    for entry in signature(path)[1:]:
        key, mtime, size = entry[:3]
        row = reader(str(path / key / "result.json"), mtime, size)
        if isinstance(row, str):
            notes.append(row)
            continue
        row = dict(row)
        kept = str(row.get("checkpoint") or "")
        row["weights"] = bool(kept) and Path(kept).name == kept and (path / key / kept).is_file()  # inside its folder
        rows.append(row)
    runs = pd.DataFrame(rows)
    if not grid_known:
        axes = {c.removeprefix("axis:"): sorted(runs[c].dropna().unique().tolist(), key=_canon)
                for c in runs.columns if c.startswith("axis:")}
    seeds = axes.pop("seed", None)
    axes = axes | ({"seed": seeds} if seeds is not None else {})
    for name in [*axes, "seed"]:
        if f"axis:{name}" not in runs:
            runs[f"axis:{name}"] = None
    named = [c.removeprefix("axis:") for c in runs.columns if c.startswith("axis:")]
    runs = runs.drop(columns=[c for c in named if c in runs.columns])  # a swept setting wins over a metric's name
    return Sweep(path, axes, runs.rename(columns={f"axis:{k}": k for k in named}), notes, grid_known)


def run_label(sweep: Sweep, row) -> str:
    """A run named by its swept values: "β = 4, decoder = conv, seed 2"."""
    swept = [f"{axis_label(a)} = {value_text(row.get(a))}" for a in sweep.axes if a != "seed"]
    return ", ".join(swept + [f"seed {value_text(row.get('seed'))}"])


def point_of(sweep: Sweep, row) -> tuple:
    return tuple(_canon(row.get(a)) for a in sweep.axes)


def progress(sweep: Sweep) -> dict:
    """Completed / failed (by status) / missing grid points, runs outside the grid, and whether all are in."""
    canon = [[_canon(v) for v in values] for values in sweep.axes.values()]
    grid = set(itertools.product(*canon)) if sweep.grid_known else set()
    best: dict[tuple, str] = {}
    for row in sweep.runs.to_dict("records"):
        point = point_of(sweep, row)
        if best.get(point) != "completed":
            best[point] = row["status"]
    inside = {p: s for p, s in best.items() if p in grid or not sweep.grid_known}
    failed = {}
    for status in inside.values():
        if status != "completed":
            failed[status] = failed.get(status, 0) + 1
    missing = len(grid - set(best)) if sweep.grid_known else None
    completed = sum(s == "completed" for s in inside.values())
    return {"total": len(grid) if sweep.grid_known else None, "completed": completed,
            "failed": failed, "missing": missing, "extra": len(best) - len(inside), "done": not missing}


def progress_caption(p: dict) -> str:
    failed = sum(p["failed"].values())
    kinds = ", ".join(f"{n} {s}" for s, n in sorted(p["failed"].items()))
    text = f"{p['completed']} completed, {failed} failed" + (f" ({kinds})" if set(p["failed"]) - {"failed"} else "")
    if p["total"] is None:
        return f"{text}; the grid is unknown (sweep.json unreadable)."
    text = f"Of the {p['total']}-run grid in sweep.json: {text}, {p['missing']} missing"
    text += " (not run yet, or still training)." if p["missing"] else "."
    return text + (f" {p['extra']} more run(s) lie outside the grid." if p["extra"] else "")


def metric_choices(sweep: Sweep) -> dict[str, str]:
    """column -> label of every numeric metric some completed run has, the headline ones first."""
    runs, skip = sweep.runs, NOT_METRICS | set(sweep.axes) | {"weights"}
    runs = runs[runs["status"] == "completed"] if "status" in runs else runs.iloc[:0]
    known = [c for c in METRIC_LABELS if c in runs and c not in skip and runs[c].notna().any()]
    extra = [c for c in runs.columns if c not in METRIC_LABELS and c not in skip and runs[c].notna().any()
             and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]
    return {c: METRIC_LABELS.get(c, c.replace("_", " ")) for c in known + extra}


def results_csv(sweep: Sweep) -> str:
    """The table in results.csv's column order: key, the axes (seed last), status, attempts, the metrics."""
    cols = ["key", *[a for a in sweep.axes if a != "seed"], "seed", *CSV_TAIL]
    cols += [c for c in sweep.runs if c.startswith("mig_gap_") and c not in cols]
    return sweep.runs.reindex(columns=list(dict.fromkeys(cols))).to_csv(index=False)


def chart_points(sweep: Sweep, metric: str) -> pd.DataFrame:
    """One row per completed run with a value: x (position in x's value order), group label, y, hover text."""
    x, groups = x_and_groups(sweep)
    runs = sweep.runs
    if runs.empty or metric not in runs or "status" not in runs:
        return pd.DataFrame(columns=["x", "x_text", "group", "y", "seed", "key", "weights", "text"])
    done = runs[(runs["status"] == "completed") & runs[metric].notna()]
    values = {_canon(v): v for v in [*sweep.axes.get(x, []), *(done[x].tolist() if x else [])]}
    order = {c: i for i, c in enumerate(sorted(values))}
    rows = []
    for r in done.to_dict("records"):
        xv = r.get(x) if x else None
        where = [f"{axis_label(a)} = {value_text(r.get(a))}" for a in [*([x] if x else []), *groups]]
        rows.append({"x": order[_canon(xv)] if x else 0, "x_text": value_text(xv) if x else "all runs",
                     "x_value": xv, "group": ", ".join(value_text(r.get(a)) for a in groups) or "all",
                     "y": float(r[metric]), "seed": r.get("seed"), "key": r["key"], "weights": bool(r.get("weights")),
                     "text": "<br>".join([", ".join(where + [f"seed {value_text(r.get('seed'))}"]),
                                          f"{METRIC_LABELS.get(metric, metric)} = {float(r[metric]):.4g}",
                                          f"run {r['key']}"])})
    frame = pd.DataFrame(rows, columns=["x", "x_text", "x_value", "group", "y", "seed", "key", "weights", "text"])
    return frame.sort_values(["x", "group", "seed"], kind="stable", na_position="last").reset_index(drop=True)


def x_and_groups(sweep: Sweep) -> tuple[str | None, list[str]]:
    """The first swept numeric axis (else the first swept one) for x; the other swept axes colour the points."""
    swept = [a for a in sweep.axes if a != "seed"]
    numeric = [a for a in swept if sweep.axes[a] and all(_is_number(v) for v in sweep.axes[a])]
    x = (numeric or swept or [None])[0]
    return x, [a for a in swept if a != x]


def x_scale(values: list) -> str:
    """"log" for positive numbers spanning at least 10×, "linear" for other numbers, else "category"."""
    if not values or not all(_is_number(v) for v in values):
        return "category"
    nums = [float(v) for v in values]
    return "log" if min(nums) > 0 and max(nums) >= 10 * min(nums) else "linear"


def missing_rows(sweep: Sweep) -> list[dict]:
    """The grid points no run folder answers yet, as table rows with status "missing"."""
    if not sweep.grid_known:
        return []
    seen = {point_of(sweep, r) for r in sweep.runs.to_dict("records")}
    return [{**dict(zip(sweep.axes, combo)), "status": "missing"} for combo in itertools.product(*sweep.axes.values())
            if tuple(_canon(v) for v in combo) not in seen]


def value_text(value) -> str:
    return f"{float(value):g}" if _is_number(value) else str(value)


def _canon(value):
    """A sortable, hashable stand-in: β = 4 and 4.0 are one value; a missing value sorts last."""
    if value is None or (isinstance(value, float) and value != value):
        return (2, 0.0, "")
    return (0, float(value), "") if _is_number(value) else (1, 0.0, str(value))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value) -> float | None:
    return float(value) if _is_number(value) and value == value else None


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        s = path.stat()
        return s.st_mtime_ns, s.st_size
    except OSError:
        return None


def _mtime(path: Path) -> int:
    s = _stat(path)
    return s[0] if s else 0

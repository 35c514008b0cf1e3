"""Reading sweep folders (docs/sweeps.md) into tables, never raising on what a user's folder holds.

Each run's ``result.json`` is the truth; ``results.csv`` is the engine's derived copy, so the table is
rebuilt from the run folders (and offered for download as the engine writes it). The folder is read
by explorer.sweep.folder and flattened by explorer.sweep.table, as the engine does; this module
makes pandas tables of them, which the page caches and draws.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .. import metric_registry as registry
from ..config import RunConfig
from ..flags import train_command as command_for
from ..sweep import table
from ..sweep.files import DIGEST, RESULT, SWEEP, read_json  # noqa: F401 (read_json: the app reads result.json through here)
from ..sweep.folder import mtime_ns, newest_write, read_axes, read_record, signature  # noqa: F401 (page's names)
from ..sweep.folder import retrain, weights_problem
from ..view_data import SUFFIX

#: A sweep run's views file (explorer.view_data.views_path of its checkpoint.pt)
VIEWS = "checkpoint" + SUFFIX

ROOT = Path(__file__).resolve().parents[2]
#: Where sweeps live: the shipped ones first (they keep their plain names), then the users' (`--out sweeps/<name>`).
SWEEP_ROOTS = (ROOT / "checkpoints" / "sweeps", ROOT / "sweeps")
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
            folders = sorted(p for p in Path(root).iterdir() if p.is_dir() and (p / SWEEP).is_file())
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
            order.append((rank == 0, -mtime_ns(path / SWEEP), name))
    return {name: found[name] for *_, name in sorted(order)}, notes


def read_result(path: str, mtime_ns: int = 0, size: int = 0) -> dict | str:
    """One run folder's row, or a one-line reason it was skipped (the mtime and size only key a cache)."""
    record = read_record(path)
    if isinstance(record, str):
        return record
    swept = dict(record.get("swept") or {})
    swept.setdefault("seed", table.setting(record, "seed"))
    row = {"key": record["key"], **{f"axis:{k}": v for k, v in swept.items()},
           "status": str(record.get("status") or "unknown"), "attempts": record.get("attempts"),
           "reason": str(record.get("reason") or ""), "command": train_command(record),
           "checkpoint": record.get("checkpoint") or None, DIGEST: record.get(DIGEST)}
    return row | table.measured(record)


def train_command(record: dict) -> str:
    """The ``train`` command for this run's settings against today's defaults. The command a result.json records was
    written against the defaults of its day; once a default changed, it trains another model. A record without a
    whole config keeps its own command."""
    recorded = str(record.get("command") or "")
    settings = record.get("config")
    if not isinstance(settings, dict) or not all(isinstance(settings.get(p), dict) for p in ("model", "objective", "train")):
        return recorded
    try:
        config = RunConfig.from_dict(settings)
    except (TypeError, ValueError, AttributeError):
        return recorded
    return command_for(config)


def read_sweep(path: Path, reader: Callable[[str, int, int], dict | str] = read_result) -> Sweep:
    """The sweep in ``path``: its grid from sweep.json (inferred from the runs when unreadable) and every run."""
    notes, axes = [], read_axes(path)
    grid_known = axes is not None
    if not grid_known:
        notes.append("sweep.json is unreadable or has no axes: the grid is inferred from the runs found")
    rows = []
    for entry in signature(path)[1:]:
        key, mtime, size = entry[:3]
        row = reader(str(path / key / RESULT), mtime, size)
        if isinstance(row, str):
            notes.append(row)
            continue
        row = dict(row)
        kept = str(row.get("checkpoint") or "")
        problem = weights_problem(path / key, row)  # missing, changed or damaged weights: the sweep retrains it
        if problem:
            notes.append(retrain(key, problem))
        row["weights"] = bool(kept) and not problem
        # a run opens on Compare from its views (explorer.view_data), kept with or without its weights
        row["opens"] = not problem and (row["weights"] or (path / key / VIEWS).is_file())
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


def metric_labels() -> dict[str, str]:
    """column -> label of a sweep's metric columns (explorer.metric_registry): single numbers, then per factor."""
    columns = table.metric_columns()
    return dict(sorted(columns, key=lambda c: c[0] not in registry.METRICS))


def metric_label(column: str) -> str:
    return metric_labels().get(column) or registry.label(column)


def metric_choices(sweep: Sweep) -> dict[str, str]:
    """column -> label of every numeric metric some completed run has, the registered ones first."""
    runs, skip, labels = sweep.runs, NOT_METRICS | set(sweep.axes) | {"weights", "opens"}, metric_labels()
    runs = runs[runs["status"] == "completed"] if "status" in runs else runs.iloc[:0]
    known = [c for c in labels if c in runs and c not in skip and runs[c].notna().any()]
    extra = [c for c in runs.columns if c not in labels and c not in skip and runs[c].notna().any()
             and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]
    return {c: labels.get(c) or registry.label(c) for c in known + extra}


def results_csv(sweep: Sweep) -> str:
    """results.csv as the engine writes it (explorer.sweep.table), rebuilt from the folder's run folders."""
    return table.csv_text(sweep.path, sweep.axes)


def chart_points(sweep: Sweep, metric: str) -> pd.DataFrame:
    """One row per completed run with a value: x (position in x's value order), group label, y, hover text."""
    x, groups = x_and_groups(sweep)
    runs = sweep.runs
    if runs.empty or metric not in runs or "status" not in runs:
        return pd.DataFrame(columns=["x", "x_text", "group", "y", "seed", "key", "weights", "opens", "text"])
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
                     "opens": bool(r.get("opens")),
                     "text": "<br>".join([", ".join(where + [f"seed {value_text(r.get('seed'))}"]),
                                          f"{metric_label(metric)} = {float(r[metric]):.4g}",
                                          f"run {r['key']}"])})
    frame = pd.DataFrame(rows, columns=["x", "x_text", "x_value", "group", "y", "seed", "key", "weights", "opens", "text"])
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

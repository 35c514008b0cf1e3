"""``results.csv``: one row per run folder, rebuilt from the folders (never the source of truth).

Columns, in the order docs/sweeps.md fixes: the key, one per swept axis (sweep.json's order, the
seed always present), then status, attempts and the sweep's metrics in explorer.metric_registry's
order (MIG's gap one column per factor, the training seconds last). Cells are empty where a run has
no value (a failed run). The engine writes it; the app offers the same text for download.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .. import metric_registry as registry
from ..config import FACTOR_NAMES
from .files import TABLE, write_atomic
from .folder import read_results


def metric_columns() -> list[tuple[str, str]]:
    """(column, label) of every metric column, in results.csv's order."""
    out = []
    for m in registry.entries(registry.SWEEP):
        if m.per_factor is None:
            out.append((m.key, m.label))
        else:
            out += [(m.column(f), m.factor_label(f)) for f in FACTOR_NAMES]
    return out


def columns(axes: list[str]) -> list[str]:
    axes = [a for a in axes if a != "seed"] + ["seed"]
    return ["key", *axes, "status", "attempts", *(c for c, _ in metric_columns())]


def setting(record: dict, name: str):
    """A run's value of one field: as swept, else from its saved config."""
    if name in (record.get("swept") or {}):
        return record["swept"][name]
    config = record.get("config")
    for part in (config.values() if isinstance(config, dict) else ()):
        if isinstance(part, dict) and name in part:
            return part[name]
    return None


def measured(record: dict) -> dict:
    """column -> every number a run's record holds: its metrics (a per-factor list or mapping one column per
    factor) and the registered ones kept elsewhere (the training seconds, in timings)."""
    metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
    out = {}
    for name, value in metrics.items():
        entry = registry.METRICS.get(name)
        if entry is not None and entry.per_factor is not None:
            out.update({entry.column(f): _number(v) for f, v in _by_factor(value)})
        elif _number(value) is not None:
            out[name] = _number(value)
    for entry in registry.entries():
        part = record.get(entry.source)
        if entry.source != "metrics" and isinstance(part, dict):
            out[entry.key] = _number(part.get(entry.key))
    return out


def row(record: dict, axes: list[str]) -> dict:
    out = {"key": record.get("key"), **{a: setting(record, a) for a in axes},
           "status": record.get("status"), "attempts": record.get("attempts")}
    return out | measured(record)


def csv_text(out: Path, axes: dict) -> str:
    """The table of the folder ``out``: a row per run folder with a whole result.json, in the axes' value order."""
    names = columns(list(axes))
    plain = [a for a in axes if a != "seed"] + ["seed"]
    rows = sorted((row(r, plain) for r in read_results(out)), key=_order(axes))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in names])
    return buf.getvalue()


def write_table(out: Path, axes: dict) -> Path:
    """Rebuild ``out/results.csv`` from every run folder that holds a whole result.json."""
    return write_atomic(Path(out) / TABLE, csv_text(out, axes))


def _by_factor(value) -> list[tuple[str, object]]:
    """(factor, value) pairs of a per-factor list (dSprites' factors, else their positions) or mapping."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list):
        names = FACTOR_NAMES if len(value) == len(FACTOR_NAMES) else [str(i) for i in range(len(value))]
        return list(zip(names, value))
    return []


def _number(value) -> int | float | None:
    """A finite-or-not number as it is (ints stay ints); None for NaN, booleans and anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _order(axes: dict):
    """Rows in the order of the axes' values (as sweep.json lists them), then by key."""
    def key(r: dict):
        ranks = []
        for name, values in axes.items():
            v = r.get(name)
            ranks.append(values.index(v) if v in values else len(values))
        return (*ranks, r["key"])
    return key

"""``results.csv``: one row per run folder, rebuilt from the folders (never the source of truth).

Columns, in the order docs/sweeps.md fixes: the key, one per swept axis (sweep.json's order, the
seed always present), then status, attempts, the headline metrics with MIG's gap per factor, the
steps and the training seconds. Cells are empty where a run has no value (a failed run).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..config import FACTOR_NAMES
from .files import TABLE, read_results, write_atomic

GAP_COLUMNS = tuple(f"mig_gap_{name}" for name in FACTOR_NAMES)
AFTER_AXES = ("status", "attempts", "mig", *GAP_COLUMNS, "informative_units", "active_units", "kl", "mi",
              "z_usage", "recon", "steps", "train_seconds")


def columns(axes: list[str]) -> list[str]:
    axes = [a for a in axes if a != "seed"] + ["seed"]
    return ["key", *axes, *AFTER_AXES]


def setting(record: dict, name: str):
    """A run's value of one field: as swept, else from its saved config."""
    if name in (record.get("swept") or {}):
        return record["swept"][name]
    for part in (record.get("config") or {}).values():
        if isinstance(part, dict) and name in part:
            return part[name]
    return None


def row(record: dict, axes: list[str]) -> dict:
    m = record.get("metrics") or {}
    gaps = m.get("mig_gaps") or []
    out = {"key": record.get("key"), "status": record.get("status"), "attempts": record.get("attempts")}
    out.update({a: setting(record, a) for a in axes})
    out.update({c: m.get(c) for c in AFTER_AXES if c in m})
    out.update({c: g for c, g in zip(GAP_COLUMNS, gaps)})
    out["train_seconds"] = (record.get("timings") or {}).get("train_seconds")
    return out


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


def write_table(out: Path, axes: dict) -> Path:
    """Rebuild ``out/results.csv`` from every run folder that holds a whole result.json."""
    names = columns(list(axes))
    rows = sorted((row(r, names[1:-len(AFTER_AXES)]) for r in read_results(out)), key=_order(axes))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in names])
    return write_atomic(Path(out) / TABLE, buf.getvalue())

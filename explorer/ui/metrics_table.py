"""The compact metrics table above the pictures, and the words that define each of its numbers.

A plain HTML table (``st.table``) rather than a data grid: its cells wrap instead of cutting a value
to an ellipsis at any window width, and a browser test can read every cell. Columns, formats and
definitions come from explorer.metric_registry.
"""
from __future__ import annotations

import pandas as pd

from .. import metric_registry as registry


def metrics_table(runs: dict, extra: dict | None = None) -> pd.DataFrame:
    """One row per run: its setting in a few words, then the headline numbers, formatted for reading."""
    rows = {}
    for ref, run in runs.items():
        m, o = {**run.metrics, **(extra or {}).get(ref, {})}, run.config.objective
        setting = f"β = {o.beta:g}" + (f" · TC {o.tc_weight:g}" if o.tc_weight else "")
        setting += f" · {run.config.model.decoder} · {o.schedule}"
        if o.free_bits:
            setting += f" · free bits {o.free_bits:g}"
        if run.config.train.labels:
            setting += f" · {run.config.train.labels} labels"
        row = {"setting": setting}
        row.update({e.label: registry.fmt(e.key, m.get(e.key)) for e in registry.entries(registry.TABLE)})
        rows[ref] = row
    return pd.DataFrame(rows).T


def details_table(runs: dict, factor_names_of, extra: dict | None = None) -> pd.DataFrame:
    """Everything else the runs measured: per-factor MIG gaps, active units and the slower scores.

    Single numbers first, then the per-factor ones, then the slow scores (which fill in on request). Each as text in
    its registered format, "–" where a run has none: a data grid prints a float as it comes (0.000003 beside 0.0824).
    """
    shown = registry.entries(registry.DETAILS)
    order = sorted(shown, key=lambda e: (e.cost != "headline", e.per_factor is not None))
    rows = {}
    for ref, run in runs.items():
        m = {**run.metrics, **(extra or {}).get(ref, {})}
        m["steps"] = m.get("steps") or run.config.train.steps
        row = {}
        for e in order:
            if e.per_factor is None:
                row[e.label] = registry.fmt(e.key, m.get(e.key))
            else:
                row.update({f"{e.label} {name}": registry.fmt(e.key, v)
                            for name, v in zip(factor_names_of(run) or (), m.get(e.key) or ())})
        rows[ref] = row
    return pd.DataFrame(rows).T


def glossary() -> str:
    """One line per column of the compact table, for the caption under it."""
    return "  \n".join(f"**{e.label}**: {e.help}" for e in registry.entries(registry.TABLE))

"""The compact metrics table above the pictures, and the words that define each of its numbers.

A plain HTML table (``st.table``) rather than a data grid: its cells wrap instead of cutting a value
to an ellipsis at any window width, and a browser test can read every cell.
"""
from __future__ import annotations

import pandas as pd

#: column -> (metric key, format, definition shown under the table)
COLUMNS = {
    "MIG": ("mig", "{:.3f}", "mutual information gap: for each factor, how much more the best latent knows about it "
            "than the second best, as a share of the factor's entropy, averaged over factors (0: no latent specialises; "
            "1: every factor on an axis of its own; orientation's symmetry caps it near 0.44 on dSprites)"),
    "informative units": ("informative_units", "{:d}", "latents whose mean moves more than their own posterior noise "
                          "(½·log(1 + Var μ / E σ²) > 0.1 nat): the dimensions that carry information"),
    "KL (nats)": ("kl", "{:.2f}", "the rate: what the code costs per image, summed over latents (free bits keep it "
                  "high even when the code carries little)"),
    "I(x;z) (nats)": ("mi", "{:.2f}", "mutual information between image and code, estimated on 10,000 images "
                      "(at most ln 10,000 = 9.2)"),
    "z-usage (nats)": ("z_usage", "{:.1f}", "median nats per image the image's own code saves the decoder against "
                       "codes from the prior: a few for a collapsed run, tens or more when the decoder reads z"),
    "recon NLL (nats)": ("recon", "{:.1f}", "reconstruction: −log p(x | z) per image (lower is sharper)"),
}


def _fmt(fmt: str, value) -> str:
    if value is None:
        return "–"
    try:
        return fmt.format(int(value) if fmt == "{:d}" else float(value))
    except (TypeError, ValueError):
        return str(value)


def metrics_table(runs: dict, extra: dict | None = None) -> pd.DataFrame:
    """One row per run: its setting in a few words, then the headline numbers, formatted for reading."""
    rows = {}
    for ref, run in runs.items():
        m, o = {**run.metrics, **(extra or {}).get(ref, {})}, run.config.objective
        setting = f"β = {o.beta:g} · {run.config.model.decoder} · {o.schedule}"
        if o.free_bits:
            setting += f" · free bits {o.free_bits:g}"
        if run.config.train.labels:
            setting += f" · {run.config.train.labels} labels"
        row = {"setting": setting}
        row.update({name: _fmt(fmt, m.get(key)) for name, (key, fmt, _) in COLUMNS.items()})
        rows[ref] = row
    return pd.DataFrame(rows).T


def details_table(runs: dict, factor_names_of, extra: dict | None = None) -> pd.DataFrame:
    """Everything else the runs measured: per-factor MIG gaps, active units and the slower scores (raw numbers)."""
    rows = {}
    for ref, run in runs.items():
        m = {**run.metrics, **(extra or {}).get(ref, {})}
        row = {"active units (Burda)": m.get("active_units"), "steps": m.get("steps") or run.config.train.steps}
        for name, gap in zip(factor_names_of(run) or (), m.get("mig_gaps") or ()):
            row[f"MIG gap {name}"] = gap
        for key, label in (("dci_disentanglement", "DCI disent."), ("dci_completeness", "DCI compl."),
                           ("sap", "SAP"), ("factor_vae", "FactorVAE")):
            row[label] = m.get(key)
        rows[ref] = row
    return pd.DataFrame(rows).T


def glossary() -> str:
    """One line per column, for the caption under the table."""
    return "  \n".join(f"**{name}**: {definition}" for name, (_, _, definition) in COLUMNS.items())

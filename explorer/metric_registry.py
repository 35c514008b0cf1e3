"""Every number the project reports, described once: its key, label, format, definition and sample.

The tables on Compare and Sweep, the gallery index, ``results.csv`` and ``eval --json`` list their
metrics from here, so a new metric is its module (which computes it) plus one entry below.
Plain data, no torch: the pages that only show numbers import this and nothing heavier.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import protocols
from .protocols import EXTRA, GALLERY, Protocol

#: Where a metric is shown: the compact table on Compare (and the Sweep page's table), the details
#: table under it, a sweep's result.json and results.csv, the shipped gallery's index.json.
TABLE, DETAILS, SWEEP, INDEX = "table", "details", "sweep", "index"


@dataclass(frozen=True)
class Metric:
    key: str                 # as in the metric dicts (evaluate's output, result.json, index.json)
    label: str               # a column's title
    format: str              # a Python format spec, e.g. ".3f"
    help: str                # one line: what the number is
    direction: str | None    # "higher" or "lower" is better; None where neither is
    cost: str                # "headline": every evaluation computes it; "slow": DCI, SAP, FactorVAE, on request
    sample: str | None       # the protocol (explorer.protocols) behind Compare's value; None: not measured on images
    shown: tuple[str, ...] = ()
    per_factor: str | None = None  # one value per factor: the column key, e.g. "mig_gap_{}"
    source: str = "metrics"        # the part of a sweep's result.json that holds it

    def column(self, factor: str) -> str:
        """The column of one factor's value of a per-factor metric."""
        return self.per_factor.format(factor)

    def factor_label(self, factor: str) -> str:
        return f"{self.label}: {factor}"


_NOW, _SLOW = "headline", "slow"
_H, _E = GALLERY.name, EXTRA.name

#: In the order the tables list them (results.csv's columns after the axes follow it).
METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("mig", "MIG", ".3f",
           "mutual information gap: for each factor, how much more the best latent knows about it than the second "
           "best, as a share of the factor's entropy, averaged over factors (0: no latent specialises; 1: every "
           "factor on an axis of its own; orientation's symmetry caps it near 0.44 on dSprites)",
           "higher", _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("mig_gaps", "MIG gap", ".3f",
           "one factor's share of MIG: how much more the best latent knows about it than the second best",
           "higher", _NOW, _H, (DETAILS, SWEEP, INDEX), per_factor="mig_gap_{}"),
    Metric("informative_units", "informative units", "d",
           "latents whose mean moves more than their own posterior noise (½·log(1 + Var μ / E σ²) > 0.1 nat): "
           "the dimensions that carry information", "higher", _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("active_units", "active units", "d",
           "Burda et al.'s active units: latents whose posterior mean varies across images (variance > 0.01), "
           "noise included", "higher", _NOW, _H, (DETAILS, SWEEP, INDEX)),
    Metric("kl", "KL (nats)", ".2f",
           "the rate: what the code costs per image, summed over latents (free bits keep it high even when the code "
           "carries little)", None, _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("mi", "I(x;z) (nats)", ".2f",
           "mutual information between image and code, estimated on 10,000 images (at most ln 10,000 = 9.2)",
           "higher", _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("z_usage", "z-usage (nats)", ".1f",
           "median nats per image the image's own code saves the decoder against codes from the prior: a few for a "
           "collapsed run, tens or more when the decoder reads z", "higher", _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("recon", "recon NLL (nats)", ".1f", "reconstruction: −log p(x | z) per image (lower is sharper)",
           "lower", _NOW, _H, (TABLE, SWEEP, INDEX)),
    Metric("steps", "steps", "d", "optimiser steps the run trained for", None, _NOW, None, (DETAILS, SWEEP)),
    Metric("train_seconds", "training time (s)", ".1f", "wall-clock seconds the training took, scoring excluded",
           None, _NOW, None, (SWEEP,), source="timings"),
    Metric("dci_disentanglement", "DCI disent.", ".3f",
           "DCI disentanglement (random forests): how much each latent serves a single factor",
           "higher", _SLOW, _E, (DETAILS, INDEX)),
    Metric("dci_completeness", "DCI compl.", ".3f",
           "DCI completeness (random forests): how much each factor lives in a single latent",
           "higher", _SLOW, _E, (DETAILS,)),
    Metric("dci_informativeness", "DCI inform.", ".3f",
           "DCI informativeness: the random forests' test accuracy at predicting the factors from the code",
           "higher", _SLOW, _E),
    Metric("sap", "SAP", ".3f",
           "separated attribute predictability: per factor, the accuracy margin between the best and the second "
           "single-latent classifier, averaged", "higher", _SLOW, _E, (DETAILS,)),
    Metric("factor_vae", "FactorVAE", ".3f",
           "FactorVAE score: how often a majority vote names the factor held fixed from the latent that varies least",
           "higher", _SLOW, _E, (DETAILS,)),
    Metric("pinned_mi", "pinned MI", ".2f",
           "for a run trained with labels, the share of each pinned factor's entropy its own dimension captures",
           "higher", _NOW, _H, (INDEX,), per_factor="pinned_mi_{}"),
)}


def metric(key: str) -> Metric:
    return METRICS[key]


def entries(place: str | None = None, source: str | None = None) -> list[Metric]:
    """The metrics shown at ``place`` (every one when None), in table order; only ``source``'s when given."""
    return [m for m in METRICS.values()
            if (place is None or place in m.shown) and (source is None or m.source == source)]


def keys(place: str | None = None, source: str | None = None) -> tuple[str, ...]:
    return tuple(m.key for m in entries(place, source))


def headline() -> tuple[str, ...]:
    """The keys every evaluation computes (the slow scores left out)."""
    return tuple(m.key for m in METRICS.values() if m.cost == _NOW)


def label(key: str) -> str:
    """A key's column title; an unregistered key reads as its words."""
    return METRICS[key].label if key in METRICS else key.replace("_", " ")


def fmt(key: str, value) -> str:
    """``value`` as a table shows it: "–" when absent, the registered format, else as it is."""
    if value is None:
        return "–"
    spec = METRICS[key].format if key in METRICS else ""
    try:
        return format(int(value) if spec.endswith("d") else float(value), spec)
    except (TypeError, ValueError):
        return str(value)


def printf(key: str) -> str:
    """The registered format as a printf pattern (Streamlit's NumberColumn), e.g. "%.3f"."""
    return "%" + METRICS[key].format


def protocol(key: str) -> Protocol | None:
    """The sample the app's value of ``key`` is measured on."""
    named = {p.name: p for p in vars(protocols).values() if isinstance(p, Protocol)}
    return named.get(METRICS[key].sample)


def ordered(values: dict) -> dict:
    """``values`` with the registered metrics first, in table order, then the rest as they came."""
    first = {k: values[k] for k in METRICS if k in values}
    return first | {k: v for k, v in values.items() if k not in first}

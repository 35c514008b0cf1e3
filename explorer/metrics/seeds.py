"""Summaries of one metric over training seeds of one configuration.

Locatello et al. (2019) found seed variance as large as the effect of the method or β, so a
single run's score says little; report the median and spread over seeds instead.
"""
from __future__ import annotations

import numpy as np

from ._arrays import as_numpy


def seed_summary(values) -> dict:
    """n, median, min, max, quartiles (q25, q75, linear interpolation), iqr, mean and std (ddof=1;
    0.0 for a single value) of the finite ``values``; ``n_dropped`` counts NaN/inf left out
    (e.g. a run that diverged)."""
    x = np.asarray(as_numpy(values), dtype=np.float64).ravel()
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise ValueError("seed_summary needs at least one finite value")
    q25, median, q75 = np.percentile(finite, [25, 50, 75])
    return {
        "n": int(finite.size),
        "median": float(median),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "q25": float(q25),
        "q75": float(q75),
        "iqr": float(q75 - q25),
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        "n_dropped": int(x.size - finite.size),
    }

"""How far to sweep each latent in a traversal or a slider: three ranges, one per question.

- ``prior``: ±3 around the prior mean for every dimension. Comparable across runs, but it ignores
  where the encoder actually puts images: a used dimension whose means span ±0.5 is driven far
  outside anything the decoder was trained on, and the picture turns to noise or blanks.
- ``fitted``: disentanglement_lib's fitted Gaussian per dimension (mean of μ over the data,
  variance E[σ²] + Var(μ)), swept over its 5 %–95 % quantiles. An unused dimension fits the
  prior and still sweeps about ±1.6.
- ``data`` (the default): the 1st–99th percentile of the posterior means over the data. A
  dimension the encoder never moves has a near-empty range and reads as flat; a used one sweeps
  exactly the values real images take. Percentiles rather than min–max, so one odd image does not
  stretch the sweep.
"""
from __future__ import annotations

import numpy as np

from .protocols import RANGES

RANGE_KINDS = ("data", "fitted", "prior")
RANGE_HELP = {
    "data": "1st–99th percentile of the posterior means over real images: unused dimensions stay flat",
    "fitted": "disentanglement_lib's fitted Gaussian (mean μ, variance E[σ²] + Var μ), 5–95 % quantiles",
    "prior": "±3 around 0 for every dimension (the prior's range)",
}
PRIOR_LIMIT = 3.0
#: The fixed sample of real images behind the data-driven ranges (the same for every run).
RANGE_SAMPLE, RANGE_SEED = RANGES.samples, RANGES.seed
_Z95 = 1.6448536269514722  # the standard normal's 95 % quantile


def code_ranges(mu: np.ndarray, logvar: np.ndarray, kind: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi), each (D,): the sweep of every latent dimension for ``kind`` (see the module note)."""
    if kind not in RANGE_KINDS:
        raise ValueError(f"unknown range {kind!r}; choose from {', '.join(RANGE_KINDS)}")
    mu = np.asarray(mu, dtype=np.float64)
    logvar = np.asarray(logvar, dtype=np.float64)
    if mu.ndim != 2 or mu.shape != logvar.shape or len(mu) < 2:
        raise ValueError(f"need (N ≥ 2, D) means and log-variances, got {mu.shape} and {logvar.shape}")
    if not (np.isfinite(mu).all() and np.isfinite(logvar).all()):
        raise ValueError("the posterior means or log-variances contain NaN or infinity")
    d = mu.shape[1]
    if kind == "prior":
        return np.full(d, -PRIOR_LIMIT), np.full(d, PRIOR_LIMIT)
    if kind == "fitted":
        centre = mu.mean(axis=0)
        scale = np.sqrt(np.exp(logvar).mean(axis=0) + mu.var(axis=0))
        return centre - _Z95 * scale, centre + _Z95 * scale
    lo, hi = np.percentile(mu, [1.0, 99.0], axis=0)
    return lo, hi


def model_code_ranges(model, dataset, kind: str = "data", n: int = RANGE_SAMPLE,
                      seed: int = RANGE_SEED) -> tuple[np.ndarray, np.ndarray]:
    """:func:`code_ranges` of a model's posterior on ``n`` images of its own dataset."""
    from .evaluation import draw_eval_sample, encode

    if kind == "prior":  # needs no images
        d = model.encoder.latent_dim
        return np.full(d, -PRIOR_LIMIT), np.full(d, PRIOR_LIMIT)
    mu, logvar = encode(model, draw_eval_sample(dataset, n, seed).images)
    return code_ranges(mu, logvar, kind)


def sweep_values(lo: np.ndarray, hi: np.ndarray, columns: int = 8) -> np.ndarray:
    """(D, columns) evenly spaced values from lo to hi for every dimension."""
    if columns < 2:
        raise ValueError("a sweep needs at least 2 columns")
    t = np.linspace(0.0, 1.0, columns)
    return (np.asarray(lo)[:, None] + (np.asarray(hi) - np.asarray(lo))[:, None] * t[None, :]).astype(np.float32)

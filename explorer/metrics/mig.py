"""Mutual Information Gap (Chen et al. 2018), in disentanglement_lib's histogram variant.

MIG asks, per factor, how much more one latent knows about it than any other latent:
``(MI_best - MI_second) / H(factor)``, averaged over factors. This is disentanglement_lib's
``discrete_mig`` (20 equal-width bins of the mean code, sklearn-style plug-in MI and entropy),
not Chen et al.'s sampled estimator: the two are not comparable (docs/metrics.md).

A factor with a single observed value (entropy 0) has nothing to disentangle: its gap is
reported as 0.0, it is marked ``scored=False``, named in ``skipped_factors`` and left out of the
mean, as in SAP, DCI and the FactorVAE score. If every factor is constant, ``mig`` raises.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._arrays import check_codes, check_factors, constant_factors
from .mutual_info import mi_entropy


def _gap_summary(mi: np.ndarray, entropy: np.ndarray, skipped: list[int], n_bins: int, n: int) -> dict:
    """Gaps, best latents and the mean from a (K, D) MI matrix and (K,) entropies."""
    k, d = mi.shape
    order = np.argsort(-mi, axis=1, kind="stable")
    best = mi[np.arange(k), order[:, 0]]
    # With a single latent there is no runner-up: its MI counts as 0.
    second = mi[np.arange(k), order[:, 1]] if d > 1 else np.zeros(k)
    scored = np.ones(k, dtype=bool)
    scored[skipped] = False                  # single-valued: entropy 0, nothing to capture
    gaps = np.zeros(k)
    gaps[scored] = (best[scored] - second[scored]) / entropy[scored]
    return {
        "mig": float(gaps[scored].mean()),
        "gaps": gaps.tolist(),
        "mi": mi,
        "entropy": entropy.tolist(),
        "best_latent": order[:, 0].astype(int).tolist(),
        "runner_up_latent": (order[:, 1].astype(int).tolist() if d > 1 else [-1] * k),
        "scored": scored.tolist(),
        "skipped_factors": skipped,
        "n_bins": int(n_bins),
        "n_samples": int(n),
    }


def mig(codes, factors, n_bins: int = 20) -> dict:
    """MIG of ``codes`` (N, D latent means) against ``factors`` (N, K integer classes).

    Returns ``mig`` (float), per-factor ``gaps``, ``entropy``, ``best_latent``,
    ``runner_up_latent`` (-1 when D = 1), ``scored`` (False for single-valued factors, which
    ``skipped_factors`` lists), and ``mi``: the (K, D) factor × latent MI matrix in nats
    (disentanglement_lib stores the transpose). Vectorised; equals the sklearn double loop
    ``mig_reference`` in tests/oracles.py to floating-point rounding.
    """
    codes = check_codes(codes)
    factors = check_factors(factors, codes.shape[0])
    skipped = constant_factors(factors)
    mi, entropy = mi_entropy(codes, factors, n_bins)
    return _gap_summary(mi, entropy, skipped, n_bins, codes.shape[0])


def latent_factor_labels(mi_matrix, factor_names: Sequence[str], min_mi: float = 0.0,
                         unlabeled: str = "—") -> list[str]:
    """For each latent, the name of the factor it shares most MI with (to label traversal rows).

    ``mi_matrix`` is (K, D) as returned by :func:`mig` (raw or divided by the entropies). A latent
    whose best MI is ``<= min_mi`` (e.g. a collapsed, constant latent) gets ``unlabeled``.
    """
    mi_matrix = np.asarray(mi_matrix, dtype=np.float64)
    if mi_matrix.ndim != 2 or mi_matrix.shape[0] != len(factor_names):
        raise ValueError(f"mi_matrix must be (K={len(factor_names)}, D), got {mi_matrix.shape}")
    best = mi_matrix.argmax(axis=0)
    top = mi_matrix.max(axis=0)
    return [str(factor_names[b]) if m > min_mi else unlabeled for b, m in zip(best, top)]

"""Modularity (Ridgeway & Mozer 2018) in disentanglement_lib's form, from the MIG MI matrix.

A latent is modular when its MI is concentrated on one factor: per latent,
δ = (Σ_k m_k² − max_k m_k²) / (max_k m_k² · (K − 1)) and modularity = 1 − δ, averaged over
latents; a latent with no MI scores 0. It complements MIG (one latent per factor) by asking
for one factor per latent. Explicitness is not implemented.
"""
from __future__ import annotations

import numpy as np

from ._arrays import check_codes, check_factors
from .mutual_info import _mi_entropy


def modularity_from_mi(mi) -> dict:
    """Modularity from a (K, D) factor × latent MI matrix."""
    sq = np.asarray(mi, dtype=np.float64) ** 2
    k = sq.shape[0]
    top = sq.max(axis=0)
    per_latent = np.zeros(sq.shape[1])
    used = top > 0
    if k == 1:
        per_latent[used] = 1.0          # one factor: any informative latent is modular
    else:
        delta = (sq[:, used].sum(axis=0) - top[used]) / (top[used] * (k - 1))
        per_latent[used] = 1.0 - delta
    return {"modularity": float(per_latent.mean()), "modularity_per_latent": per_latent.tolist()}


def modularity(codes, factors, n_bins: int = 20) -> dict:
    """Modularity of ``codes`` (N, D) w.r.t. ``factors`` (N, K); also returns the (K, D) ``mi``."""
    codes = check_codes(codes)
    factors = check_factors(factors, codes.shape[0])
    mi, _ = _mi_entropy(codes, factors, n_bins)
    return {**modularity_from_mi(mi), "mi": mi}

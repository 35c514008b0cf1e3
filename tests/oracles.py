"""Ground truth for the metric tests and the MIG speed benchmark; not part of the package.

``mig_reference`` is MIG computed the slow, obvious way (sklearn ``mutual_info_score`` per
factor/latent pair, ``np.digitize`` per latent), written independently of the vectorised code it
checks. The code builders return latents whose correct scores are known by construction: one
latent per factor (perfect), the same mixed by a rotation (entangled), or pure noise.
``bench.mig_speed`` imports this module as ``tests.oracles`` (it runs from the repository root).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import mutual_info_score


def histogram_discretize_reference(codes, n_bins: int = 20) -> np.ndarray:
    """Per-latent ``np.digitize(x, np.histogram(x, n_bins)[1][:-1])``, labels 1..n_bins.

    A latent whose spread is a few ulps (numpy cannot make ``n_bins`` distinct edges) is binned
    as the constant latent it is in all but rounding.
    """
    codes = np.asarray(codes)
    out = np.empty(codes.shape, dtype=np.int64)
    for d in range(codes.shape[1]):
        col = codes[:, d]
        try:
            edges = np.histogram(col, n_bins)[1]
        except ValueError:
            col = np.full_like(col, col.min())
            edges = np.histogram(col, n_bins)[1]
        out[:, d] = np.digitize(col, edges[:-1])
    return out


def mig_reference(codes, factors, n_bins: int = 20) -> dict:
    """MIG with the keys :func:`explorer.metrics.mig` shares: mig, gaps, mi, entropy, scored, best_latent."""
    codes, factors = np.asarray(codes), np.asarray(factors)
    binned = histogram_discretize_reference(codes, n_bins)
    k, d = factors.shape[1], codes.shape[1]
    mi = np.array([[mutual_info_score(factors[:, j], binned[:, i]) for i in range(d)] for j in range(k)])
    entropy = np.array([mutual_info_score(factors[:, j], factors[:, j]) for j in range(k)])
    scored = entropy > 0
    if not scored.any():
        raise ValueError("every factor has a single value")
    ordered = np.sort(mi, axis=1)
    second = ordered[:, -2] if d > 1 else np.zeros(k)
    gaps = np.where(scored, (ordered[:, -1] - second) / np.where(scored, entropy, 1.0), 0.0)
    return {"mig": float(gaps[scored].mean()), "gaps": gaps.tolist(), "mi": mi,
            "entropy": entropy.tolist(), "scored": scored.tolist(),
            "best_latent": np.argmax(mi, axis=1).tolist()}


def sample_factors(n: int, sizes: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """(n, K) factor classes drawn uniformly and independently (disentanglement_lib's sampling)."""
    return np.stack([rng.integers(0, s, size=n) for s in sizes], axis=1)


def aligned_codes(factors: np.ndarray, sizes: Sequence[int], rng: np.random.Generator,
                  noise: float = 0.01, n_noise_dims: int = 2) -> np.ndarray:
    """Latent k = factor k standardised (unit variance, like a VAE mean) plus Gaussian
    ``noise``, then ``n_noise_dims`` N(0, 1) latents: a perfectly disentangled code as long as
    ``noise`` is well below the class spacing (≈ 1.7 / size)."""
    sizes = np.asarray(sizes, dtype=np.float64)
    std = np.sqrt((sizes ** 2 - 1) / 12)                 # std of a uniform class index
    scaled = (factors - (sizes - 1) / 2) / np.where(std > 0, std, 1.0)
    signal = scaled + noise * rng.standard_normal(factors.shape)
    extra = rng.standard_normal((factors.shape[0], n_noise_dims))
    return np.concatenate([signal, extra], axis=1)


def random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random (d, d) orthogonal matrix: mixes every latent into every other."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def equal_mixing(d: int) -> np.ndarray:
    """(d, d) orthogonal matrix in which every output mixes every input with equal weight
    (a normalised Sylvester–Hadamard matrix; d must be a power of two): maximal entanglement."""
    if d < 1 or d & (d - 1):
        raise ValueError(f"d must be a power of two, got {d}")
    h = np.ones((1, 1))
    while h.shape[0] < d:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(d)


def noise_codes(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """(n, d) standard normal codes, independent of any factor."""
    return rng.standard_normal((n, d))

"""Synthetic codes with known disentanglement, for tests, benchmarks and sanity checks.

Each builder returns codes whose correct metric behaviour is known by construction: one
latent per factor (perfect), the same mixed by a rotation (entangled), or pure noise.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


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

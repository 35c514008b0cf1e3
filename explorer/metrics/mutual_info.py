"""Discrete mutual information between factors and binned codes, in nats, vectorised.

Same quantity as ``sklearn.metrics.mutual_info_score`` (plug-in estimate from the contingency
table, clipped at 0), but one ``np.bincount`` per factor counts all latents at once instead of
one sklearn call per (factor, latent) pair.
"""
from __future__ import annotations

import numpy as np

from .discretize import Binner

#: Widest label range handled by shifting alone (dSprites' largest factor has 40 classes).
MAX_SPAN = 4096


def dense_labels(y: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels shifted to 0..C-1 and the table size C; any integers, gaps allowed.

    Label ranges up to ``MAX_SPAN`` are only shifted (O(N)): classes that never occur get empty
    rows in the count tables, which contribute nothing to MI or entropy. Wider ranges go
    through ``np.unique`` so the tables stay small.
    """
    lo, hi = int(y.min()), int(y.max())
    span = hi - lo + 1
    if span <= MAX_SPAN:
        return np.subtract(y, lo, dtype=np.int64), span
    uniq, inverse = np.unique(y, return_inverse=True)
    return inverse.ravel().astype(np.int64), int(uniq.size)


def entropy_from_counts(class_counts: np.ndarray) -> float:
    """Plug-in entropy in nats of a label distribution given by its class counts."""
    p = class_counts[class_counts > 0] / class_counts.sum()
    return max(0.0, float(-(p * np.log(p)).sum()))


def _mi_from_counts(counts: np.ndarray, n_x: np.ndarray, n: int) -> np.ndarray:
    """MI per latent from a (C, D, S) count table of (class, latent, bin) and class sizes n_x.

    Mirrors sklearn's conventions: exactly 0 when the factor or the binned latent takes a
    single value, per-cell terms below machine epsilon dropped, result clipped at 0.
    """
    n_y = counts.sum(axis=0)                             # (D, S) bin sizes
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = (np.log(counts) + np.log(n) - np.log(n_x)[:, None, None] - np.log(n_y)[None])
        terms = np.where(counts > 0, counts / n * log_ratio, 0.0)
    terms[np.abs(terms) < np.finfo(np.float64).eps] = 0.0
    mi = np.maximum(terms.sum(axis=(0, 2)), 0.0)
    mi[(n_y > 0).sum(axis=1) < 2] = 0.0
    if (n_x > 0).sum() < 2:
        mi[:] = 0.0
    return mi


def mi_entropy(codes: np.ndarray, factors: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, D) MI between each factor and each histogram-discretised latent, and (K,) factor
    entropies, both in nats, from one pass over already-checked codes (N, D) and factors (N, K)."""
    n, d = codes.shape
    binner = Binner(codes, n_bins)
    cells = d * binner.stride
    labels = [dense_labels(factors[:, j]) for j in range(factors.shape[1])]
    # The class offset is added to the latent/bin index, so one bincount per factor and block
    # counts every latent; the offset array has the index dtype to keep the sum narrow.
    offsets = [(np.multiply(y, cells, dtype=binner.dtype if c * cells < 2**31 else np.int64), c)
               for y, c in labels]
    counts = [np.zeros(c * cells, dtype=np.int64) for _, c in labels]
    for cols, idx in binner.blocks():
        for (off, c), acc in zip(offsets, counts):
            acc += np.bincount((idx + off[cols]).ravel(), minlength=c * cells)
    mi = np.empty((factors.shape[1], d))
    entropy = np.empty(factors.shape[1])
    for j, ((y, c), acc) in enumerate(zip(labels, counts)):
        n_x = np.bincount(y, minlength=c).astype(np.float64)
        entropy[j] = entropy_from_counts(n_x)
        mi[j] = _mi_from_counts(acc.reshape(c, d, binner.stride).astype(np.float64), n_x, n)
    return mi, entropy


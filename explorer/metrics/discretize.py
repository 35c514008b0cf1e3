"""Equal-width histogram discretisation of codes, as disentanglement_lib's ``_histogram_discretize``.

Each latent gets ``n_bins`` equal-width bins between its sample min and max (``np.histogram``
edges) and a label from ``np.digitize(x, edges[:-1])``, i.e. 1..n_bins with the maximum in the
last bin. The fast path reproduces those labels exactly without a per-latent search.

A latent whose spread is only a few ulps (numpy cannot make ``n_bins`` distinct edges and
raises "Too many bins for data range") is binned as the constant latent it is in all but
rounding: a single bin, so zero information.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from ._arrays import check_codes

#: Columns per block in the fast path: small enough that a block's temporaries stay in cache.
CHUNK = 4096


class Binner:
    """Bins latent-major codes (D, N) block by block into flat indices.

    A flat index is ``d * (n_bins + 1) + (label - 1)``: one stride per latent, so a single
    ``np.bincount`` can count (factor class, latent, bin) for all latents at once.
    """

    def __init__(self, codes: np.ndarray, n_bins: int = 20):
        """``codes``: an (N, D) float array already passed through ``check_codes``."""
        if n_bins < 1:
            raise ValueError(f"n_bins must be >= 1, got {n_bins}")
        self.n_bins = int(n_bins)
        self.stride = self.n_bins + 1
        self.codes_t = np.ascontiguousarray(codes.T)      # every numpy loop runs over N values
        d = self.codes_t.shape[0]
        lo, hi = self.codes_t.min(axis=1), self.codes_t.max(axis=1)
        # numpy computes the edges itself, so they are bit-identical to np.histogram's.
        edges, flat = [], []
        for i, (row, a, b) in enumerate(zip(self.codes_t, lo, hi)):
            try:
                edges.append(np.histogram_bin_edges(row, self.n_bins, range=(a, b)))
            except ValueError:  # codes are finite, so this is "Too many bins for data range"
                flat.append(i)
                edges.append(np.histogram_bin_edges(row, self.n_bins, range=(a, a)))
        if flat:
            # Binned as the constant lo; a copy, since codes_t may be the caller's own array.
            self.codes_t = self.codes_t.copy()
            self.codes_t[flat] = lo[flat, None]
        edges = np.stack(edges).astype(np.float64)
        self.start = edges[:, :1].copy()
        self.scale = (self.n_bins / (edges[:, -1] - edges[:, 0]))[:, None]
        # Only edges[:-1] count for np.digitize; an +inf sentinel in the last slot stops the
        # upward correction at the top bin without a separate mask.
        table = edges.copy()
        table[:, -1] = np.inf
        self.table = table.ravel()
        # int32 indices halve the memory traffic; int64 only for absurd sizes.
        self.dtype = np.int32 if d * self.stride < 2**31 else np.int64
        self.offsets = (np.arange(d, dtype=self.dtype) * self.stride)[:, None]

    def blocks(self, chunk: int | None = None) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield (column slice, (D, n) flat indices) per block of samples."""
        n = self.codes_t.shape[1]
        chunk = chunk or CHUNK
        for begin in range(0, n, chunk):
            cols = slice(begin, min(begin + chunk, n))
            yield cols, self._flat(self.codes_t[:, cols])

    def _flat(self, x: np.ndarray) -> np.ndarray:
        # Float estimate of the bin, then one exact correction each way against the edges
        # (the trick np.histogram uses internally): labels equal np.digitize's.
        est = x - self.start
        est *= self.scale
        idx = est.astype(self.dtype)
        np.minimum(idx, self.n_bins - 1, out=idx)
        idx += self.offsets
        idx -= x < self.table[idx]
        idx += x >= self.table[idx + 1]
        return idx


def histogram_discretize(codes, n_bins: int = 20) -> np.ndarray:
    """(N, D) int labels in 1..n_bins, identical to per-latent ``np.digitize`` on ``np.histogram``
    edges (``histogram_discretize_reference`` in tests/oracles.py)."""
    binner = Binner(check_codes(codes), n_bins)
    out = np.empty(binner.codes_t.shape, dtype=np.int64)
    for cols, idx in binner.blocks():
        out[:, cols] = idx - binner.offsets + 1
    return out.T


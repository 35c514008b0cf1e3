"""Each latent's posterior mean against each dSprites factor, on an exact grid (Chen et al. 2018, fig. 6).

A random sample mixes every factor into every average; a full Cartesian product of chosen
classes averages each factor out exactly, so a flat line really means "this latent ignores that
factor" and a tilted position map really means "position landed on a rotated pair of axes".
Plain NumPy: ``encode_fn`` supplies the codes, so no model (and no UI) is needed here.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .data.dsprites import ProceduralDSprites
from .data.dsprites_grid import FACTOR_NAMES, FACTOR_SIZES, LATENT_VALUES, SHAPE_NAMES

#: Orientation and position classes on the grid. All 3 shapes and all 6 scales are always used;
#: these two sizes set the grid's cost (3·6·N_ORIENTATIONS·N_POSITIONS² images, each rendered and
#: encoded), chosen so the dashboard can compute it on demand on a small CPU. Angles get the larger
#: share: ten over classes 0..38 (class 39 repeats class 0) sample the ellipse's half-turn period
#: often enough to show as a wave rather than a zigzag, while a 6 × 6 map already shows whether a
#: latent follows one position axis or a tilted mix of both.
N_ORIENTATIONS = 10
N_POSITIONS = 6
#: Images rendered and encoded at a time (bounds memory, not the result).
CHUNK_SIZE = 1024

EncodeFn = Callable[[np.ndarray], np.ndarray]


def evenly_spaced_classes(last: int, n: int) -> np.ndarray:
    """``n`` distinct integer classes spread evenly over 0..last, both ends included."""
    if not 1 <= n <= last + 1:
        raise ValueError(f"cannot pick {n} distinct classes from 0..{last}")
    return np.unique(np.round(np.linspace(0, last, n)).astype(np.int64))


def subgrid_classes(n_orientations: int = N_ORIENTATIONS, n_positions: int = N_POSITIONS) -> dict[str, np.ndarray]:
    """The class indices used for each factor, keyed by FACTOR_NAMES."""
    sizes = dict(zip(FACTOR_NAMES, FACTOR_SIZES))
    return {
        "shape": np.arange(sizes["shape"]),
        "scale": np.arange(sizes["scale"]),
        "orientation": evenly_spaced_classes(sizes["orientation"] - 2, n_orientations),  # 39 is 0 again
        "posX": evenly_spaced_classes(sizes["posX"] - 1, n_positions),
        "posY": evenly_spaced_classes(sizes["posY"] - 1, n_positions),
    }


def subgrid_factors(classes: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(N, 5) factor classes of the full Cartesian product, row-major in FACTOR_NAMES order (posY fastest).

    This is the order in which :func:`latent_factor_means` hands images to ``encode_fn``.
    """
    classes = subgrid_classes() if classes is None else classes
    mesh = np.meshgrid(*(classes[name] for name in FACTOR_NAMES), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1).astype(np.int64)


def latent_factor_means(encode_fn: EncodeFn, dataset=None, n_orientations: int = N_ORIENTATIONS,
                        n_positions: int = N_POSITIONS, chunk_size: int = CHUNK_SIZE) -> dict:
    """Every latent's mean code averaged over the grid, per position cell, per (shape, scale), per (shape, angle).

    ``encode_fn(images (n, 1, 64, 64)) -> (n, D)`` posterior means; it is called on consecutive
    chunks of the grid in :func:`subgrid_factors` order. Returns plain arrays:

    - ``position`` (D, nY, nX): rows are posY, columns posX; ``scale`` (D, 3, 6) and
      ``orientation`` (D, 3, nO): one row per shape;
    - ``posX_values``, ``posY_values`` (in [0, 1]), ``scale_values`` (0.5..1),
      ``orientation_degrees``, ``shape_names``, ``factor_names``;
    - ``explained`` (D, 5): the share of μ_d's variance over the grid that each factor's
      group means explain (between-group / total; 0 for a constant latent);
    - ``mean``, ``std`` (D,) of μ_d over the grid, and ``n_images``.
    """
    dataset = ProceduralDSprites() if dataset is None else dataset
    if tuple(getattr(dataset, "factor_names", None) or ()) != FACTOR_NAMES:
        name = getattr(dataset, "name", "this dataset")
        raise ValueError(f"latent-factor plots need dSprites factors {FACTOR_NAMES}, not {name}'s")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    classes = subgrid_classes(n_orientations, n_positions)
    factors = subgrid_factors(classes)
    mu = _encode_in_chunks(encode_fn, dataset, factors, chunk_size)
    grid = mu.T.reshape((mu.shape[1],) + tuple(len(classes[name]) for name in FACTOR_NAMES))  # (D, sh, sc, or, x, y)
    values = dict(zip(FACTOR_NAMES, LATENT_VALUES[1:]))
    return {
        "position": grid.mean(axis=(1, 2, 3)).transpose(0, 2, 1),
        "scale": grid.mean(axis=(3, 4, 5)),
        "orientation": grid.mean(axis=(2, 4, 5)),
        "posX_values": values["posX"][classes["posX"]],
        "posY_values": values["posY"][classes["posY"]],
        "scale_values": values["scale"][classes["scale"]],
        "orientation_degrees": np.degrees(values["orientation"][classes["orientation"]]),
        "shape_names": SHAPE_NAMES,
        "factor_names": FACTOR_NAMES,
        "explained": explained_variance_shares(grid),
        "mean": grid.reshape(len(grid), -1).mean(axis=1),
        "std": grid.reshape(len(grid), -1).std(axis=1),
        "n_images": len(factors),
    }


def explained_variance_shares(grid: np.ndarray) -> np.ndarray:
    """(D, K) share of each latent's variance explained by each factor's group means.

    ``grid`` is (D, n_1, ..., n_K), one cell per factor combination of a full, balanced product,
    so each factor's between-group variance is simply the variance of its marginal means.
    """
    flat = grid.reshape(len(grid), -1)
    total = flat.var(axis=1)
    shares = np.zeros((len(grid), grid.ndim - 1))
    for k in range(1, grid.ndim):
        others = tuple(a for a in range(1, grid.ndim) if a != k)
        shares[:, k - 1] = grid.mean(axis=others).var(axis=1)
    constant = total <= 1e-12 * np.maximum(np.abs(flat).max(axis=1) ** 2, 1e-30)  # no variance to share out
    shares[~constant] /= total[~constant, None]
    shares[constant] = 0.0
    return np.clip(shares, 0.0, 1.0)


def _encode_in_chunks(encode_fn: EncodeFn, dataset, factors: np.ndarray, chunk_size: int) -> np.ndarray:
    """(N, D) codes of the grid's images, rendered a chunk at a time; rejects malformed or non-finite codes."""
    codes = []
    for start in range(0, len(factors), chunk_size):
        images = dataset.images_from_factors(factors[start:start + chunk_size])
        mu = np.asarray(encode_fn(images))
        width = codes[0].shape[1] if codes else None
        if mu.ndim != 2 or mu.shape[0] != len(images) or mu.shape[1] < 1 or (width and mu.shape[1] != width):
            want = f"({len(images)}, {width or 'D'})"
            raise ValueError(f"encode_fn must return posterior means of shape {want}, got {mu.shape}")
        if not np.issubdtype(mu.dtype, np.number) or not np.all(np.isfinite(mu)):
            raise ValueError("encode_fn returned NaN or infinite codes: the model cannot be plotted")
        codes.append(mu.astype(np.float64))
    return np.concatenate(codes)

"""DeepMind dSprites' factor grid and index order, exactly as in the original ``.npz``.

Index ``i`` here means the same factor combination as row ``i`` of
``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``: row-major over
(color, shape, scale, orientation, posX, posY), posY fastest.
"""
from __future__ import annotations

import numpy as np

LATENT_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
LATENT_SIZES = (1, 3, 6, 40, 32, 32)
LATENT_BASES = tuple(int(np.prod(LATENT_SIZES[i + 1:])) for i in range(len(LATENT_SIZES)))
N_IMAGES = int(np.prod(LATENT_SIZES))  # 737,280

#: The factors that vary (colour is constant and dropped, as disentanglement_lib does).
FACTOR_NAMES = LATENT_NAMES[1:]
FACTOR_SIZES = LATENT_SIZES[1:]
SHAPE_NAMES = ("square", "ellipse", "heart")

#: The value of every class of every latent, in the original's float64 form.
LATENT_VALUES = (
    np.array([1.0]),
    np.array([1.0, 2.0, 3.0]),
    np.linspace(0.5, 1.0, 6),
    np.linspace(0.0, 2 * np.pi, 40),  # both ends included: classes 0 and 39 are the same angle
    np.linspace(0.0, 1.0, 32),
    np.linspace(0.0, 1.0, 32),
)


def classes_to_index(classes: np.ndarray) -> np.ndarray:
    """(N, 6) latent classes -> (N,) image indices."""
    classes = np.asarray(classes, dtype=np.int64)
    return classes @ np.asarray(LATENT_BASES, dtype=np.int64)


def index_to_classes(index: np.ndarray) -> np.ndarray:
    """(N,) image indices -> (N, 6) latent classes."""
    index = np.asarray(index, dtype=np.int64)
    if np.any(index < 0) or np.any(index >= N_IMAGES):
        raise ValueError(f"dSprites indices must lie in [0, {N_IMAGES})")
    out = np.empty(index.shape + (6,), dtype=np.int64)
    rest = index.copy()
    for i, base in enumerate(LATENT_BASES):
        out[..., i], rest = np.divmod(rest, base)
    return out


def classes_to_values(classes: np.ndarray) -> np.ndarray:
    """(N, 6) latent classes -> (N, 6) float64 latent values, as ``latents_values``."""
    classes = np.asarray(classes, dtype=np.int64)
    return np.stack([LATENT_VALUES[i][classes[:, i]] for i in range(6)], axis=1)


def factors_to_classes(factors: np.ndarray) -> np.ndarray:
    """(N, 5) varying-factor classes -> (N, 6) latent classes (colour column 0)."""
    factors = np.asarray(factors, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != 5:
        raise ValueError("dSprites factors must have shape (N, 5): shape, scale, orientation, posX, posY")
    if np.any(factors < 0) or np.any(factors >= np.asarray(FACTOR_SIZES)):
        raise ValueError(f"dSprites factor classes out of range; sizes are {FACTOR_SIZES}")
    return np.concatenate([np.zeros((len(factors), 1), dtype=np.int64), factors], axis=1)

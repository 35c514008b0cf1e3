"""dSprites as an ``ImageDataset``: procedurally rendered, or read from the original ``.npz``."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .base import ImageDataset
from .dsprites_grid import (
    FACTOR_NAMES,
    FACTOR_SIZES,
    LATENT_BASES,
    LATENT_SIZES,
    N_IMAGES,
    factors_to_classes,
    index_to_classes,
)
from .dsprites_render import render

ORIGINAL_FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"


class _DSpritesBase(ImageDataset):
    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES

    @property
    def n_images(self) -> int:
        return N_IMAGES

    def factors(self, indices: np.ndarray) -> np.ndarray:
        return index_to_classes(indices)[:, 1:]

    def indices_from_factors(self, factors: np.ndarray) -> np.ndarray:
        return factors_to_classes(factors) @ np.asarray(LATENT_BASES, dtype=np.int64)


class ProceduralDSprites(_DSpritesBase):
    """All 737,280 images, rendered on demand (nothing is held in memory)."""

    name = "dsprites"

    def images(self, indices: np.ndarray) -> np.ndarray:
        return self.render_uint8(indices)[:, None].astype(np.float32)

    def render_uint8(self, indices: np.ndarray) -> np.ndarray:
        return render(self.factors(np.asarray(indices)))


class NpzDSprites(_DSpritesBase):
    """dSprites images read from a ``.npz``: the original DeepMind file, or a subset of it.

    The original's ``metadata`` entry is a pickle; it is never touched. Only the plain arrays
    ``imgs``, ``latents_classes`` and ``latents_values`` (and ``indices`` in a subset written by
    ``python -m explorer data``) are read, with pickle disabled, and validated.
    """

    name = "dsprites-npz"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        arrays = load_dsprites_npz(self.path)
        self.imgs = arrays["imgs"]
        self.latents_classes = arrays["latents_classes"]
        self.latents_values = arrays["latents_values"]
        self.global_indices = arrays["indices"]
        self._row_of = None if len(self.imgs) == N_IMAGES else {int(g): r for r, g in enumerate(self.global_indices)}

    @property
    def n_images(self) -> int:
        return len(self.imgs)

    def images(self, indices: np.ndarray) -> np.ndarray:
        """Images by row of the file (for the original file, row = dSprites index)."""
        return self.imgs[np.asarray(indices)][:, None].astype(np.float32)

    def factors(self, indices: np.ndarray) -> np.ndarray:
        return self.latents_classes[np.asarray(indices), 1:].astype(np.int64)

    def indices_from_factors(self, factors: np.ndarray) -> np.ndarray:
        """Rows holding these factor combinations (a subset file may lack some)."""
        wanted = super().indices_from_factors(factors)
        if self._row_of is None:
            return wanted
        try:
            return np.array([self._row_of[int(g)] for g in wanted], dtype=np.int64)
        except KeyError:
            raise ValueError(f"{self.path.name} is a subset of dSprites and lacks some requested factor combinations") from None

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self._row_of is None:
            return super().sample_factors(n, rng)
        return self.factors(rng.integers(0, self.n_images, size=n))  # only combinations the file holds


class DatasetFileError(ValueError):
    """A user-supplied dataset file is unreadable or not in the expected layout."""


def load_dsprites_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read and validate the three plain arrays of a dSprites ``.npz`` (pickle stays disabled)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetFileError(f"no dSprites file at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = {"imgs", "latents_classes", "latents_values"} - set(data.files)
            if missing:
                raise DatasetFileError(f"{path.name} lacks the arrays {sorted(missing)}")
            names = ("imgs", "latents_classes", "latents_values") + (("indices",) if "indices" in data.files else ())
            arrays = {k: data[k] for k in names}
    except DatasetFileError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetFileError(f"{path.name} is not a readable dSprites .npz ({exc.__class__.__name__}: {exc})") from None
    _validate(arrays, path.name)
    return arrays


def _validate(arrays: dict[str, np.ndarray], name: str) -> None:
    """Shapes, dtypes, 0/1 pixels, and classes that agree with dSprites' index order."""
    imgs, classes, values = arrays["imgs"], arrays["latents_classes"], arrays["latents_values"]
    n = len(imgs)
    if imgs.ndim != 3 or imgs.shape[1:] != (64, 64) or imgs.dtype != np.uint8 or n == 0:
        raise DatasetFileError(f"{name}: imgs must be uint8 (N, 64, 64), got {imgs.dtype} {imgs.shape}")
    if classes.shape != (n, 6) or not np.issubdtype(classes.dtype, np.integer):
        raise DatasetFileError(f"{name}: latents_classes must be integer ({n}, 6)")
    if values.shape != (n, 6) or not np.issubdtype(values.dtype, np.floating):
        raise DatasetFileError(f"{name}: latents_values must be float ({n}, 6)")
    if imgs.max(initial=0) > 1:
        raise DatasetFileError(f"{name}: imgs must hold 0/1 values")
    if "indices" in arrays:
        indices = arrays["indices"]
        if indices.shape != (n,) or not np.issubdtype(indices.dtype, np.integer) or indices.min() < 0 or indices.max() >= N_IMAGES:
            raise DatasetFileError(f"{name}: indices must be {n} dSprites indices")
    elif n == N_IMAGES:
        indices = np.arange(N_IMAGES)
    else:
        raise DatasetFileError(f"{name}: a file of {n} images must say which ones (an 'indices' array); the original has {N_IMAGES}")
    # Classes must agree with the index order, or factor lookups by index would be wrong.
    if not np.array_equal(classes, index_to_classes(indices)):
        raise DatasetFileError(f"{name}: latents_classes are not in dSprites' index order {LATENT_SIZES}")
    arrays["indices"] = indices.astype(np.int64)

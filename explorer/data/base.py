"""The one interface every dataset in the explorer offers.

Training only needs ``images``; the disentanglement metrics additionally need ground-truth
factors, which only synthetic sets such as dSprites have (``has_factors``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class ImageDataset(ABC):
    """Binary-ish 1×64×64 images addressed by integer index."""

    name: str = "dataset"
    image_size: int = 64
    #: Names and number of classes of each ground-truth factor, or None when the set has none.
    factor_names: tuple[str, ...] | None = None
    factor_sizes: tuple[int, ...] | None = None

    @property
    @abstractmethod
    def n_images(self) -> int:
        """Number of addressable images."""

    @abstractmethod
    def images(self, indices: np.ndarray) -> np.ndarray:
        """float32 array (N, 1, 64, 64) with values in [0, 1]."""

    @property
    def has_factors(self) -> bool:
        return self.factor_sizes is not None

    def sample_indices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform indices, with replacement (the datasets are large and training is short)."""
        return rng.integers(0, self.n_images, size=n)

    # --- ground truth (only where has_factors) -------------------------------------------
    def factors(self, indices: np.ndarray) -> np.ndarray:
        """(N, K) integer factor classes of the given images."""
        raise NotImplementedError(f"{self.name} has no ground-truth factors")

    def indices_from_factors(self, factors: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no ground-truth factors")

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Each factor class drawn uniformly and independently (disentanglement_lib's convention)."""
        if self.factor_sizes is None:
            raise NotImplementedError(f"{self.name} has no ground-truth factors")
        return np.stack([rng.integers(0, s, size=n) for s in self.factor_sizes], axis=1)

    def images_from_factors(self, factors: np.ndarray) -> np.ndarray:
        return self.images(self.indices_from_factors(factors))

"""Pinned axes: a few labelled images tie latent dimension k to the k-th pinned factor.

The design is the supervised regulariser of Locatello et al. (2020, "Disentangling factors of
variation using few labels"): besides the unchanged β-VAE objective, every training batch
carries up to ``label_batch`` images from a fixed labelled pool, and for those the encoder's
mean of dimension k is pulled towards factor k's value, standardised over the factor grid to
mean 0 and variance 1 (the prior's own scale):

    loss = β-VAE loss + label_weight · mean_labelled Σ_k (μ_k(x) − y_k)²

A regression head on μ (rather than weak supervision such as Ada-GVAE's pairs) is what the
explorer needs: it *names* an axis and orders it like its factor, so a slider labelled posX
moves the sprite right. With no labels the pool is empty and the run is the unsupervised
β-VAE exactly (same random stream, same weights).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import pinned_factors

#: A separate random stream for choosing the labelled pool and drawing from it, so that labels
#: never shift the unsupervised batches (count 0 reproduces the unsupervised run bit for bit).
_POOL_STREAM = 0x1ABE1


def pinned_dims(config, factor_names) -> dict[int, str]:
    """latent dimension -> factor name, for runs trained with labels (empty otherwise)."""
    if config.train.labels <= 0 or not factor_names:
        return {}
    return dict(enumerate(pinned_factors(config.objective.pinned, factor_names)))


def standardised_targets(classes: np.ndarray, sizes) -> np.ndarray:
    """(N, K) integer classes -> float32 (N, K), each uniform factor scaled to mean 0, variance 1."""
    sizes = np.asarray(sizes, dtype=np.float64)
    centre = (sizes - 1) / 2
    spread = np.sqrt(np.maximum((sizes ** 2 - 1) / 12, 1e-12))  # std of a uniform over 0..S-1
    return ((np.asarray(classes, dtype=np.float64) - centre) / spread).astype(np.float32)


@dataclass
class LabelledPool:
    """The fixed labelled images of a run: their dataset indices and standardised pinned-factor targets."""

    indices: np.ndarray
    targets: np.ndarray  # (n, P) float32
    rng: np.random.Generator

    @classmethod
    def draw(cls, dataset, n: int, pinned, seed: int) -> "LabelledPool":
        if not dataset.has_factors:
            raise ValueError(f"labels need ground-truth factors, and {dataset.name} has none")
        if not 0 < n <= dataset.n_images:
            raise ValueError(f"labels must be between 1 and {dataset.n_images:,} (the size of {dataset.name})")
        names = pinned_factors(pinned, dataset.factor_names)
        columns = [dataset.factor_names.index(name) for name in names]
        rng = np.random.default_rng([seed, _POOL_STREAM])
        indices = np.sort(rng.choice(dataset.n_images, size=n, replace=False))
        sizes = [dataset.factor_sizes[c] for c in columns]
        targets = standardised_targets(dataset.factors(indices)[:, columns], sizes)
        return cls(indices=indices, targets=targets, rng=rng)

    def sample(self, size: int) -> tuple[np.ndarray, torch.Tensor]:
        """(dataset indices, targets) of ``size`` labelled images drawn with replacement."""
        pick = self.rng.integers(0, len(self.indices), size=size)
        return self.indices[pick], torch.from_numpy(self.targets[pick])


def label_loss(mu: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over labelled images of Σ_k (μ_k − y_k)² over the pinned dimensions 0..P−1."""
    return (mu[:, : targets.shape[1]] - targets).pow(2).sum(1).mean()


def pinned_mi(mi_matrix, factor_entropy, pinned: dict[int, str], factor_names) -> dict[str, float]:
    """For each pinned factor, the share of its entropy that its own pinned dimension captures (0…1)."""
    out = {}
    for dim, name in pinned.items():
        k = list(factor_names).index(name)
        h = float(factor_entropy[k])
        out[name] = float(mi_matrix[k][dim]) / h if h > 0 and dim < len(mi_matrix[k]) else 0.0
    return out

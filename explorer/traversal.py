"""Latent traversals: sweep one dimension at a time from a starting code and draw each code.

A grid has one row per latent dimension and one column per value of that dimension, all other
dimensions held at the starting code (the prior mean, or the posterior mean of an image). Each
row sweeps its own values (``explorer.code_ranges``: the data's range by default), and each tile
is what the decoder draws for its code (``explorer.pictures``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .models import VAE
from .pictures import AR_SAMPLES, mean_images


def traversal_codes(z0: np.ndarray, values: np.ndarray, dims: list[int] | None = None) -> np.ndarray:
    """(len(dims) · C, D) codes, row-major; ``values`` is (C,) for every row alike or (len(dims), C)."""
    z0 = np.asarray(z0, dtype=np.float32)
    dims = list(range(len(z0))) if dims is None else list(dims)
    values = np.asarray(values, dtype=np.float32)
    per_row = np.broadcast_to(values, (len(dims), values.shape[-1]))
    cols = per_row.shape[1]
    codes = np.repeat(z0[None], len(dims) * cols, axis=0)
    for r, d in enumerate(dims):
        codes[r * cols:(r + 1) * cols, d] = per_row[r]
    return codes


def traversal_grid(model: VAE, z0: np.ndarray | None = None, dims: list[int] | None = None,
                   values: np.ndarray | None = None, samples: int = AR_SAMPLES, seed: int = 0) -> tuple[np.ndarray, dict]:
    """(rows, cols, 64, 64) pictures in [0, 1] and decode info; ``values`` as in :func:`traversal_codes`."""
    latent_dim = model.encoder.latent_dim
    z0 = np.zeros(latent_dim, dtype=np.float32) if z0 is None else np.asarray(z0, dtype=np.float32)
    values = np.linspace(-3.0, 3.0, 8, dtype=np.float32) if values is None else np.asarray(values, dtype=np.float32)
    dims = list(range(latent_dim)) if dims is None else list(dims)
    codes = traversal_codes(z0, values, dims)
    pictures, info = mean_images(model, torch.from_numpy(codes), samples=samples, seed=seed)
    return pictures.reshape(len(dims), values.shape[-1], 64, 64), info


def save_grid_npz(path: Path, grid: np.ndarray, dims: list[int], values: np.ndarray, labels: list[str],
                  info: dict, start: np.ndarray) -> None:
    """The raw traversal for notebooks: ``images`` (rows, cols, 64, 64) in [0, 1], ``dims``, ``values``
    (rows, cols), ``labels``, the starting code ``z0`` and how tiles were drawn (``picture``, ``samples``)."""
    values = np.broadcast_to(np.asarray(values, dtype=np.float32), grid.shape[:2])
    np.savez_compressed(path, images=grid.astype(np.float32), dims=np.asarray(dims, dtype=np.int64), values=values,
                        labels=np.asarray(labels, dtype=str), z0=np.asarray(start, dtype=np.float32),
                        samples=np.int64(info.get("samples", 0)),
                        picture=np.asarray("mean of samples" if info.get("samples") else "probabilities"))

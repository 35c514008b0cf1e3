"""Latent traversals: sweep one dimension at a time from a starting code and decode.

A grid has one row per latent dimension and one column per value of that dimension
(default 8 values over −3..3), all other dimensions held at the starting code (the
prior mean, or the posterior mean of an image). All D×K codes decode in one batch.
"""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from .models import VAE
from .supervision import active_dims, dimension_names


def traversal_codes(z0: np.ndarray, values: np.ndarray, dims: list[int] | None = None) -> np.ndarray:
    """(len(dims) · len(values), D) codes: row-major, dimension by dimension."""
    z0 = np.asarray(z0, dtype=np.float32)
    dims = list(range(len(z0))) if dims is None else list(dims)
    codes = np.repeat(z0[None], len(dims) * len(values), axis=0)
    for r, d in enumerate(dims):
        codes[r * len(values):(r + 1) * len(values), d] = values
    return codes


def traversal_grid(model: VAE, z0: np.ndarray | None = None, dims: list[int] | None = None,
                   values: np.ndarray | None = None, max_passes: int = 512) -> tuple[np.ndarray, dict]:
    """(rows, cols, 64, 64) pixel probabilities and decode info (passes used by AR decoders)."""
    latent_dim = model.encoder.latent_dim
    z0 = np.zeros(latent_dim, dtype=np.float32) if z0 is None else np.asarray(z0, dtype=np.float32)
    values = np.linspace(-3.0, 3.0, 8, dtype=np.float32) if values is None else np.asarray(values, dtype=np.float32)
    dims = list(range(latent_dim)) if dims is None else list(dims)
    codes = traversal_codes(z0, values, dims)
    kwargs = {"max_passes": max_passes} if model.autoregressive else {}
    probs, info = model.decode(torch.from_numpy(codes), **kwargs)
    return probs.numpy().reshape(len(dims), len(values), 64, 64), info


def grid_image(grid: np.ndarray, gap: int = 2) -> Image.Image:
    """Tile a (rows, cols, H, W) grid of [0, 1] images into one greyscale picture with grey gaps."""
    rows, cols, h, w = grid.shape
    canvas = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap), 128, dtype=np.uint8)
    for r in range(rows):
        for c in range(cols):
            y, x = gap + r * (h + gap), gap + c * (w + gap)
            canvas[y:y + h, x:x + w] = np.clip(grid[r, c] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(canvas, mode="L")


def row_labels(metrics: dict, factor_names: tuple[str, ...] | None, dims: list[int] | None = None) -> list[str]:
    """One label per latent: 'z3 · posX · KL 2.1', 'z0 = posX (pinned) · KL 3.0' or '… · inactive'."""
    kl = metrics.get("kl_per_dim") or []
    names = dimension_names(metrics, factor_names, len(kl))
    active = set(active_dims(metrics))
    dims = list(range(len(kl))) if dims is None else dims
    labels = []
    for d in dims:
        parts = [names[d] if d < len(names) else f"z{d}", f"KL {kl[d]:.1f}" if d < len(kl) else ""]
        if d not in active:
            parts.append("inactive")
        labels.append(" · ".join(p for p in parts if p))
    return labels


def labelled_grid_image(grid: np.ndarray, labels: list[str] | None = None, gap: int = 2, label_width: int = 200) -> Image.Image:
    """The grid with each row's label written to its left (for slides and downloads)."""
    from PIL import ImageDraw, ImageFont

    tiles = grid_image(grid, gap=gap)
    if not labels:
        return tiles
    canvas = Image.new("L", (tiles.width + label_width, tiles.height), 255)
    canvas.paste(tiles, (label_width, 0))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=15)
    h = grid.shape[2]
    for r, text in enumerate(labels):
        draw.text((4, gap + r * (h + gap) + h // 2 - 8), text, fill=0, font=font)
    return canvas


def grid_gif(grid: np.ndarray, labels: list[str] | None = None, frame_ms: int = 120) -> bytes:
    """An animated GIF: every row sweeps its dimension back and forth, all rows at once."""
    rows, cols = grid.shape[:2]
    order = list(range(cols)) + list(range(cols - 2, 0, -1))
    frames = [labelled_grid_image(grid[:, c:c + 1], labels) for c in order]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buf.getvalue()

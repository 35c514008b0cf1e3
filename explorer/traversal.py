"""Latent traversals: sweep one dimension at a time from a starting code and draw each code.

A grid has one row per latent dimension and one column per value of that dimension, all other
dimensions held at the starting code (the prior mean, or the posterior mean of an image). Each
row sweeps its own values (``explorer.code_ranges``: the data's range by default), and each tile
is what the decoder draws for its code (``explorer.pictures``).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torchvision.utils import make_grid

from .models import VAE
from .pictures import AR_SAMPLES, mean_images
from .supervision import dimension_names, used_dims


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


#: Below this many nats (signal-to-noise capacity) a latent moves its row too little to see.
LITTLE_NATS = 0.5


def row_labels(metrics: dict, factor_names: tuple[str, ...] | None, dims: list[int] | None = None) -> list[str]:
    """One label per latent: 'z3 · posX · KL 2.1', 'z0 = posX (pinned) · KL 3.0', 'z8 · KL 0.0 · no information'.

    A dimension that carries information but too little to move its row visibly (a pinned one
    whose labels tie the encoder's mean to a factor the decoder reads elsewhere, say) is marked
    'carries little', so the label does not promise a change the row does not show.
    """
    kl = metrics.get("kl_per_dim") or []
    nats = metrics.get("informative_nats") or []
    names = dimension_names(metrics, factor_names, len(kl))
    used = set(used_dims(metrics))
    dims = list(range(len(kl))) if dims is None else dims
    labels = []
    for d in dims:
        parts = [names[d] if d < len(names) else f"z{d}", f"KL {kl[d]:.1f}" if d < len(kl) else ""]
        if d not in used:
            parts.append("no information")
        elif d < len(nats) and nats[d] < LITTLE_NATS:
            parts.append("carries little")
        labels.append(" · ".join(p for p in parts if p))
    return labels


def grid_image(grid: np.ndarray, gap: int = 2, scale: int = 1) -> Image.Image:
    """Tile a (rows, cols, H, W) grid of [0, 1] images into one greyscale picture with grey gaps."""
    rows, cols, h, w = grid.shape
    tiles = torch.from_numpy(np.clip(np.asarray(grid, dtype=np.float32), 0.0, 1.0)).reshape(rows * cols, 1, h, w)
    if scale > 1:
        tiles = tiles.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    canvas = make_grid(tiles, nrow=cols, padding=gap, pad_value=128 / 255)[0]
    return Image.fromarray((canvas.numpy() * 255.0 + 0.5).astype(np.uint8), mode="L")


def labelled_grid_image(grid: np.ndarray, labels: list[str] | None = None, gap: int = 4, scale: int = 2) -> Image.Image:
    """The grid with each row's label to its left, sized to stay legible when a page shrinks the picture.

    Tiles are drawn ``scale``× and the label column is as narrow as its words (text at about a quarter
    of a tile), so whatever width the browser gives the picture, tiles and words shrink together.
    A label 'z3 · posX · KL 2.1' is split into two lines: the name, then the rest.
    """
    tiles = grid_image(grid, gap=gap, scale=scale)
    if not labels:
        return tiles
    tile = grid.shape[2] * scale
    size = max(12, int(0.28 * tile))
    font = ImageFont.load_default(size=size)
    lines = [_two_lines(text) for text in labels]
    width = 12 + max(int(font.getlength(line)) for pair in lines for line in pair)
    canvas = Image.new("L", (tiles.width + width, tiles.height), 255)
    canvas.paste(tiles, (width, 0))
    draw = ImageDraw.Draw(canvas)
    for r, (first, second) in enumerate(lines):
        y = gap + r * (tile + gap) + tile // 2
        draw.text((6, y - size - 2), first, fill=0, font=font)
        draw.text((6, y + 2), second, fill=90, font=font)
    return canvas


def _two_lines(label: str) -> tuple[str, str]:
    """'z3 · posX · KL 2.1' -> ('z3 · posX', 'KL 2.1'); a pinned name keeps its note on the first line."""
    head, sep, tail = label.partition(" · KL ")
    return (head, f"KL {tail}") if sep else (label, "")


def grid_gif(grid: np.ndarray, labels: list[str] | None = None, frame_ms: int = 120) -> bytes:
    """An animated GIF: every row sweeps its dimension back and forth, all rows at once."""
    rows, cols = grid.shape[:2]
    order = list(range(cols)) + list(range(cols - 2, 0, -1))
    frames = [labelled_grid_image(grid[:, c:c + 1], labels) for c in order]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buf.getvalue()


def save_grid_npz(path: Path, grid: np.ndarray, dims: list[int], values: np.ndarray, labels: list[str],
                  info: dict, start: np.ndarray) -> None:
    """The raw traversal for notebooks: ``images`` (rows, cols, 64, 64) in [0, 1], ``dims``, ``values``
    (rows, cols), ``labels``, the starting code ``z0`` and how tiles were drawn (``picture``, ``samples``)."""
    values = np.broadcast_to(np.asarray(values, dtype=np.float32), grid.shape[:2])
    np.savez_compressed(path, images=grid.astype(np.float32), dims=np.asarray(dims, dtype=np.int64), values=values,
                        labels=np.asarray(labels, dtype=str), z0=np.asarray(start, dtype=np.float32),
                        samples=np.int64(info.get("samples", 0)),
                        picture=np.asarray("mean of samples" if info.get("samples") else "probabilities"))

"""Traversal grids as pictures (NumPy and PIL only): tiles, a label per row, an animated GIF.

Pages that show stored views draw with these without importing torch; the layout is
torchvision's ``make_grid`` (same gaps, same grey), checked against it in the tests.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def grid_image(grid: np.ndarray, gap: int = 2, scale: int = 1) -> Image.Image:
    """Tile a (rows, cols, H, W) grid of [0, 1] images into one greyscale picture with grey gaps."""
    rows, cols = grid.shape[:2]
    tiles = np.clip(np.asarray(grid, dtype=np.float32), 0.0, 1.0)
    if scale > 1:
        tiles = tiles.repeat(scale, axis=2).repeat(scale, axis=3)
    h, w = tiles.shape[2:]
    canvas = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap), 128 / 255, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            y, x = gap + r * (h + gap), gap + c * (w + gap)
            canvas[y:y + h, x:x + w] = tiles[r, c]
    return Image.fromarray((canvas * 255.0 + 0.5).astype(np.uint8), mode="L")


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

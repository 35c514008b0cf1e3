"""Pictures made of tiles for the Compare page: reconstructions and z-usage maps (PIL and NumPy only).

Every strip is drawn at twice the data's resolution with text scaled to the tiles, so that the
browser can shrink it to a column without the words becoming unreadable.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..grid_images import labelled_grid_image

#: The z-usage colour scale tops out here (nats saved per pixel), the same for every run on screen.
USAGE_VMAX = 2.0
#: black → red → yellow → white: dark where the code saves nothing
_ANCHORS = np.array([[0, 0, 0], [150, 20, 20], [235, 120, 20], [255, 230, 80], [255, 255, 255]], dtype=np.float64)


def heat_rgb(values: np.ndarray, vmax: float = USAGE_VMAX) -> np.ndarray:
    """(H, W, 3) uint8: values clipped to [0, vmax] through the black-red-yellow-white ramp."""
    t = np.clip(np.nan_to_num(values, nan=0.0) / vmax, 0.0, 1.0) * (len(_ANCHORS) - 1)
    lo = np.floor(t).astype(int).clip(0, len(_ANCHORS) - 2)
    frac = (t - lo)[..., None]
    return (_ANCHORS[lo] * (1 - frac) + _ANCHORS[lo + 1] * frac).astype(np.uint8)


def reconstruction_strip(originals: np.ndarray, drawn: np.ndarray) -> Image.Image:
    """Data on the first row, then what the decoder draws from each image's code (one row per sample)."""
    rows = [originals] + [drawn[:, s] for s in range(drawn.shape[1])]
    labels = ["data"] + (["decoded"] if drawn.shape[1] == 1 else [f"sample {s + 1}" for s in range(drawn.shape[1])])
    return labelled_grid_image(np.stack(rows).astype(np.float32), labels)


def usage_strip(originals: np.ndarray, maps: np.ndarray, totals: np.ndarray, vmax: float = USAGE_VMAX,
                scale: int = 2, gap: int = 4) -> Image.Image:
    """Each image above its z-usage map, with the nats its code saves written under the map."""
    n, h, w = maps.shape
    th, tw = h * scale, w * scale
    size = max(12, int(0.28 * th))
    font = ImageFont.load_default(size=size)
    label_w = int(1.9 * tw)
    canvas = Image.new("RGB", (label_w + n * (tw + gap) + gap, 2 * (th + gap) + size + 3 * gap), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    draw.text((6, gap + th // 2 - size // 2), "data", fill=(0, 0, 0), font=font)
    draw.text((6, 2 * gap + th + th // 2 - size), "nats the", fill=(0, 0, 0), font=font)
    draw.text((6, 2 * gap + th + th // 2 + 2), "code saves", fill=(0, 0, 0), font=font)
    for i in range(n):
        x = label_w + gap + i * (tw + gap)
        data = np.clip(originals[i] * 255 + 0.5, 0, 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)
        canvas.paste(Image.fromarray(data, mode="L").convert("RGB"), (x, gap))
        heat = heat_rgb(maps[i], vmax).repeat(scale, 0).repeat(scale, 1)
        canvas.paste(Image.fromarray(heat, mode="RGB"), (x, 2 * gap + th))
        text = f"{totals[i]:.1f}" if abs(totals[i]) < 100 else f"{totals[i]:.0f}"
        draw.text((x + (tw - font.getlength(text)) / 2, 3 * gap + 2 * th), text, fill=(0, 0, 0), font=font)
    return canvas

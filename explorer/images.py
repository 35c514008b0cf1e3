"""Turning an uploaded picture into the model's input: 1×64×64, white sprite on black, values in [0, 1].

Uploads come from strangers: the bytes are size-checked before decoding, the pixel count is
checked before the image is loaded (a small file can declare a huge canvas), and anything
Pillow cannot read is refused with one line.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 2**20
MAX_PIXELS = 4096 * 4096
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "BMP", "WEBP"}


class ImageRejected(ValueError):
    """The upload cannot be used; the message is one line for the user."""


def image_to_input(data: bytes, size: int = 64) -> np.ndarray:
    """(64, 64) float32 in {0, 1}: greyscale, sprite made white, resized, binarised at ½."""
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"the file is larger than {MAX_BYTES // 2**20} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format not in ALLOWED_FORMATS:
                raise ImageRejected(f"{img.format or 'this'} files are not accepted; use PNG, JPEG, GIF, BMP or WebP")
            if img.width * img.height > MAX_PIXELS:
                raise ImageRejected(f"the image is {img.width}×{img.height}; at most {MAX_PIXELS:,} pixels are accepted")
            img.seek(0)  # first frame of an animation
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            grey = img.convert("F") if img.mode in ("I", "I;16", "F") else img.convert("L")
            arr = np.asarray(grey, dtype=np.float32)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(f"the image declares too many pixels; at most {MAX_PIXELS:,} are accepted") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRejected(f"the file is not a readable image ({exc.__class__.__name__})") from None
    lo, hi = float(arr.min()), float(arr.max())
    if hi - lo < 1e-6:
        raise ImageRejected("the image is a single flat colour: there is nothing to encode")
    arr = (arr - lo) / (hi - lo)
    if arr.mean() > 0.5:  # mostly light background: dSprites draws white sprites on black
        arr = 1.0 - arr
    small = Image.fromarray((arr * 255).astype(np.uint8), mode="L").resize((size, size), Image.BILINEAR)
    return (np.asarray(small, dtype=np.float32) / 255.0 > 0.5).astype(np.float32)

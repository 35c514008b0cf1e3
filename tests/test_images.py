"""Uploads become the model's 64×64 binary input, or are refused with one line."""
import io

import numpy as np
import pytest
from PIL import Image

from explorer.images import ImageRejected, image_to_input


def _encode(img, fmt="PNG", **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _sprite(mode="L", size=(100, 80)):
    a = np.zeros(size[::-1], dtype=np.uint8)
    a[20:60, 30:70] = 255
    return Image.fromarray(a, mode="L").convert(mode)


@pytest.mark.parametrize("make", [
    lambda: _encode(_sprite()),
    lambda: _encode(_sprite("RGB"), "JPEG"),
    lambda: _encode(_sprite("RGBA")),
    lambda: _encode(_sprite("P")),
    lambda: _encode(_sprite(), "GIF"),
    lambda: _encode(Image.fromarray(np.asarray(_sprite()).astype(np.uint16) * 257)),
    lambda: _encode(Image.fromarray(255 - np.asarray(_sprite()))),  # dark sprite on white is inverted
])
def test_usable_images_become_binary_64x64_with_the_sprite_white(make):
    x = image_to_input(make())
    assert x.shape == (64, 64) and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert 0.1 < x.mean() < 0.4  # the sprite, not the background, is white


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (np.random.default_rng(0).bytes(5000), "not a readable image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='10' height='10'/></svg>", "not a readable image"),
    (b"x" * (6 * 2**20), "larger than"),
])
def test_unusable_uploads_are_refused(data, message):
    with pytest.raises(ImageRejected, match=message):
        image_to_input(data)


def test_truncated_png_and_flat_image_are_refused():
    good = _encode(_sprite())
    with pytest.raises(ImageRejected, match="not a readable image"):
        image_to_input(good[: len(good) // 2])
    with pytest.raises(ImageRejected, match="flat"):
        image_to_input(_encode(Image.new("L", (50, 50), 7)))


def test_a_huge_canvas_is_refused_before_it_is_loaded():
    huge = _encode(Image.new("1", (10_000, 10_000)))  # small file, 100 megapixels
    assert len(huge) < 2**20
    with pytest.raises(ImageRejected, match="pixels"):
        image_to_input(huge)

"""The slider editor's pure helpers: its link format and its slider ranges (no Streamlit, so unit-testable).

A shared link reopens the same edit: ``edit=3:1.25,7:-0.5`` holds the sliders moved away from the
encoded value, ``img=`` an uploaded picture as base64url(zlib(np.packbits(64×64 binary image))).
Links come from strangers, so every reader clamps or refuses with one line and never raises
anything but :class:`LinkValueError`.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
import zlib

import numpy as np

SIZE = 64
PACKED_BYTES = SIZE * SIZE // 8
#: a 64×64 binary picture packs to 512 bytes, so base64 of even incompressible data stays under 700 characters
MAX_IMAGE_CHARS = 4000
MAX_EDIT_CHARS = 1000
#: each slider spans its data range widened by this fraction of its width on each side
WIDEN = 0.15
#: the step is the smallest of these (× a power of ten) that leaves at most MAX_POSITIONS positions
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)
MAX_POSITIONS = 100
#: a dimension the data never moves still gets a slider this wide, so it can be tried
MIN_SPAN = 0.5
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class LinkValueError(ValueError):
    """A link value that cannot be used; the message is one line for the user."""


def encode_image(x: np.ndarray) -> str:
    """The ``img=`` value of a 64×64 image (binarised at ½)."""
    a = np.asarray(x)
    if a.shape != (SIZE, SIZE):
        raise ValueError(f"need a {SIZE}×{SIZE} image, got shape {a.shape}")
    packed = np.packbits((a > 0.5).astype(np.uint8).ravel()).tobytes()
    return base64.urlsafe_b64encode(zlib.compress(packed, 9)).decode("ascii").rstrip("=")


def decode_image(raw: str) -> np.ndarray:
    """(64, 64) float32 in {0, 1} from an ``img=`` value, or LinkValueError saying why not."""
    if len(raw) > MAX_IMAGE_CHARS:
        raise LinkValueError(f"the image in the link is longer than {MAX_IMAGE_CHARS:,} characters")
    if not _BASE64URL.fullmatch(raw):
        raise LinkValueError("the image in the link is not base64url text")
    try:
        data = base64.urlsafe_b64decode(raw.rstrip("=") + "=" * (-len(raw.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise LinkValueError("the image in the link is not valid base64url") from None
    inflater = zlib.decompressobj()
    try:
        packed = inflater.decompress(data, PACKED_BYTES + 1)  # bounded: a tiny payload cannot inflate to gigabytes
    except zlib.error:
        raise LinkValueError("the image in the link is not compressed image data") from None
    if len(packed) != PACKED_BYTES or not inflater.eof or inflater.unused_data:
        raise LinkValueError(f"the image in the link is not a {SIZE}×{SIZE} picture")
    return np.unpackbits(np.frombuffer(packed, dtype=np.uint8)).reshape(SIZE, SIZE).astype(np.float32)


def format_edits(edits: dict[int, float], decimals: dict[int, int]) -> str:
    """The ``edit=`` value: ``dim:value`` by dimension, each value at its slider's precision plus one digit."""
    return ",".join(f"{d}:{_number(v, decimals.get(d, 2) + 1)}" for d, v in sorted(edits.items()))


def parse_edits(raw: str | None, bounds: dict[int, tuple[float, float]]) -> tuple[dict[int, float], str | None]:
    """({dim: value} for the sliders in ``bounds``, clamped into them; one notice line naming what was not taken)."""
    if not raw:
        return {}, None
    if len(raw) > MAX_EDIT_CHARS:
        return {}, f"ignored the slider positions in the link: longer than {MAX_EDIT_CHARS:,} characters"
    edits, bad, unknown, clamped = {}, [], [], []
    for entry in (e.strip() for e in raw.split(",") if e.strip()):
        dim, sep, value = entry.partition(":")
        dim = dim.strip().lower().removeprefix("z")
        try:
            d, v = int(dim), float(value)
        except ValueError:
            d, v = None, math.nan
        if not sep or d is None or not math.isfinite(v):
            bad.append(entry)
        elif d not in bounds:
            unknown.append(entry)
        else:
            lo, hi = bounds[d]
            edits[d] = min(max(v, lo), hi)
            if edits[d] != v:
                clamped.append(f"z{d} to {edits[d]:g}")
    parts = []
    if bad:
        parts.append("ignored " + _listed(bad) + " (not dimension:value)")
    if unknown:
        parts.append("ignored " + _listed(unknown) + " (no such slider on this model)")
    if clamped:
        shown = ", ".join(clamped[:4]) + (" …" if len(clamped) > 4 else "")
        parts.append(f"clamped {shown} (the slider's range)")
    return edits, ("Slider positions in the link: " + "; ".join(parts) + ".") if parts else None


def slider_range(lo: float, hi: float, value: float, widen: float = WIDEN) -> tuple[float, float, float, int]:
    """(min, max, step, decimals): [lo, hi] widened by ``widen`` of its width each side and to include ``value``,
    on a round step that gives 50–100 positions, bounds rounded outwards onto the step."""
    width = hi - lo
    a, b = min(lo - widen * width, value), max(hi + widen * width, value)
    if b - a < MIN_SPAN:
        centre = (a + b) / 2
        a, b = centre - MIN_SPAN / 2, centre + MIN_SPAN / 2
    step, decimals = nice_step((b - a) / MAX_POSITIONS)
    low = round(math.floor(a / step + 1e-9) * step, decimals)
    high = round(math.ceil(b / step - 1e-9) * step, decimals)
    return low, high, step, decimals


def nice_step(at_least: float) -> tuple[float, int]:
    """(step, decimals): the smallest 1, 2, 2.5 or 5 × 10^k not below ``at_least``, and the digits it needs."""
    exponent = math.floor(math.log10(at_least))
    for mantissa in (*NICE_STEPS, 10.0):
        if mantissa * 10.0**exponent >= at_least * (1 - 1e-12):
            break
    if mantissa == 10.0:
        mantissa, exponent = 1.0, exponent + 1
    decimals = max(0, -exponent) + (1 if mantissa == 2.5 and exponent <= 0 else 0)
    return round(mantissa * 10.0**exponent, decimals), decimals


def _number(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _listed(entries: list[str]) -> str:
    return ", ".join(repr(e[:20]) for e in entries[:4]) + (" …" if len(entries) > 4 else "")

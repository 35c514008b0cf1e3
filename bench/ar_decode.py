"""How long an autoregressive decoder takes to draw a 10 × 8 traversal grid, before and after.

``python -m bench.ar_decode [--steps N]``

Before: the greedy decode by whole-image Jacobi iteration (one pass over all 64 rows until the
image stops changing), which draws the mode of p(x | z): the empty canvas on dSprites.
After: the pictures the app shows now, the mean of 4 exact ancestral samples per code drawn by
band Jacobi iteration (``PixelCNNDecoder.sample``). Also measured: the same samples by
whole-image Jacobi (what band iteration replaces), to separate the two changes. Passes are
counted in whole-image equivalents, which do not depend on how busy the host is; seconds do.

pixelcnn8 is the gallery's collapse and cure checkpoints; pixelcnn1 is trained here with the
same flags for ``--steps`` steps (the gallery ships no pixelcnn1).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from .common import publish, row, to_markdown

ROOT = Path(__file__).resolve().parents[1]
ROWS, COLS, SAMPLES = 10, 8, 4


@torch.no_grad()
def whole_image_jacobi(dec, z: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, int]:
    """The old decode: every pass runs the network on all 64 rows of the current guess."""
    x = torch.zeros(z.shape[0], 1, 64, 64)
    passes = 0
    while True:
        new = (noise < torch.sigmoid(dec(z, x))).float()
        passes += 1
        if torch.equal(new, x):
            return x, passes
        x = new


def grid_codes(model, seed: int = 0) -> torch.Tensor:
    """The 10 × 8 codes of a traversal from a dSprites heart over the data range (the app's default view)."""
    from explorer.code_ranges import model_code_ranges, sweep_values
    from explorer.data import ProceduralDSprites
    from explorer.traversal import traversal_codes
    from explorer.views import START_INDEX, start_code

    data = ProceduralDSprites()
    lo, hi = model_code_ranges(model, data, "data")
    return torch.from_numpy(traversal_codes(start_code(model, data, START_INDEX), sweep_values(lo, hi, COLS)))


def measure(name: str, model) -> list[dict]:
    from explorer.pictures import sample_images

    dec = model.decoder.eval()
    z = grid_codes(model)
    rows = []
    start = time.perf_counter()
    _, passes = whole_image_jacobi(dec, z, torch.full((len(z), 1, 64, 64), 0.5))
    greedy = time.perf_counter() - start
    rows.append(row(f"{name}: greedy decode, whole-image Jacobi (before)", f"{greedy:.2f} s, {passes} passes", "black tiles"))
    noise = torch.rand(SAMPLES, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    codes = z.repeat_interleave(SAMPLES, dim=0)
    fields = noise.repeat(len(z), 1, 1, 1)
    start = time.perf_counter()
    exact, passes = whole_image_jacobi(dec, codes, fields)
    whole = time.perf_counter() - start
    rows.append(row(f"{name}: {SAMPLES} samples per code, whole-image Jacobi", f"{whole:.2f} s, {passes} passes"))
    start = time.perf_counter()
    drawn, info = sample_images(model, z, samples=SAMPLES, seed=0)
    band = time.perf_counter() - start
    same = np.array_equal(drawn.reshape(-1, 64, 64), exact[:, 0].numpy())
    lit = float((drawn.mean(axis=1) > 0.25).sum(axis=(1, 2)).mean())
    rows.append(row(f"{name}: {SAMPLES} samples per code, band Jacobi (after)",
                    f"{band:.2f} s, {info['passes']:.1f} passes", f"identical samples: {same}; {lit:.0f} lit px/tile",
                    ratio=whole / band))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="training steps of the pixelcnn1 model")
    args = parser.parse_args(argv)
    from explorer import recipes
    from explorer.checkpoint import load_run
    from explorer.trainer import train

    pixelcnn1 = train(recipes.collapse(steps=args.steps, decoder="pixelcnn1"), final_eval=False).model
    rows = measure(f"pixelcnn1 ({args.steps} steps, β = 1)", pixelcnn1)
    for name in ("collapse", "cure"):
        rows += measure(f"pixelcnn8 gallery `{name}`", load_run(ROOT / "checkpoints" / f"{name}.pt").model)
    table = to_markdown(rows)
    print(table)
    publish("ar_decode", "Autoregressive traversal grid (10 × 8): greedy decode before, mean of samples after",
            "bench.ar_decode", argv, table + "\n\nratio: whole-image Jacobi seconds / band Jacobi seconds for the same "
            "samples. Passes are whole-image equivalents averaged over the batch (a band pass over 17 of 64 rows "
            "counts 17/64).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

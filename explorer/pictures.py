"""What a decoder draws for a code: the picture every traversal tile and reconstruction shows.

A tile shows E[x | z], the decoder's mean image for code z. For a factorised decoder that is its
pixel probabilities, exactly, in one pass. For an autoregressive decoder the probabilities of one
pixel depend on the pixels drawn before it, and the greedy decode (each pixel on iff p > ½) is the
mode of p(x | z): on dSprites the empty canvas, whether or not the decoder reads z, so it shows
nothing. Here an autoregressive tile is the mean of ``samples`` exact ancestral samples instead: a
decoder that reads z draws the same sprite every time (a sharp mean), one that ignores z draws a
different sprite each time (a blur that does not follow the code). The noise is shared by every
code in a call (common random numbers), so neighbouring tiles differ by their codes, not by luck.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from .models import VAE

#: Samples per code behind an autoregressive picture: enough for a blur to read as a blur.
AR_SAMPLES = 4


def _noise(samples: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(samples, 1, 64, 64, generator=gen)


@torch.no_grad()
def sample_images(model: VAE, z: torch.Tensor, samples: int = AR_SAMPLES, seed: int = 0,
                  batch: int = 256) -> tuple[np.ndarray, dict]:
    """(B, samples, 64, 64) binary images drawn from p(x | z) for each code, and decode info.

    Factorised decoders draw each pixel independently from its probability; autoregressive ones
    draw exact ancestral samples (``PixelCNNDecoder.sample``). Sample k of every code uses the same
    noise field, and the result does not depend on ``batch``.
    """
    model.eval()
    z = torch.as_tensor(z, dtype=torch.float32)
    noise = _noise(samples, seed)
    n = z.shape[0]
    out = np.zeros((n, samples, 64, 64), dtype=np.float32)
    start, passes = time.perf_counter(), 0.0
    codes = z.repeat_interleave(samples, dim=0)                     # code-major: (B·samples, D)
    fields = noise.repeat(n, 1, 1, 1)                               # sample k of each code: field k
    flat = out.reshape(n * samples, 64, 64)
    for i in range(0, len(codes), batch):
        zc, uc = codes[i:i + batch], fields[i:i + batch]
        if model.autoregressive:
            x, _, info = model.decoder.sample(zc, uc)
            passes += info["passes"] * len(zc)
        else:
            x = (uc < torch.sigmoid(model.decoder(zc))).float()
            passes += len(zc)
        flat[i:i + len(zc)] = x[:, 0].numpy()
    info = {"samples": samples, "passes": passes / max(len(codes), 1), "seconds": time.perf_counter() - start}
    return out, info


@torch.no_grad()
def mean_images(model: VAE, z: torch.Tensor, samples: int = AR_SAMPLES, seed: int = 0) -> tuple[np.ndarray, dict]:
    """(B, 64, 64) in [0, 1]: E[x | z], exact for factorised decoders, a mean of samples for autoregressive ones."""
    model.eval()
    z = torch.as_tensor(z, dtype=torch.float32)
    if not model.autoregressive:
        start = time.perf_counter()
        probs = torch.sigmoid(model.decoder(z))[:, 0].numpy()
        return probs, {"samples": 0, "passes": 1.0, "seconds": time.perf_counter() - start}
    drawn, info = sample_images(model, z, samples=samples, seed=seed)
    return drawn.mean(axis=1), info


def picture_note(model: VAE, samples: int = AR_SAMPLES) -> str:
    """One line for the screen: what a tile is, for this decoder."""
    if model.autoregressive:
        return (f"each tile is the mean of {samples} samples the autoregressive decoder draws for that code: sharp "
                "where the code decides the sprite, a blur where it does not")
    return "each tile is the decoder's pixel probabilities for that code (a factorised decoder: exact in one pass)"

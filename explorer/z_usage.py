"""Where the decoder reads z: how many nats an image's own code saves, pixel by pixel.

For an image x with posterior mean μ(x) and codes z′ drawn from the prior, the map is

    u_i(x) = log p(x_i | x_<i, μ(x)) − mean_z′ log p(x_i | x_<i, z′)

teacher-forced (the true earlier pixels are the context, so each code costs one parallel pass);
for a factorised decoder the context is simply absent. Summed over pixels it is how much better
the decoder predicts the image with its own code than with a random one. A collapsed decoder
predicts every pixel from the pixels before it, so its map is dark and its total is a few nats; a
decoder that reads z lights up where the sprite begins (where the earlier pixels cannot tell
what comes) and saves tens of nats. The KL cannot show this under free bits, I(x; z) only
bounds it; this shows where.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from .device import model_device
from .models import VAE

#: Prior codes per image and the images behind the summary number (``z_usage``).
PRIOR_CODES = 4
USAGE_IMAGES = 256


@torch.no_grad()
def z_usage_maps(model: VAE, images: np.ndarray, prior_codes: int = PRIOR_CODES, seed: int = 0,
                 batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """((N, 64, 64) nats saved per pixel, (N,) nats saved per image) for images (N, 1, 64, 64) in {0, 1}."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (1, 64, 64):
        raise ValueError(f"images must be (N, 1, 64, 64), got {images.shape}")
    model.eval()
    device = model_device(model)
    gen = torch.Generator().manual_seed(seed)  # on the CPU: the same draws on every device
    maps = np.zeros((len(images), 64, 64), dtype=np.float32)
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).to(device)
        mu, _ = model.encoder(x)
        if not torch.isfinite(mu).all():
            raise ValueError("the encoder returned NaN or infinite codes")
        own = -F.binary_cross_entropy_with_logits(model.decoder(mu, x), x, reduction="none")
        others = torch.zeros_like(own)
        for _ in range(prior_codes):
            z = torch.randn(mu.shape, generator=gen).to(device)
            others += -F.binary_cross_entropy_with_logits(model.decoder(z, x), x, reduction="none")
        maps[i:i + len(x)] = (own - others / prior_codes)[:, 0].cpu().numpy()
    return maps, maps.reshape(len(maps), -1).sum(axis=1)


def z_usage(model: VAE, images: np.ndarray, prior_codes: int = PRIOR_CODES, seed: int = 0) -> dict:
    """The summary: median nats per image that the image's own code saves (``z_usage``), and its spread."""
    _, totals = z_usage_maps(model, images, prior_codes=prior_codes, seed=seed)
    q25, median, q75 = np.percentile(totals, [25, 50, 75])
    return {"z_usage": float(median), "z_usage_iqr": [float(q25), float(q75)], "z_usage_images": int(len(totals))}

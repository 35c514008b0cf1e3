"""Autoregressive (PixelCNN-style) decoders conditioned on z: the ones that can collapse.

Pixel (r, c) sees z and every pixel above it or to its left, through masked convolutions
(van den Oord et al. 2016): a 7×7 mask-A input layer, then ``n_layers`` residual 3×3
mask-B layers. More layers widen the receptive field, so more of a sprite can be inferred
from already-drawn pixels and the code is worth less: the collapse boundary moves
(PixelVAE, Gulrajani et al. 2017; VLAE, Chen et al. 2017). z enters as 4 full-resolution
maps from a linear layer, added to the input layer's features.

Sampling is sequential in principle (4,096 pixels). ``generate`` computes the *greedy*
decode (each pixel set to 1 iff its probability given z and the pixels before it exceeds
½) by Jacobi fixed-point iteration: run the whole network in parallel on the current guess,
threshold, repeat until nothing changes. Because the network is causal the fixed point is
unique and equals the pixel-by-pixel greedy decode exactly; it is reached in far fewer than
4,096 passes (the pass count is returned, and capped).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MaskedConv2d(nn.Conv2d):
    """A convolution that sees only pixels above, or left in the same row (mask B adds the centre)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, mask_type: str):
        super().__init__(in_ch, out_ch, kernel, padding=kernel // 2)
        mask = torch.ones_like(self.weight)
        k = kernel // 2
        mask[:, :, k, k + (mask_type == "B"):] = 0
        mask[:, :, k + 1:] = 0
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNNDecoder(nn.Module):
    autoregressive = True

    def __init__(self, latent_dim: int = 10, n_layers: int = 4, ar_channels: int = 32, **_):
        super().__init__()
        c = ar_channels
        self.n_layers = n_layers
        self.z_maps = nn.Linear(latent_dim, 4 * 64 * 64)
        self.z_in = nn.Conv2d(4, c, 1)
        self.x_in = MaskedConv2d(1, c, 7, "A")
        self.blocks = nn.ModuleList(MaskedConv2d(c, c, 3, "B") for _ in range(n_layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, 1, 1))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (B, 1, 64, 64) of each pixel given z and the pixels before it in ``x``."""
        h = self.x_in(x) + self.z_in(self.z_maps(z).view(-1, 4, 64, 64))
        for block in self.blocks:
            h = h + block(F.relu(h))
        return self.head(h)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, max_passes: int = 512, init: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
        """Greedy decode by Jacobi iteration; returns the pixel probabilities at the fixed point."""
        x = torch.zeros(z.shape[0], 1, 64, 64) if init is None else (init > 0.5).float()
        passes, converged = 0, False
        while passes < max_passes:
            probs = torch.sigmoid(self(z, x))
            passes += 1
            new = (probs > 0.5).float()
            if torch.equal(new, x):
                converged = True
                break
            x = new
        return probs, {"passes": passes, "converged": converged}

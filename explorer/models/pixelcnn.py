"""Autoregressive (PixelCNN-style) decoders conditioned on z: the ones that can collapse.

Pixel (r, c) sees z and every pixel above it or to its left, through masked convolutions
(van den Oord et al. 2016): a 7×7 mask-A input layer, then ``n_layers`` residual 3×3
mask-B layers. More layers widen the receptive field, so more of a sprite can be inferred
from already-drawn pixels and the code is worth less: the collapse boundary moves
(PixelVAE, Gulrajani et al. 2017; VLAE, Chen et al. 2017). z enters as 4 full-resolution
maps from a linear layer, added to the input layer's features.

Drawing from the decoder is sequential in principle (4,096 pixels). ``sample`` draws an exact
ancestral sample for given uniform noise u (pixel i is on iff u_i < p(x_i | x_<i, z)) by
Jacobi fixed-point iteration over bands of rows: each pass runs the network on the band and the
rows its receptive field reaches above it, thresholds against the noise and repeats until the
band stops changing. Because the network is causal every pass fixes at least one more pixel, the
fixed point is unique, and it equals the pixel-by-pixel sample exactly; empty bands (most of a
dSprites canvas) settle in one pass. Noise of exactly ½ gives the *greedy* decode (``generate``),
which for dSprites is the mode of p(x | z): usually the empty canvas, collapsed or not. That is
why pictures of an autoregressive run use averages of samples (``explorer.ar_pictures``).
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

    @property
    def context_rows(self) -> int:
        """How many rows above a pixel its receptive field reaches: 3 for the 7×7 mask-A layer, 1 per 3×3 layer."""
        return 3 + self.n_layers

    def _band_logits(self, z_features: torch.Tensor, x: torch.Tensor, r0: int, r1: int) -> torch.Tensor:
        """Logits of rows r0..r1 computed from those rows and the context rows above them only."""
        a = max(0, r0 - self.context_rows)
        h = self.x_in(x[:, :, a:r1]) + z_features[:, :, a:r1]
        for block in self.blocks:
            h = h + block(F.relu(h))
        return self.head(h)[:, :, r0 - a:]

    @torch.no_grad()
    def sample(self, z: torch.Tensor, noise: torch.Tensor, band: int = 6) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """(x, probs, info): x_i = 1 iff noise_i < p(x_i | x_<i, z), exactly, and the probabilities along x.

        ``noise`` is (B, 1, 64, 64) uniform in [0, 1) for an ancestral sample, or all ½ for the greedy
        decode. ``info["passes"]`` counts network passes in whole-image equivalents (a band pass over
        19 of 64 rows counts 19/64) averaged over the batch, so it compares with full-image Jacobi.
        """
        b = z.shape[0]
        if noise.shape != (b, 1, 64, 64):
            raise ValueError(f"noise must be {(b, 1, 64, 64)}, got {tuple(noise.shape)}")
        z_features = self.z_in(self.z_maps(z).view(-1, 4, 64, 64))
        x, probs = torch.zeros(b, 1, 64, 64), torch.zeros(b, 1, 64, 64)
        work = 0.0
        for r0 in range(0, 64, band):
            r1 = min(64, r0 + band)
            rows = r1 - max(0, r0 - self.context_rows)
            todo = torch.arange(b)
            for _ in range((r1 - r0) * 64 + 1):  # each pass settles at least one more pixel of the band
                p = torch.sigmoid(self._band_logits(z_features[todo], x[todo], r0, r1))
                new = (noise[todo, :, r0:r1] < p).float()
                settled = (new == x[todo, :, r0:r1]).flatten(1).all(dim=1)
                x[todo, :, r0:r1] = new
                probs[todo, :, r0:r1] = p
                work += len(todo) * rows / 64
                todo = todo[~settled]
                if len(todo) == 0:
                    break
        return x, probs, {"passes": work / max(b, 1), "converged": True}

    @torch.no_grad()
    def generate(self, z: torch.Tensor, **_) -> tuple[torch.Tensor, dict]:
        """The greedy decode (each pixel on iff p > ½ given the pixels before it): its pixel probabilities."""
        _, probs, info = self.sample(z, torch.full((z.shape[0], 1, 64, 64), 0.5))
        return probs, info

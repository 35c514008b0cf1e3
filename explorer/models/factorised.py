"""Factorised decoders: every pixel is an independent Bernoulli given z.

However wide or deep, such a decoder can only emit the pixel marginals when it ignores z
(about 570 nats per dSprites image), so at β = 1 the code is always worth its KL and the
posterior does not collapse. Raising β is what makes them shed dimensions.
"""
from __future__ import annotations

import torch
from torch import nn


class FactorisedDecoder(nn.Module):
    autoregressive = False

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        """Bernoulli logits (B, 1, 64, 64); ``x`` is ignored (no pixel sees another)."""
        return self.net(z)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, **_) -> tuple[torch.Tensor, dict]:
        """Pixel probabilities for codes ``z``: one parallel pass."""
        return torch.sigmoid(self.net(z)), {"passes": 1, "converged": True}


class MLPDecoder(FactorisedDecoder):
    """A small factorised decoder: z → 256 → 4096 logits."""

    def __init__(self, latent_dim: int = 10, **_):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 64 * 64), nn.Unflatten(1, (1, 64, 64))
        )


class ConvDecoder(FactorisedDecoder):
    """The standard dSprites decoder (mirror of the Burgess encoder): FC 256 → FC 1024 → 4 transposed convs."""

    def __init__(self, latent_dim: int = 10, **_):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ReLU(),
            nn.Linear(256, 64 * 4 * 4), nn.ReLU(),
            nn.Unflatten(1, (64, 4, 4)),
            nn.ConvTranspose2d(64, 64, 4, 2, 1), nn.ReLU(),  # 8×8
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),  # 16×16
            nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(),  # 32×32
            nn.ConvTranspose2d(32, 1, 4, 2, 1),              # 64×64
        )


class BroadcastDecoder(FactorisedDecoder):
    """Spatial broadcast decoder (Watters et al. 2019), sized for a CPU.

    z is tiled over a 16×16 grid with two coordinate channels appended, so "where" is a
    simple function of the grid rather than something the first dense layer must invent;
    Watters et al. show this inductive bias makes position-like factors disentangle
    more readily. Two 3×3 convolutions at 16×16 and two transposed convolutions reach 64×64.
    """

    def __init__(self, latent_dim: int = 10, **_):
        super().__init__()
        self.latent_dim = latent_dim
        coords = torch.linspace(-1.0, 1.0, 16)
        yy, xx = torch.meshgrid(coords, coords, indexing="ij")
        self.register_buffer("coords", torch.stack([xx, yy])[None], persistent=False)
        self.body = nn.Sequential(
            nn.Conv2d(latent_dim + 2, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),  # 32×32
            nn.ConvTranspose2d(32, 1, 4, 2, 1),              # 64×64
        )

    def net(self, z: torch.Tensor) -> torch.Tensor:
        tiled = z[:, :, None, None].expand(-1, -1, 16, 16)
        return self.body(torch.cat([tiled, self.coords.expand(z.shape[0], -1, -1, -1)], dim=1))

"""The standard dSprites encoder of Higgins et al. / Burgess et al."""
from __future__ import annotations

import torch
from torch import nn


class BurgessEncoder(nn.Module):
    """4 conv layers (32-32-64-64, 4×4, stride 2) → FC 256 → mean and log-variance of a Gaussian."""

    def __init__(self, latent_dim: int = 10):
        super().__init__()
        self.latent_dim = latent_dim
        self.convs = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),   # 32×32
            nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),  # 16×16
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),  # 8×8
            nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU(),  # 4×4
        )
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 2 * latent_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.fc(self.convs(x)).chunk(2, dim=1)
        return mu, logvar

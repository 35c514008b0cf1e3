"""The standard dSprites encoder of Higgins et al. / Burgess et al."""
from __future__ import annotations

import torch
from torch import nn


class BurgessEncoder(nn.Module):
    """4 conv layers (32-32-64-64, 4×4, stride 2) → FC 256 → mean and log-variance of a Gaussian.

    Weights start with He (Kaiming-normal, fan-in) initialisation and zero biases. PyTorch's
    default layer init shrinks the signal's variance about sixfold per ReLU layer, so after six
    layers the posterior mean barely depends on the image (batch std ≈ 0.001): the decoder
    learns the average sprite, the code carries nothing for hundreds of steps, and a supervised
    term on μ cannot get a grip. He init keeps the variance, so the code is used from the start
    (``python -m bench.init``; docs/recipe.md).
    """

    def __init__(self, latent_dim: int = 10, init: str = "he", coords: bool = False):
        super().__init__()
        self.latent_dim = latent_dim
        self.coords = coords
        self.convs = nn.Sequential(
            nn.Conv2d(3 if coords else 1, 32, 4, 2, 1), nn.ReLU(),   # 32×32
            nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),  # 16×16
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),  # 8×8
            nn.Conv2d(64, 64, 4, 2, 1), nn.ReLU(),  # 4×4
        )
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 2 * latent_dim))
        for layer in self.modules() if init == "he" else ():  # "torch": PyTorch's default, kept for comparison
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.coords:
            x = with_coordinates(x)
        mu, logvar = self.fc(self.convs(x)).chunk(2, dim=1)
        return mu, logvar


def with_coordinates(x: torch.Tensor) -> torch.Tensor:
    """CoordConv (Liu et al. 2018): the image plus two channels holding each pixel's column and row in
    [−1, 1], so a convolution can read where a sprite is instead of inferring it from padding."""
    b, _, h, w = x.shape
    rows = torch.linspace(-1.0, 1.0, h, dtype=x.dtype, device=x.device).view(1, 1, h, 1).expand(b, 1, h, w)
    cols = torch.linspace(-1.0, 1.0, w, dtype=x.dtype, device=x.device).view(1, 1, 1, w).expand(b, 1, h, w)
    return torch.cat([x, cols, rows], dim=1)

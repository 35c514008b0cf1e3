"""Encoder + decoder + the reparameterisation trick."""
from __future__ import annotations

import torch
from torch import nn

from .encoder import BurgessEncoder


class VAE(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    @property
    def autoregressive(self) -> bool:
        return bool(getattr(self.decoder, "autoregressive", False))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced logits of x given a posterior sample, plus the posterior's mean and log-variance."""
        mu, logvar = self.encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z, x), mu, logvar

    @torch.no_grad()
    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, **kwargs) -> tuple[torch.Tensor, dict]:
        """Pixel probabilities for codes z (greedy autoregressive decode where the decoder is AR)."""
        return self.decoder.generate(z, **kwargs)


def build_model(model_config) -> VAE:
    from . import DECODERS

    cls, extra, _ = DECODERS[model_config.decoder]
    decoder = cls(latent_dim=model_config.latent_dim, ar_channels=model_config.ar_channels, **extra)
    return VAE(BurgessEncoder(model_config.latent_dim, init=model_config.encoder_init), decoder)

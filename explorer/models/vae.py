"""Encoder + decoder + the reparameterisation trick."""
from __future__ import annotations

import torch
from torch import nn



class VAE(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    @property
    def autoregressive(self) -> bool:
        return bool(getattr(self.decoder, "autoregressive", False))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced logits of x given a posterior sample, plus the posterior's mean and log-variance.

        ``generator`` draws the sample's noise: a training passes its own, so two trainings in one
        process never share (and reseed) a random stream.
        """
        return self.forward_with_code(x, generator)[:3]

    def forward_with_code(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """:meth:`forward` plus the posterior sample z it decoded (the total-correlation estimate needs it)."""
        mu, logvar = self.encoder(x)
        if generator is not None:  # a CPU generator on every device: the same noise wherever the model is
            noise = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=generator.device).to(mu.device)
        else:
            noise = torch.randn_like(mu)
        z = mu + noise * torch.exp(0.5 * logvar)
        return self.decoder(z, x), mu, logvar, z

    @torch.no_grad()
    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, **kwargs) -> tuple[torch.Tensor, dict]:
        """Pixel probabilities for codes z (greedy autoregressive decode where the decoder is AR)."""
        return self.decoder.generate(z, **kwargs)

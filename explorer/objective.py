"""The β-VAE loss with explicit reductions, schedules and free bits; the β-TCVAE and capacity objectives beside it.

Reductions: the Bernoulli NLL is *summed* over the 4,096 pixels and the KL *summed* over
latent dims, both averaged over the batch. This is the scale at which "β = 4" is meant
(Higgins et al., disentanglement_lib); a mean over pixels would silently multiply the
effective β by 4,096.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

from .config import ObjectiveConfig
from .schedules import CapacityRamp, Constant, Cyclical, LinearWarmup, kl_schedule


@dataclass
class LossParts:
    loss: torch.Tensor          # what is minimised
    recon: torch.Tensor         # mean over batch of the summed Bernoulli NLL (nats)
    kl: torch.Tensor            # raw KL: mean over batch, summed over dims (nats), never clamped
    kl_per_dim: torch.Tensor    # (D,) raw batch-mean KL per dim
    kl_penalised: torch.Tensor  # the KL term after free bits (the surrogate actually weighted)
    weight: float               # effective weight on the KL term this step
    capacity: float | None      # target C under the capacity schedule
    label: torch.Tensor | None = None  # the pinned-axes term, where the run has labels (added by the trainer)
    tc: torch.Tensor | None = None     # the batch's total-correlation estimate, under the β-TCVAE only


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """(B, D) analytic KL(N(mu, e^logvar) ‖ N(0, 1)) per sample and dim."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(B,) reconstruction NLL in nats, summed over pixels."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def free_bits_kl(kl: torch.Tensor, lam: float, mode: str) -> torch.Tensor:
    """The KL surrogate under free bits λ (nats/dim); equals the raw KL when λ = 0.

    sample: mean_x Σ_j max(λ, KL_j(x))   (per sample and dim; the seed's Code Fragment 3)
    batch:  Σ_j max(λ, mean_x KL_j(x))   (Kingma et al. 2016: the batch mean is inside the max)
    """
    if lam <= 0:
        return kl.sum(1).mean()
    if mode == "sample":
        return kl.clamp(min=lam).sum(1).mean()
    if mode == "batch":
        return kl.mean(0).clamp(min=lam).sum()
    raise ValueError(f"unknown free-bits mode {mode!r}")


@dataclass(frozen=True)
class BetaLoss:
    """The β-VAE: NLL + β · schedule(progress) · KL, the KL under free bits where λ > 0."""

    beta: float
    schedule: Constant | LinearWarmup | Cyclical
    free_bits: float = 0.0
    free_bits_mode: str = "sample"

    def __call__(self, logits, x, mu, logvar, progress: float, z=None) -> LossParts:
        nll, kl, penalised = _terms(logits, x, mu, logvar, self.free_bits, self.free_bits_mode)
        weight = self.beta * self.schedule.factor(progress)
        return _parts(nll + weight * penalised, nll, kl, penalised, weight, None)


@dataclass
class BetaTCLoss:
    """β-TCVAE (Chen et al. 2018): the β-VAE plus ``tc_weight`` · total correlation, both under the schedule.

    The KL splits into index-code MI + total correlation + dimension-wise KL
    (explorer.metrics.kl_decomposition); the β-VAE taxes all three alike and is indifferent to
    rotating a pair of equally spread factors, which only the total correlation sees. Chen et al.'s
    objective with weight B on the TC is this one with β = 1 and ``tc_weight`` = B − 1.

    ``bank`` > 0 keeps that many posteriors from earlier batches (detached) as extra components of
    the mixture q(z): a small batch alone mixes too few posteriors for q(z) to look like the
    aggregate, so the estimate mostly sees each sample's own posterior.
    """

    beta: float
    tc_weight: float
    schedule: Constant | LinearWarmup | Cyclical
    free_bits: float = 0.0
    free_bits_mode: str = "sample"
    bank: int = 0
    _bank: PosteriorBank | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self._bank = PosteriorBank(self.bank) if self.bank > 0 else None

    def __call__(self, logits, x, mu, logvar, progress: float, z=None) -> LossParts:
        if z is None:
            raise ValueError("the total-correlation term needs the posterior sample z the decoder saw")
        nll, kl, penalised = _terms(logits, x, mu, logvar, self.free_bits, self.free_bits_mode)
        factor = self.schedule.factor(progress)
        if self._bank is None or self._bank.mu is None:  # no bank, or nothing remembered yet
            tc = total_correlation(z, mu, logvar)
        else:
            tc = total_correlation(z, torch.cat([mu, self._bank.mu]), torch.cat([logvar, self._bank.logvar]))
        if self._bank is not None:
            self._bank.push(mu, logvar)
        parts = _parts(nll + factor * (self.beta * penalised + self.tc_weight * tc), nll, kl, penalised,
                       self.beta * factor, None)
        parts.tc = tc.detach()
        return parts


class PosteriorBank:
    """A ring of the last ``size`` posteriors (μ, log σ², detached) seen in training; ``mu`` is None until
    the first push."""

    def __init__(self, size: int):
        self.size, self.mu, self.logvar, self.next = size, None, None, 0

    def push(self, mu: torch.Tensor, logvar: torch.Tensor) -> None:
        mu, logvar = mu.detach()[-self.size:], logvar.detach()[-self.size:]
        if self.mu is None:
            self.mu = mu.new_zeros((0, mu.shape[1]))
            self.logvar = logvar.new_zeros((0, mu.shape[1]))
        if len(self.mu) < self.size:  # still filling
            keep = self.size - len(self.mu)
            self.mu, self.logvar = torch.cat([self.mu, mu[:keep]]), torch.cat([self.logvar, logvar[:keep]])
            mu, logvar = mu[keep:], logvar[keep:]
        for m, lv in zip(mu, logvar):  # overwrite the oldest, one row at a time (a batch is small)
            self.mu[self.next], self.logvar[self.next] = m, lv
            self.next = (self.next + 1) % self.size


def total_correlation(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Estimate of KL(q(z) ‖ Π_j q(z_j)): mean_i [log q(z_i) − Σ_j log q(z_ij)], with q(z) and each
    q(z_j) the mixture of the posteriors (μ, log σ²) given, whose first rows are those z was drawn from.
    With the batch alone it differs from Chen et al.'s minibatch-weighted sampling only by a constant
    (the dataset size inside their log), so the gradients are the same."""
    m = mu.shape[0]
    log_q = -0.5 * ((z[:, None] - mu[None]) ** 2 * torch.exp(-logvar[None]) + logvar[None] + _LOG_2PI)  # (B, M, D)
    log_joint = torch.logsumexp(log_q.sum(2), dim=1) - math.log(m)
    log_marginals = torch.logsumexp(log_q, dim=1) - math.log(m)
    return (log_joint - log_marginals.sum(1)).mean()


_LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class CapacityLoss:
    """Controlled capacity (Burgess et al. 2018): NLL + γ · |KL − C(progress)|; β plays no part."""

    gamma: float
    capacity: CapacityRamp
    free_bits: float = 0.0
    free_bits_mode: str = "sample"

    def __call__(self, logits, x, mu, logvar, progress: float, z=None) -> LossParts:
        nll, kl, penalised = _terms(logits, x, mu, logvar, self.free_bits, self.free_bits_mode)
        c = self.capacity.target(progress)
        weight = self.gamma * (1.0 if penalised.item() >= c else -1.0)
        return _parts(nll + self.gamma * (penalised - c).abs(), nll, kl, penalised, weight, c)


def loss_for(cfg: ObjectiveConfig, steps: int | None = None) -> BetaLoss | BetaTCLoss | CapacityLoss:
    """The loss object an objective config describes (one class per objective); ``steps``: the run's
    step budget, if it has one (the warm-up's floor in steps needs it)."""
    if cfg.schedule == "capacity":
        return CapacityLoss(cfg.gamma, CapacityRamp(cfg.capacity_max, cfg.capacity_fraction), cfg.free_bits,
                            cfg.free_bits_mode)
    if cfg.tc_weight > 0:
        return BetaTCLoss(cfg.beta, cfg.tc_weight, kl_schedule(cfg, steps), cfg.free_bits, cfg.free_bits_mode,
                          cfg.tc_bank)
    return BetaLoss(cfg.beta, kl_schedule(cfg, steps), cfg.free_bits, cfg.free_bits_mode)


def vae_loss(logits, x, mu, logvar, cfg: ObjectiveConfig, progress: float, z=None) -> LossParts:
    """:func:`loss_for` applied once (tests and benchmarks; the trainer builds the loss object once)."""
    return loss_for(cfg)(logits, x, mu, logvar, progress, z=z)


def _terms(logits, x, mu, logvar, free_bits: float, mode: str):
    nll = bernoulli_nll(logits, x).mean()
    kl = gaussian_kl(mu, logvar)
    return nll, kl, free_bits_kl(kl, free_bits, mode)


def _parts(loss, nll, kl, penalised, weight: float, c: float | None) -> LossParts:
    kl_dims = kl.detach().mean(0)
    return LossParts(loss, nll.detach(), kl_dims.sum(), kl_dims, penalised.detach(), weight, c)

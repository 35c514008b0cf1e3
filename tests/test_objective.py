"""The loss's reductions, the KL schedules and the free-bits variants."""
import math

import pytest
import torch

from explorer.config import ObjectiveConfig
from dataclasses import replace

from explorer.objective import (BetaLoss, BetaTCLoss, bernoulli_nll, free_bits_kl, gaussian_kl, loss_for,
                                total_correlation, vae_loss)
from explorer.schedules import capacity, kl_factor, lr_factor


def test_kl_is_zero_at_the_prior_and_matches_closed_form():
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0
    mu, logvar = torch.tensor([[1.0]]), torch.tensor([[math.log(0.25)]])
    expected = 0.5 * (1.0 + 0.25 - math.log(0.25) - 1.0)
    assert gaussian_kl(mu, logvar).item() == pytest.approx(expected)


def test_reconstruction_is_summed_over_pixels_not_averaged():
    x = torch.ones(2, 1, 64, 64)
    logits = torch.zeros(2, 1, 64, 64)  # p = 1/2 everywhere: ln 2 nats per pixel
    assert bernoulli_nll(logits, x).tolist() == pytest.approx([4096 * math.log(2)] * 2)


def test_loss_is_recon_plus_beta_times_kl():
    torch.manual_seed(0)
    x = (torch.rand(8, 1, 64, 64) > 0.5).float()
    logits, mu, logvar = torch.randn(8, 1, 64, 64), torch.randn(8, 5), torch.randn(8, 5)
    parts = vae_loss(logits, x, mu, logvar, ObjectiveConfig(beta=4.0, tc_weight=0.0), progress=0.5)
    assert parts.loss.item() == pytest.approx(parts.recon.item() + 4.0 * parts.kl.item(), rel=1e-6)
    assert parts.kl.item() == pytest.approx(gaussian_kl(mu, logvar).sum(1).mean().item(), rel=1e-6)
    assert parts.kl_per_dim.shape == (5,) and parts.weight == 4.0


@pytest.mark.parametrize("schedule, progress, expected", [
    ("constant", 0.0, 1.0), ("linear", 0.0, 0.0), ("linear", 0.15, 0.5), ("linear", 0.3, 1.0), ("linear", 0.9, 1.0),
    ("cyclical", 0.0, 0.0), ("cyclical", 0.0625, 0.5), ("cyclical", 0.2, 1.0), ("cyclical", 0.25, 0.0),
    ("cyclical", 0.999, 1.0), ("cyclical", 1.0, 1.0), ("capacity", 0.3, 1.0),
])
def test_schedule_factor(schedule, progress, expected):
    cfg = ObjectiveConfig(schedule=schedule, warmup_fraction=0.3, cycles=4, ramp_fraction=0.5)
    assert kl_factor(cfg, progress) == pytest.approx(expected)


def test_linear_warmup_can_start_above_zero():
    assert kl_factor(ObjectiveConfig(schedule="linear", warmup_start=0.1, warmup_fraction=0.5), 0.0) == pytest.approx(0.1)


def test_capacity_ramps_to_its_maximum_and_penalises_the_gap():
    cfg = ObjectiveConfig(schedule="capacity", capacity_max=20.0, capacity_fraction=0.5, gamma=100.0)
    assert [capacity(cfg, p) for p in (0.0, 0.25, 0.5, 1.0)] == pytest.approx([0.0, 10.0, 20.0, 20.0])
    x = torch.zeros(4, 1, 64, 64)
    logits, mu, logvar = torch.zeros(4, 1, 64, 64), torch.ones(4, 3), torch.zeros(4, 3)  # KL = 1.5 nats
    parts = vae_loss(logits, x, mu, logvar, cfg, progress=0.25)
    assert parts.capacity == pytest.approx(10.0)
    assert parts.loss.item() == pytest.approx(parts.recon.item() + 100.0 * abs(1.5 - 10.0), rel=1e-6)


def test_free_bits_variants_differ_as_documented():
    # dim 0: one sample at 0, one at 1 nat (batch mean 0.5); dim 1: both at 0.1 nat
    kl = torch.tensor([[0.0, 0.1], [1.0, 0.1]])
    lam = 0.4
    assert free_bits_kl(kl, 0.0, "sample").item() == pytest.approx(0.6)  # raw
    # per (sample, dim): mean_x Σ_j max(λ, KL_j(x)) = mean(0.4 + 0.4, 1.0 + 0.4)
    assert free_bits_kl(kl, lam, "sample").item() == pytest.approx(1.1)
    # Kingma: Σ_j max(λ, mean_x KL_j) = max(.4, .5) + max(.4, .1)
    assert free_bits_kl(kl, lam, "batch").item() == pytest.approx(0.9)


def test_free_bits_gradients_vanish_below_the_floor_only():
    kl = torch.tensor([[0.1, 2.0]], requires_grad=True)
    free_bits_kl(kl, 0.5, "sample").backward()
    assert kl.grad.tolist() == [[0.0, 1.0]]


def test_raw_kl_is_recorded_not_the_clamped_surrogate():
    mu, logvar = torch.zeros(4, 6), torch.zeros(4, 6)  # raw KL exactly 0
    x = torch.zeros(4, 1, 64, 64)
    parts = vae_loss(torch.zeros(4, 1, 64, 64), x, mu, logvar, ObjectiveConfig(beta=1.0, free_bits=0.5, tc_weight=0.0), 0.5)
    assert parts.kl.item() == 0.0 and parts.kl_penalised.item() == pytest.approx(3.0)


@pytest.mark.parametrize("start, progress, factor", [
    (1.0, 0.9, 1.0), (0.5, 0.25, 1.0), (0.5, 0.5, 1.0), (0.5, 0.75, 0.5), (0.5, 1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.4, 0.6),
])
def test_lr_factor_holds_then_falls_linearly_to_zero(start, progress, factor):
    assert lr_factor(start, progress) == pytest.approx(factor)


def _brute_force_tc(z, mu, logvar) -> float:
    """mean_i [log (1/B Σ_b q(z_i|x_b)) − Σ_d log (1/B Σ_b q(z_id|x_bd))], one density at a time."""
    b, d = len(z), len(z[0])
    total = 0.0
    for i in range(b):
        dens = [[math.exp(-0.5 * ((z[i][k] - mu[j][k]) ** 2 / math.exp(logvar[j][k]) + logvar[j][k]
                                  + math.log(2 * math.pi))) for k in range(d)] for j in range(b)]
        joint = sum(math.prod(row) for row in dens) / b
        marginals = [sum(dens[j][k] for j in range(b)) / b for k in range(d)]
        total += math.log(joint) - sum(math.log(m) for m in marginals)
    return total / b


def test_total_correlation_matches_the_mixture_formula():
    torch.manual_seed(1)
    mu, logvar = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64) * 0.3
    z = mu + torch.randn(6, 3, dtype=torch.float64) * torch.exp(0.5 * logvar)
    assert total_correlation(z, mu, logvar).item() == pytest.approx(
        _brute_force_tc(z.tolist(), mu.tolist(), logvar.tolist()), rel=1e-9)


def test_beta_tcvae_adds_the_weighted_total_correlation_under_the_schedule():
    torch.manual_seed(2)
    x = (torch.rand(8, 1, 64, 64) > 0.5).float()
    logits, mu, logvar = torch.randn(8, 1, 64, 64), torch.randn(8, 5), torch.randn(8, 5)
    z = mu + torch.randn(8, 5) * torch.exp(0.5 * logvar)
    cfg = ObjectiveConfig(beta=4.0, tc_weight=5.0, warmup_fraction=0.2)
    assert isinstance(loss_for(cfg), BetaTCLoss) and isinstance(loss_for(replace(cfg, tc_weight=0.0)), BetaLoss)
    plain = vae_loss(logits, x, mu, logvar, replace(cfg, tc_weight=0.0), progress=0.1, z=z)
    tc = vae_loss(logits, x, mu, logvar, cfg, progress=0.1, z=z)  # half-way through the warm-up
    assert tc.tc.item() == pytest.approx(total_correlation(z, mu, logvar).item())
    assert tc.loss.item() == pytest.approx(plain.loss.item() + 0.5 * 5.0 * tc.tc.item(), rel=1e-6)
    assert tc.weight == plain.weight == 2.0
    with pytest.raises(ValueError, match="posterior sample"):
        vae_loss(logits, x, mu, logvar, cfg, progress=0.5)


def test_tc_weight_is_inert_under_the_capacity_objective_and_refused_below_zero():
    from explorer.config import RunConfig
    capacity = RunConfig(objective=ObjectiveConfig(schedule="capacity", tc_weight=5.0))
    assert capacity.key() == RunConfig(objective=ObjectiveConfig(schedule="capacity")).key()
    assert RunConfig(objective=ObjectiveConfig(tc_weight=5.0)).key() != RunConfig().key()
    with pytest.raises(ValueError, match="tc_weight"):
        RunConfig(objective=ObjectiveConfig(tc_weight=-1.0)).validate()


def _correlated_posteriors(n: int, rho: float, sigma: float = 0.1):
    """Narrow posteriors whose means are drawn from a 2-D Gaussian with correlation rho: the aggregate's
    total correlation is −½ log(1 − rho²) (up to the small posterior width)."""
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(n, 2, generator=gen) @ torch.linalg.cholesky(torch.tensor([[1, rho], [rho, 1.0]])).T
    return centres, torch.full((n, 2), 2 * math.log(sigma)), gen


def test_a_bank_of_earlier_posteriors_makes_a_small_batch_estimate_the_aggregate_tc():
    centres, logvar, gen = _correlated_posteriors(4096, rho=0.8)
    truth, alone, banked = -0.5 * math.log(1 - 0.8 ** 2), [], []
    for _ in range(40):
        idx, bank = torch.randint(0, 4096, (16,), generator=gen), torch.randint(0, 4096, (2048,), generator=gen)
        mu, lv = centres[idx], logvar[idx]
        z = mu + 0.1 * torch.randn(16, 2, generator=gen)
        alone.append(total_correlation(z, mu, lv).item())
        banked.append(total_correlation(z, torch.cat([mu, centres[bank]]), torch.cat([lv, logvar[bank]])).item())
    assert abs(sum(banked) / 40 - truth) < 0.1  # the bank's mixture looks like the aggregate
    assert sum(alone) / 40 - truth > 0.4        # 16 posteriors alone: each sample mostly sees its own


def test_the_posterior_bank_keeps_the_latest_detached_posteriors_and_gradients_reach_the_batch_only():
    loss = loss_for(ObjectiveConfig(beta=4.0, tc_weight=5.0, tc_bank=6))
    x = (torch.rand(4, 1, 64, 64) > 0.5).float()
    seen = []
    for step in range(3):
        mu = torch.randn(4, 3, requires_grad=True)
        logvar = torch.zeros(4, 3, requires_grad=True)
        z = mu + torch.randn(4, 3)
        parts = loss(torch.zeros(4, 1, 64, 64), x, mu, logvar, progress=1.0, z=z)
        parts.loss.backward()
        assert mu.grad is not None and torch.isfinite(parts.tc)
        seen.append(mu.detach().clone())
    bank = loss._bank
    assert len(bank.mu) == 6 and not bank.mu.requires_grad
    latest = {tuple(r.tolist()) for r in torch.cat(seen)[-6:]}
    assert {tuple(r.tolist()) for r in bank.mu} == latest  # the last 6 posteriors, oldest overwritten first
    # the third step's estimate mixed its batch with the 6 remembered posteriors
    assert parts.tc.item() == pytest.approx(total_correlation(
        z, torch.cat([seen[2], torch.cat(seen[:2])[-6:]]), torch.zeros(10, 3)).item(), rel=1e-5)


def test_tc_bank_is_inert_without_a_tc_term_and_old_runs_keep_their_keys():
    from explorer.config import RunConfig
    plain = ObjectiveConfig(tc_weight=0.0)
    assert RunConfig(objective=replace(plain, tc_bank=512)).key() == RunConfig(objective=plain).key()
    assert RunConfig(objective=ObjectiveConfig(tc_bank=512)).key() != RunConfig(objective=ObjectiveConfig(tc_bank=0)).key()
    with pytest.raises(ValueError, match="tc_bank"):
        RunConfig(objective=ObjectiveConfig(tc_bank=-1)).validate()


def test_a_warmup_floor_in_steps_stretches_a_short_runs_warmup_and_leaves_a_long_one_alone():
    from explorer.config import RunConfig, TrainConfig
    cfg = ObjectiveConfig(warmup_fraction=0.1, warmup_steps=100)
    assert kl_factor(cfg, 0.25, steps=200) == pytest.approx(0.5)    # 200 steps: the warm-up takes 100 of them
    assert kl_factor(cfg, 0.5, steps=100) == pytest.approx(0.5)     # shorter than the floor: the whole run
    assert kl_factor(cfg, 0.05, steps=1600) == pytest.approx(0.5)   # 10 % of 1,600 is longer than the floor
    assert kl_factor(cfg, 0.05) == pytest.approx(0.5)               # a seconds budget: the fraction alone
    # where the floor does not change the warm-up, the run is the one trained without it (same key)
    long = RunConfig(objective=cfg, train=TrainConfig(steps=1600))
    assert long.key() == RunConfig(objective=replace(cfg, warmup_steps=0), train=TrainConfig(steps=1600)).key()
    short = RunConfig(objective=cfg, train=TrainConfig(steps=200))
    assert short.key() != RunConfig(objective=replace(cfg, warmup_steps=0), train=TrainConfig(steps=200)).key()
    with pytest.raises(ValueError, match="warmup_steps"):
        RunConfig(objective=replace(cfg, warmup_steps=-5)).validate()

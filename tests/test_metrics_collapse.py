"""Collapse diagnostics: active units, KL per latent, I_q(x; z) estimate."""
import numpy as np
import pytest
import torch

from explorer.metrics import active_units, informative_units, kl_per_dim, mutual_information


def test_active_units_counts_the_constructed_active_latents():
    rng = np.random.default_rng(0)
    means = np.concatenate([rng.standard_normal((2000, 3)),              # active
                            1e-3 * rng.standard_normal((2000, 2)),       # var 1e-6: collapsed
                            np.full((2000, 1), 0.7)], axis=1)            # constant
    out = active_units(means)
    assert out["active_units"] == 3
    assert out["active"] == [True, True, True, False, False, False]
    np.testing.assert_allclose(out["variances"], means.var(axis=0, ddof=1))
    assert active_units(means, threshold=1e-8)["active_units"] == 5


def test_kl_per_dim_matches_torch_distributions():
    rng = np.random.default_rng(1)
    mu, logvar = rng.standard_normal((50, 4)), rng.standard_normal((50, 4))
    q = torch.distributions.Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(logvar)))
    p = torch.distributions.Normal(torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).mean(0).numpy()
    np.testing.assert_allclose(kl_per_dim(mu, logvar), expected, rtol=1e-10)
    np.testing.assert_allclose(kl_per_dim(torch.tensor(mu), torch.tensor(logvar)), expected, rtol=1e-10)
    assert np.all(kl_per_dim(np.zeros((3, 2)), np.zeros((3, 2))) == 0.0)


def he_et_al_loop(mu, logvar, z):
    """Plain (B, B, D) evaluation of the same estimator, as in He et al.'s calc_mi, but with
    log q(z|x) at the drawn sample."""
    b, d = mu.shape
    dev = z[:, None, :] - mu[None, :, :]
    log_density = -0.5 * (dev ** 2 / np.exp(logvar)[None]).sum(-1) \
        - 0.5 * (d * np.log(2 * np.pi) + logvar.sum(-1))[None, :]
    log_qz = np.log(np.exp(log_density).sum(1)) - np.log(b)
    return float((np.diag(log_density) - log_qz).mean())


def test_mi_matches_a_direct_loop():
    rng = np.random.default_rng(2)
    mu, logvar = rng.standard_normal((64, 3)), 0.5 * rng.standard_normal((64, 3))
    out = mutual_information(mu, logvar, seed=9)
    z = mu + np.exp(0.5 * logvar) * np.random.default_rng(9).standard_normal(mu.shape)
    assert out["mi"] == pytest.approx(he_et_al_loop(mu, logvar, z), abs=1e-9)


def test_mi_is_zero_when_codes_ignore_x():
    out = mutual_information(np.zeros((500, 4)), np.zeros((500, 4)))
    assert abs(out["mi"]) < 1e-9
    assert out["upper_bound"] == pytest.approx(np.log(500))


def test_mi_approaches_log_b_for_separated_codes():
    b = 200
    mu = 20.0 * np.eye(b)[:, :8] + 20.0 * np.arange(b)[:, None]   # far apart, tiny variance
    out = mutual_information(mu, np.full_like(mu, -6.0))
    assert out["mi"] == pytest.approx(np.log(b), abs=1e-3)


@pytest.mark.parametrize("scale,logvar_shift", [(0.1, 0.0), (1.0, -2.0), (5.0, -8.0), (50.0, 2.0)])
def test_mi_never_exceeds_log_b(scale, logvar_shift):
    rng = np.random.default_rng(int(scale * 10))
    mu = scale * rng.standard_normal((300, 6))
    logvar = logvar_shift + rng.standard_normal((300, 6))
    for seed in range(5):
        out = mutual_information(mu, logvar, seed=seed)
        assert out["mi"] <= out["upper_bound"] + 1e-9


def test_mi_max_batch_subsamples_and_accepts_tensors():
    rng = np.random.default_rng(4)
    mu, logvar = rng.standard_normal((3000, 2)), np.full((3000, 2), -1.0)
    out = mutual_information(torch.tensor(mu), torch.tensor(logvar), max_batch=256, seed=1)
    assert out["batch"] == 256 and out["upper_bound"] == pytest.approx(np.log(256))
    assert 0 < out["mi"] <= out["upper_bound"]


@pytest.mark.parametrize("mean_std, sigma, informative, burda_active", [
    (0.15, 1.0, False, True),     # collapsed: means jitter, posterior noise ≈ prior; Burda counts it
    (0.01, 0.001, True, False),   # used at a tiny scale: Burda misses it
    (1.0, 0.1, True, True),       # an ordinary used latent
    (0.0, 1.0, False, False),     # an ordinary collapsed latent
])
def test_informative_units_are_scale_free_where_burdas_count_is_not(mean_std, sigma, informative, burda_active):
    rng = np.random.default_rng(0)
    mu = rng.normal(0.0, 1.0, size=(20_000, 1)) * mean_std
    logvar = np.full_like(mu, 2 * np.log(sigma))
    res = informative_units(mu, logvar)
    expected_nats = 0.5 * np.log1p(mean_std ** 2 / sigma ** 2)
    assert res["nats"][0] == pytest.approx(expected_nats, rel=0.05, abs=1e-4)
    assert res["informative_units"] == int(informative)
    assert active_units(mu)["active_units"] == int(burda_active)


def test_what_a_latent_carries_is_the_gaussian_channels_known_mi():
    """A known answer: z = μ(x) + σ·ε with μ(x) ~ N(0, s²) over images and σ fixed is a Gaussian channel, whose
    mutual information I(x; z) is exactly ½·log(1 + s²/σ²). The per-latent nats behind the greyed columns of
    Compare's MI heatmap must equal it, whatever the code's scale (where the means' MI, which MIG bins, cannot
    tell a noisy latent from a clean one)."""
    rng = np.random.default_rng(0)
    for s, sigma in ((2.0, 1.0), (0.15, 1.0), (0.02, 0.01)):
        mu = rng.normal(0.0, s, size=(200_000, 1))
        logvar = np.full_like(mu, 2 * np.log(sigma))
        nats = informative_units(mu, logvar)["nats"][0]
        assert nats == pytest.approx(0.5 * np.log1p(s**2 / sigma**2), rel=0.01)

"""Posterior-collapse diagnostics: which latents carry information about x, and how much.

KL per latent is the usual first look, but objectives with free bits or a capacity target
keep the KL above a floor without the latent encoding anything, so the active-unit count and
the mutual information I_q(x; z) are the more reliable collapse signals.
"""
from __future__ import annotations

import numpy as np

from ._arrays import check_matrix, check_posterior, check_rows, finite_result

LOG_2PI = float(np.log(2 * np.pi))


def _spread(means: np.ndarray, metric: str) -> np.ndarray:
    """(D,) unbiased variance over the data of each latent's posterior mean.

    One row has no variance: reading it as 0 would call every latent collapsed, so it is refused."""
    return check_rows(means, metric, 2, "a variance over the data").var(axis=0, ddof=1)


#: Burda et al.'s threshold on Var_x(μ_d) above which a latent counts as active.
ACTIVE_VARIANCE = 0.01


def active_units(means, threshold: float = ACTIVE_VARIANCE) -> dict:
    """Active units (Burda et al. 2015): latents whose posterior mean varies across the data.

    A latent is active when Var_x(E_q[z_d | x]) > ``threshold`` (unbiased variance over the
    rows of ``means``, (N, D)); a collapsed latent outputs the same mean for every input.
    Use a fixed evaluation subset of a few thousand inputs so counts are comparable over time.
    """
    means = check_matrix(means, "means")
    with np.errstate(over="ignore", invalid="ignore"):
        variances = _spread(means, "active_units")
    finite_result("active_units", {"variances": variances}, means)
    active = variances > threshold
    return {"active_units": int(active.sum()), "variances": variances.tolist(),
            "active": active.tolist(), "threshold": float(threshold)}


#: The Gaussian-channel capacity (nats) above which a latent counts as informative.
INFORMATIVE_NATS = 0.1


def informative_units(mu, logvar, min_nats: float = INFORMATIVE_NATS) -> dict:
    """Latents whose mean varies across the data *relative to their own posterior noise*.

    Burda's count compares Var_x(μ_d) with a fixed 0.01, so it depends on the code's scale: a
    collapsed latent whose means jitter by 0.15 while σ ≈ 1 counts as active, and a used latent
    whose means and σ are both tiny counts as collapsed. Here the signal-to-noise ratio
    Var_x(μ_d) / E_x[σ_d²] goes into the Gaussian-channel formula ½·log(1 + SNR), the most
    information (nats) such a latent could carry about x; a latent is informative above ``min_nats``.
    """
    mu, logvar = check_posterior(mu, logvar)
    with np.errstate(over="ignore", invalid="ignore"):
        snr = _spread(mu, "informative_units") / np.maximum(np.exp(logvar).mean(axis=0), np.finfo(np.float64).tiny)
        nats = 0.5 * np.log1p(snr)
    finite_result("informative_units", {"nats": nats, "snr": snr}, mu, logvar)
    informative = nats > min_nats
    return {"informative_units": int(informative.sum()), "nats": nats.tolist(), "snr": snr.tolist(),
            "informative": informative.tolist(), "min_nats": float(min_nats)}


def kl_per_dim(mu, logvar) -> np.ndarray:
    """(D,) batch mean of KL(N(mu, exp(logvar)) ‖ N(0, 1)) per latent, in nats.

    Summing over latents gives the rate term of the ELBO; a latent with KL ≈ 0 is collapsed,
    but a positive KL alone does not prove the latent is used (see module note).
    """
    mu, logvar = check_posterior(mu, logvar)
    with np.errstate(over="ignore", invalid="ignore"):
        kl = (0.5 * (mu ** 2 + np.exp(logvar) - logvar - 1.0)).mean(axis=0)
    return finite_result("kl_per_dim", {"kl": kl}, mu, logvar)["kl"]


def _log_mixture(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, log_cond: np.ndarray,
                 rows: int = 256) -> np.ndarray:
    """(B,) logsumexp_b log q(z_i | x_b) − log B for diagonal Gaussians.

    Blocks of ``rows`` samples against all B posteriors via matrix products, so memory stays
    O(rows · B) and no (B, B, D) tensor is built. Each row's own term is replaced by the exact
    ``log_cond`` (no cancellation error), which makes the log B bound hold exactly.
    """
    b, d = mu.shape
    inv_var = np.exp(-logvar)                                   # (B, D)
    const = -0.5 * (d * LOG_2PI + logvar.sum(axis=1)) - 0.5 * (mu ** 2 * inv_var).sum(axis=1)
    out = np.empty(b)
    for s in range(0, b, rows):
        zs = z[s:s + rows]
        # Σ_d (z − μ)² / σ² = z²·(1/σ²) − 2 z·(μ/σ²) + Σ μ²/σ²
        log_q = -0.5 * ((zs ** 2) @ inv_var.T - 2.0 * zs @ (mu * inv_var).T) + const[None, :]
        own = np.arange(zs.shape[0])
        log_q[own, s + own] = log_cond[s:s + rows]
        top = log_q.max(axis=1)
        out[s:s + rows] = top + np.log(np.exp(log_q - top[:, None]).sum(axis=1))
    return out - np.log(b)


def mutual_information(mu, logvar, max_batch: int | None = None, seed: int = 0) -> dict:
    """Minibatch estimate of I_q(x; z) in nats (He et al. 2019, ``calc_mi``).

    I = E_x E_q[log q(z|x)] − E_x E_q[log q(z)], with the aggregate posterior q(z) replaced by
    the mixture over the evaluation batch: log q(z) ≈ logsumexp_b log q(z|x_b) − log B. One z
    per x is drawn with ``seed``. Unlike He et al., the first term is evaluated at that same
    sample (not the analytic entropy), which makes the estimate provably ≤ log B: it cannot
    report more information than the batch can distinguish (``upper_bound``), so use large
    batches (log 64 = 4.16, log 5000 = 8.52 nats). It can come out slightly negative.
    ``max_batch`` caps B by evaluating a random subset of that many rows (time O(B² D),
    memory O(B)).
    Accepts numpy arrays or torch tensors (N, D).
    """
    mu, logvar, z, log_cond_dims = posterior_sample(mu, logvar, max_batch, seed)
    with np.errstate(over="ignore", invalid="ignore"):
        log_cond = log_cond_dims.sum(axis=1)                             # log q(z_i | x_i)
        log_mix = _log_mixture(z, mu, logvar, log_cond)                  # ≈ log q(z_i)
        mi = float((log_cond - log_mix).mean())
    return finite_result("mutual_information", {"mi": mi, "upper_bound": float(np.log(mu.shape[0])),
                                                 "batch": int(mu.shape[0])}, mu, logvar)


def posterior_sample(mu, logvar, max_batch: int | None, seed: int):
    """(mu, logvar, z, log q(z_id | x_i) per dim): one z per row drawn with ``seed``, on at most
    ``max_batch`` rows; the draw the MI estimate and the KL decomposition share."""
    mu, logvar = check_posterior(mu, logvar)
    rng = np.random.default_rng(seed)
    if max_batch is not None and mu.shape[0] > max_batch:
        keep = np.sort(rng.choice(mu.shape[0], size=int(max_batch), replace=False))
        mu, logvar = mu[keep], logvar[keep]
    with np.errstate(over="ignore", invalid="ignore"):  # the callers refuse what overflows, in one line
        z = mu + np.exp(0.5 * logvar) * rng.standard_normal(mu.shape)
        log_cond_dims = -0.5 * ((z - mu) ** 2 * np.exp(-logvar) + logvar + LOG_2PI)
    return mu, logvar, z, log_cond_dims


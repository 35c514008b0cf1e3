"""Where the KL goes: index-code MI + total correlation + dimension-wise KL (Chen et al. 2018).

E_x KL(q(z|x) ‖ p(z)) = I_q(x; z) + KL(q(z) ‖ Π_j q(z_j)) + Σ_j KL(q(z_j) ‖ p(z_j)), where q(z)
is the aggregate posterior. The β-VAE taxes all three alike; only the middle one, the total
correlation (TC), is what "one factor per axis" needs gone, and it is the one a rotation of the
code changes. Each term is a Monte Carlo estimate at one z per row, with q(z) and every q(z_j)
replaced by the mixture over the rows given (the evaluation sample stands in for the data), so
the three terms add up exactly to the Monte Carlo estimate of the KL at the same z.
"""
from __future__ import annotations

import numpy as np

from ._arrays import finite_result
from .collapse import LOG_2PI, _log_mixture, kl_per_dim, posterior_sample


def _log_marginals(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, log_cond_dims: np.ndarray,
                   rows: int = 128) -> np.ndarray:
    """(B, D) logsumexp_b log q(z_id | x_b) − log B: each latent's aggregate posterior at each sample.

    Blocks of ``rows`` samples keep memory at O(rows · B · D); a row's own term is the exact
    ``log_cond_dims`` entry, as in the joint mixture."""
    b, d = mu.shape
    inv_sd = np.exp(-0.5 * logvar)                               # (B, D)
    norm = -0.5 * (logvar + LOG_2PI)                              # (B, D)
    out = np.empty((b, d))
    for s in range(0, b, rows):
        zs = z[s:s + rows]                                        # (r, D)
        log_q = norm[None] - 0.5 * ((zs[:, None, :] - mu[None]) * inv_sd[None]) ** 2   # (r, B, D)
        own = np.arange(zs.shape[0])
        log_q[own, s + own] = log_cond_dims[s:s + rows]
        top = log_q.max(axis=1)
        out[s:s + rows] = top + np.log(np.exp(log_q - top[:, None, :]).sum(axis=1))
    return out - np.log(b)


def kl_decomposition(mu, logvar, max_batch: int | None = None, seed: int = 0) -> dict:
    """The KL of an encoder on a sample split into index-code MI, total correlation and dimension-wise KL.

    ``mu``, ``logvar``: (N, D) posterior parameters of N images. Returns nats, batch-averaged:
    ``mi`` (the same number as ``mutual_information`` with this seed), ``tc``, ``dim_kl`` and its
    per-latent ``dim_kl_per_dim``, their sum ``kl_mc`` and the analytic ``kl`` it estimates.
    The mixture makes MI ≤ log N (``upper_bound``); TC and dimension-wise KL can come out slightly
    negative on small samples. Time O(N² D); ``max_batch`` evaluates a random subset of that many rows.
    """
    mu, logvar, z, log_cond_dims = posterior_sample(mu, logvar, max_batch, seed)
    with np.errstate(over="ignore", invalid="ignore"):
        log_cond = log_cond_dims.sum(axis=1)                      # log q(z_i | x_i)
        log_joint = _log_mixture(z, mu, logvar, log_cond)         # ≈ log q(z_i)
        log_marg = _log_marginals(z, mu, logvar, log_cond_dims)   # ≈ log q(z_ij)
        log_prior = -0.5 * (z ** 2 + LOG_2PI)                     # log p(z_ij)
        dim_kl = (log_marg - log_prior).mean(axis=0)
        mi = float((log_cond - log_joint).mean())
        tc = float((log_joint - log_marg.sum(axis=1)).mean())
        kl_mc = float((log_cond - log_prior.sum(axis=1)).mean())
    out = {"mi": mi, "tc": tc, "dim_kl": float(dim_kl.sum()), "dim_kl_per_dim": dim_kl.tolist(), "kl_mc": kl_mc}
    finite_result("kl_decomposition", out, mu, logvar)
    return {**out, "kl": float(kl_per_dim(mu, logvar).sum()), "upper_bound": float(np.log(mu.shape[0])),
            "batch": int(mu.shape[0])}

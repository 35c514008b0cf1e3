"""FactorVAE score (Kim & Mnih 2018), following disentanglement_lib's ``factor_vae.py``.

Fix one factor across a batch; in a disentangled code the latent tied to that factor
barely moves, so the latent with the smallest variance (relative to its global variance)
"votes" for the factor. A majority-vote classifier (each latent → its most-voted factor) is
fit on ``n_train`` votes and scored on ``n_eval`` fresh ones. Latents whose global std is
below ``prune_threshold`` (0.05) are collapsed and cannot vote; ``num_active_dims`` is a
collapse signal in itself. Chance is about 1 / K. A factor with a single value (in the
``n_variance`` sample) cannot be "fixed", so it gets no votes and is named in ``skipped_factors``,
as in MIG, SAP and DCI; otherwise its votes would be random and lower the score.

Cost: (n_train + n_eval) · batch_size images, ≈ 1M at the defaults; encoding is batched over
many votes per ``representation`` call. Smaller ``n_train`` / ``n_eval`` (e.g. 1,000 / 500)
give a fast, noisier score that is not comparable to published numbers.
"""
from __future__ import annotations

import numpy as np

from ._arrays import UnscorableInput, as_numpy, check_finite, constant_factors


def _encode(dataset, representation, factors: np.ndarray, encode_batch: int) -> np.ndarray:
    """Latent means of the images of (M, K) factor vectors, ``encode_batch`` images per call."""
    out = []
    for start in range(0, factors.shape[0], encode_batch):
        images = dataset.images_from_factors(factors[start:start + encode_batch])
        out.append(np.asarray(as_numpy(representation(images)), dtype=np.float64))
    codes = np.concatenate(out, axis=0)
    if codes.ndim != 2 or codes.shape[0] != factors.shape[0]:
        raise ValueError(f"representation returned shape {codes.shape} for {factors.shape[0]} images")
    return check_finite(codes, "representation output")


def _votes(dataset, representation, rng, n_votes: int, batch_size: int, global_var: np.ndarray,
           active: np.ndarray, varying: np.ndarray, encode_batch: int) -> np.ndarray:
    """(K, D) vote counts: how often fixing factor k (one of ``varying``) made latent d the least varying one."""
    k_total, d = len(dataset.factor_sizes), global_var.size
    active_idx = np.flatnonzero(active)
    votes = np.zeros((k_total, d), dtype=np.int64)
    # All random draws up front, so the votes do not depend on how encoding is batched.
    fixed_all = varying[rng.integers(0, varying.size, size=n_votes)]
    factors_all = np.asarray(dataset.sample_factors(n_votes * batch_size, rng))
    factors_all = factors_all.reshape(n_votes, batch_size, k_total)
    rows = np.arange(n_votes)
    factors_all[rows, :, fixed_all] = factors_all[rows, 0, fixed_all][:, None]
    per_call = max(1, encode_batch // batch_size)            # votes encoded per call
    for start in range(0, n_votes, per_call):
        fixed = fixed_all[start:start + per_call]
        m = fixed.size
        codes = _encode(dataset, representation,
                        factors_all[start:start + m].reshape(m * batch_size, k_total),
                        m * batch_size).reshape(m, batch_size, d)
        local_var = codes[:, :, active_idx].var(axis=1, ddof=1)
        winner = active_idx[np.argmin(local_var / global_var[active_idx], axis=1)]
        np.add.at(votes, (fixed, winner), 1)
    return votes


def factor_vae_score(dataset, representation, rng_or_seed=0, n_variance: int = 10000,
                     n_train: int = 10000, n_eval: int = 5000, batch_size: int = 64,
                     prune_threshold: float = 0.05, encode_batch: int = 4096) -> dict:
    """FactorVAE score of ``representation`` on ``dataset``.

    ``dataset`` offers ``factor_sizes``, ``sample_factors(n, rng)`` and
    ``images_from_factors(factors)`` (see explorer/data/base.py); ``representation`` maps a
    float32 (n, 1, 64, 64) image array to (n, D) latent means. ``encode_batch`` bounds the
    images per call (memory). Returns ``eval_accuracy``, ``train_accuracy``,
    ``num_active_dims``, ``active_dims``, ``global_variances``, the (K, D) ``train_votes``,
    ``skipped_factors`` and the settings used.
    """
    if batch_size < 2:
        raise ValueError("batch_size must be >= 2 to compute a variance")
    if n_train < 1 or n_eval < 1 or n_variance < 2:
        # no votes means no classifier to score and nothing to score it on: not an accuracy of 0 or 1
        raise UnscorableInput(f"factor_vae_score needs n_train ≥ 1 and n_eval ≥ 1 votes and n_variance ≥ 2 "
                              f"codes, got {n_train}, {n_eval} and {n_variance}")
    rng = rng_or_seed if isinstance(rng_or_seed, np.random.Generator) else np.random.default_rng(rng_or_seed)
    settings = {"n_variance": int(n_variance), "n_train": int(n_train), "n_eval": int(n_eval),
                "batch_size": int(batch_size), "prune_threshold": float(prune_threshold)}
    factors = np.asarray(dataset.sample_factors(n_variance, rng))
    skipped = constant_factors(factors)
    varying = np.setdiff1d(np.arange(factors.shape[1]), skipped)
    codes = _encode(dataset, representation, factors, encode_batch)
    global_var = codes.var(axis=0, ddof=1)
    active = np.sqrt(global_var) >= prune_threshold
    base = {"num_active_dims": int(active.sum()), "active_dims": active.tolist(),
            "global_variances": global_var.tolist(), "skipped_factors": skipped, **settings}
    if not active.any():
        return {"eval_accuracy": 0.0, "train_accuracy": 0.0,
                "train_votes": np.zeros((len(dataset.factor_sizes), codes.shape[1]), dtype=np.int64),
                **base}
    train = _votes(dataset, representation, rng, n_train, batch_size, global_var, active, varying,
                   encode_batch)
    classifier = train.argmax(axis=0)                      # latent → its most-voted factor
    cols = np.arange(train.shape[1])
    evaluation = _votes(dataset, representation, rng, n_eval, batch_size, global_var, active,
                        varying, encode_batch)
    return {
        "eval_accuracy": float(evaluation[classifier, cols].sum() / max(1, evaluation.sum())),
        "train_accuracy": float(train[classifier, cols].sum() / max(1, train.sum())),
        "train_votes": train,
        **base,
    }

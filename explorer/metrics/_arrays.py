"""Input checks shared by the metrics, so every metric fails the same way on bad input.

Each check raises ``ValueError`` with one line naming the problem: a diverged encoder's NaN
would otherwise flow silently into a score (or into a count of "active" units). Finite input that a
metric still cannot score (values whose arithmetic leaves float64, too few rows for a variance, no
votes) raises ``UnscorableInput``, a ``ValueError`` too: a number that is not there is never reported.
"""
from __future__ import annotations

import numpy as np


class UnscorableInput(ValueError):
    """Finite input a metric cannot turn into a finite, meaningful number; the message is one line."""


#: Largest |log σ²| whose exp and reciprocal stay normal float64 numbers (exp(709.8) is its maximum).
LOGVAR_LIMIT = 700.0


def as_numpy(x) -> np.ndarray:
    """numpy view of an array-like; torch tensors are detached and moved to the CPU (no torch import)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def check_finite(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` unchanged if every entry is finite."""
    bad = x.size - int(np.count_nonzero(np.isfinite(x)))
    if bad:
        raise ValueError(f"{name} contains NaN or infinite values ({bad} of {x.size} entries)")
    return x


def check_matrix(x, name: str) -> np.ndarray:
    """(N, D) finite float64 array with N > 0 (encoder means or log-variances); 1-D is one latent."""
    x = np.asarray(as_numpy(x), dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array, got shape {x.shape}")
    return check_finite(x, name)


def check_posterior(mu, logvar) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) means and log-variances of the same shape, with every σ² = exp(logvar) inside float64."""
    mu, logvar = check_matrix(mu, "mu"), check_matrix(logvar, "logvar")
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {mu.shape} and logvar {logvar.shape} differ")
    worst = float(logvar.flat[np.argmax(np.abs(logvar))])
    if abs(worst) > LOGVAR_LIMIT:
        raise UnscorableInput(f"logvar reaches {worst:g}: σ² = exp(logvar) leaves float64 beyond ±{LOGVAR_LIMIT:g}")
    return mu, logvar


def check_rows(x: np.ndarray, name: str, at_least: int, why: str) -> np.ndarray:
    """``x`` unchanged if it has ``at_least`` rows (``why`` says what needs them)."""
    if x.shape[0] < at_least:
        raise UnscorableInput(f"{name} needs at least {at_least} rows for {why}, got {x.shape[0]}")
    return x


def finite_result(metric: str, values: dict, mu: np.ndarray, logvar: np.ndarray | None = None) -> dict:
    """``values`` unchanged if every number in it is finite; else the input was beyond float64's reach."""
    numbers = [np.asarray(v, dtype=np.float64) for v in values.values() if isinstance(v, (float, list, np.ndarray))]
    if all(np.isfinite(v).all() for v in numbers):
        return values
    spread = f", logvar from {logvar.min():g} to {logvar.max():g}" if logvar is not None else ""
    raise UnscorableInput(f"{metric} overflows float64 on these codes (|μ| up to {np.abs(mu).max():.3g}{spread}); "
                          "a trained encoder's codes are many orders of magnitude smaller")


def check_codes(codes) -> np.ndarray:
    """(N, D) finite float codes, float32 kept as is; a 1-D array is read as a single latent."""
    codes = as_numpy(codes)
    if codes.ndim == 1:
        codes = codes[:, None]
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"codes must be a non-empty (N, D) array, got shape {codes.shape}")
    if not np.issubdtype(codes.dtype, np.floating):
        codes = codes.astype(np.float64)
    return check_finite(codes, "codes")


def check_factors(factors, n: int) -> np.ndarray:
    """(N, K) integer factor classes matching ``n`` codes; a 1-D array is read as one factor."""
    factors = as_numpy(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if factors.ndim != 2 or factors.shape[1] == 0:
        raise ValueError(f"factors must be an (N, K) array, got shape {factors.shape}")
    if factors.shape[0] != n:
        raise ValueError(f"{factors.shape[0]} factor rows for {n} codes")
    if not np.issubdtype(factors.dtype, np.integer):
        as_int = factors.astype(np.int64)
        if not np.array_equal(as_int, factors):
            raise ValueError("factors must be integer class labels (discrete factors only)")
        factors = as_int
    return factors


def constant_factors(factors: np.ndarray) -> list[int]:
    """Indices of the factors that take a single value in ``factors`` (N, K).

    Such a factor carries no information for a code to capture, so every score leaves it out of
    its average and names it (``skipped_factors``) rather than counting it as 0 or as 1.
    """
    single = np.all(factors == factors[:1], axis=0)
    if single.all():
        raise ValueError(f"every factor ({factors.shape[1]}) has a single value: there is nothing to score")
    return np.flatnonzero(single).astype(int).tolist()


def train_test_split(n: int, n_train: int | None, test_fraction: float) -> int:
    """Number of leading rows used for training; the rest is the test set.

    Samples are i.i.d. draws, so a contiguous split is as good as a shuffled one and keeps the
    result independent of any extra random state.
    """
    if n_train is None:
        n_train = n - int(round(n * test_fraction))
    if not 1 <= n_train < n:
        raise ValueError(f"need at least one training and one test row; n={n}, n_train={n_train}")
    return int(n_train)

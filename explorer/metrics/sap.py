"""SAP: Separated Attribute Predictability (Kumar et al. 2018), disentanglement_lib's variant.

For each (latent, factor) pair a classifier sees only that one latent; its test accuracy
fills the score matrix. SAP averages, over factors, the margin between the best and the
second-best latent: high when each factor is predictable from one latent alone. Discrete
factors use ``LinearSVC(C=0.01, class_weight="balanced")`` as disentanglement_lib; with
``continuous_factors=True`` the score is R² = cov² / (var_z · var_y) instead (0 for a constant
latent), computed on all rows (no classifier, so no split). A factor with a single value has
nothing to predict: its gap is 0.0, it is named in ``skipped_factors`` and left out of the mean.
"""
from __future__ import annotations

import warnings

import numpy as np

from ._arrays import UnscorableInput, check_codes, check_factors, constant_factors, train_test_split

#: Largest |code| SAP scores: liblinear stops converging (and runs on without end) once a code's fourth
#: power leaves float64, and R²'s squared covariance overflows at a similar size; a trained encoder's
#: codes are nowhere near either.
CODE_LIMIT = 1e30


def _classification_scores(x_tr, y_tr, x_te, y_te, c: float) -> np.ndarray:
    """(K, D) test accuracy of a linear SVM on each single latent."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    k, d = y_tr.shape[1], x_tr.shape[1]
    scores = np.zeros((k, d))
    for j in range(k):
        if np.unique(y_tr[:, j]).size < 2:
            # One class seen: every latent "predicts" it equally well, so no latent stands out.
            scores[j] = np.mean(y_te[:, j] == y_tr[0, j])
            continue
        for i in range(d):
            svm = LinearSVC(C=c, class_weight="balanced")
            with warnings.catch_warnings():
                # The weak C makes liblinear hit max_iter on uninformative latents; harmless here.
                warnings.simplefilter("ignore", ConvergenceWarning)
                svm.fit(x_tr[:, i:i + 1], y_tr[:, j])
            scores[j, i] = np.mean(svm.predict(x_te[:, i:i + 1]) == y_te[:, j])
    return scores


def _r2_scores(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(K, D) squared correlation; 0 where the latent's variance is ≤ 1e-12 (as dl)."""
    y = y.astype(np.float64)
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    cov = yc.T @ xc / x.shape[0]
    var_x, var_y = xc.var(axis=0), yc.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = cov ** 2 / (var_y[:, None] * var_x[None, :])
    r2[:, var_x <= 1e-12] = 0.0
    return np.nan_to_num(r2, nan=0.0)


def sap(codes, factors, n_train: int | None = None, test_fraction: float = 1 / 3,
        continuous_factors: bool = False, C: float = 0.01) -> dict:
    """SAP score of ``codes`` (N, D) against ``factors`` (N, K).

    Split as in :func:`explorer.metrics.dci` (first ``n_train`` rows train; dl: 10,000 / 5,000).
    Returns ``sap``, per-factor ``gaps``, ``best_latent``, ``score_matrix`` (K, D; dl stores
    the transpose) and ``skipped_factors``. With D = 1 the runner-up score is 0.
    """
    codes = check_codes(codes)
    factors = check_factors(factors, codes.shape[0])
    skipped = constant_factors(factors)
    largest = float(np.abs(codes).max())
    if largest > CODE_LIMIT:
        raise UnscorableInput(f"sap cannot score codes as large as {largest:.3g} (at most {CODE_LIMIT:g}): "
                              "its linear SVM would not converge")
    if continuous_factors:
        scores, n_tr = _r2_scores(codes, factors), codes.shape[0]
    else:
        n_tr = train_test_split(codes.shape[0], n_train, test_fraction)
        scores = _classification_scores(codes[:n_tr], factors[:n_tr], codes[n_tr:],
                                         factors[n_tr:], C)
    ordered = np.sort(scores, axis=1)
    second = ordered[:, -2] if scores.shape[1] > 1 else np.zeros(scores.shape[0])
    gaps = ordered[:, -1] - second
    gaps[skipped] = 0.0
    scored = np.delete(gaps, skipped)
    return {
        "sap": float(scored.mean()),
        "gaps": gaps.tolist(),
        "best_latent": scores.argmax(axis=1).astype(int).tolist(),
        "score_matrix": scores,
        "continuous_factors": bool(continuous_factors),
        "n_train": int(n_tr),
        "skipped_factors": skipped,
    }

"""DCI: disentanglement, completeness, informativeness (Eastwood & Williams 2018).

One classifier per factor predicts it from all codes; its feature importances form the
importance matrix R (factor × latent here; disentanglement_lib stores the transpose).
Disentanglement: does each latent matter for only one factor? Completeness: is each factor
captured by only one latent? Informativeness: can the factors be predicted at all (test
accuracy, despite the name)? Follows disentanglement_lib's ``dci.py``: unstandardised codes,
entropies in base K (per latent) and base D (per factor), ε = 1e-11, latents weighted by their
share of total importance.

Estimators (``model``):
  * ``"gbt"`` (default, as disentanglement_lib): ``GradientBoostingClassifier()``, 100 depth-3
    trees per class and factor. Slow: a fit per class, so dSprites' 113 classes on 10k codes
    take minutes on two cores.
  * ``"rf"``: ``RandomForestClassifier(100 trees, depth 8, all features per split)``; one
    fit per factor instead of per class, so much faster on many-class factors; impurity
    importances, scores not comparable to gbt's.
  * ``"lasso"``: L1-regularised logistic regression on standardised codes, importance = mean
    |coefficient| over classes (closest to the paper's Lasso). Fastest; only sees linear,
    monotone relations, and on uninformative codes its few random non-zero weights look
    "disentangled": read disentanglement only when informativeness is above chance.
  * a callable ``factory(seed) -> estimator`` with ``fit``/``predict`` and
    ``feature_importances_`` or ``coef_``.
Scores from different estimators are not comparable; report the model with the score.

A factor with a single value has nothing to predict: it gets no classifier, a zero importance
row and accuracy 1.0, is named in ``skipped_factors`` and is left out of all three scores, as
in MIG and SAP (counting it would add a free 1.0 to informativeness and change the entropy base).
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from ._arrays import check_codes, check_factors, constant_factors, train_test_split

EPS = 1e-11


def _estimator(model: str | Callable, seed: int):
    if callable(model):
        return model(seed)
    if model == "gbt":
        from sklearn.ensemble import GradientBoostingClassifier
        return GradientBoostingClassifier(random_state=seed)
    if model == "rf":
        from sklearn.ensemble import RandomForestClassifier
        # All features at every split: with sqrt(D) the trees are forced onto noise latents,
        # which smears importance and understates disentanglement.
        return RandomForestClassifier(n_estimators=100, max_depth=8, max_features=None,
                                      random_state=seed, n_jobs=1)
    if model == "lasso":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        return make_pipeline(StandardScaler(), LogisticRegression(
            l1_ratio=1.0, C=0.1, solver="saga", max_iter=500, random_state=seed))
    raise ValueError(f"unknown DCI model {model!r}; use 'gbt', 'rf', 'lasso' or a factory")


def _importances(est, n_codes: int) -> np.ndarray:
    """Non-negative per-latent importances of a fitted estimator (or the last pipeline step)."""
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    if hasattr(final, "feature_importances_"):
        imp = np.abs(np.asarray(final.feature_importances_, dtype=np.float64))
    elif hasattr(final, "coef_"):
        imp = np.abs(np.atleast_2d(np.asarray(final.coef_, dtype=np.float64))).mean(axis=0)
    else:
        raise TypeError(f"{type(final).__name__} has neither feature_importances_ nor coef_")
    if imp.shape != (n_codes,):
        raise ValueError(f"importances of shape {imp.shape}, expected ({n_codes},)")
    return imp


def _one_minus_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """1 − H(row) in log base ``base`` for each row of non-negative weights (ε added as dl)."""
    if base <= 1:
        return np.ones(p.shape[0])   # a single outcome: trivially specific
    q = p + EPS
    q = q / q.sum(axis=1, keepdims=True)
    return 1.0 + (q * np.log(q)).sum(axis=1) / np.log(base)


def dci_from_importance(importance) -> dict:
    """Disentanglement and completeness from a (K, D) factor × latent importance matrix."""
    r = np.abs(np.asarray(importance, dtype=np.float64))
    k, d = r.shape
    per_latent = _one_minus_entropy(r.T, k)          # is latent i used by one factor only?
    per_factor = _one_minus_entropy(r, d)            # is factor j in one latent only?
    weights = r if r.sum() > 0 else np.ones_like(r)  # as dl: all-zero importance → uniform
    latent_w = weights.sum(axis=0) / weights.sum()
    factor_w = weights.sum(axis=1) / weights.sum()
    return {
        "disentanglement": float((per_latent * latent_w).sum()),
        "completeness": float((per_factor * factor_w).sum()),
        "disentanglement_per_latent": per_latent.tolist(),
        "completeness_per_factor": per_factor.tolist(),
    }


def dci(codes, factors, n_train: int | None = None, test_fraction: float = 1 / 3,
        model: str | Callable = "gbt", seed: int = 0) -> dict:
    """DCI scores of ``codes`` (N, D) against discrete ``factors`` (N, K).

    The first ``n_train`` rows (default: all but ``test_fraction``) train one classifier per
    factor and the rest test it; disentanglement_lib uses 10,000 train / 5,000 test, i.e.
    15,000 rows with the default fraction. Returns ``disentanglement``, ``completeness``,
    ``informativeness`` (mean test accuracy), ``informativeness_train``, per-factor
    accuracies, ``importance`` (K, D), ``skipped_factors`` and the settings used.
    """
    codes = check_codes(codes)
    factors = check_factors(factors, codes.shape[0])
    skipped = constant_factors(factors)
    n_tr = train_test_split(codes.shape[0], n_train, test_fraction)
    x_tr, x_te = codes[:n_tr], codes[n_tr:]
    k, d = factors.shape[1], codes.shape[1]
    importance = np.zeros((k, d))
    acc_tr, acc_te = np.ones(k), np.ones(k)
    for j in range(k):
        if j in skipped:
            continue
        y_tr, y_te = factors[:n_tr, j], factors[n_tr:, j]
        if np.unique(y_tr).size < 2:
            # Nothing to learn: predict the only class seen, no latent is important.
            acc_tr[j], acc_te[j] = 1.0, float(np.mean(y_te == y_tr[0]))
            continue
        est = _estimator(model, seed)
        with warnings.catch_warnings():
            # saga/lasso may stop at max_iter on hard factors; the importances are still usable.
            from sklearn.exceptions import ConvergenceWarning
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(x_tr, y_tr)
        importance[j] = _importances(est, d)
        acc_tr[j] = float(np.mean(est.predict(x_tr) == y_tr))
        acc_te[j] = float(np.mean(est.predict(x_te) == y_te))
    scored = np.setdiff1d(np.arange(k), skipped)
    out = dci_from_importance(importance[scored])
    per_factor = np.zeros(k)
    per_factor[scored] = out["completeness_per_factor"]
    out.update({
        "completeness_per_factor": per_factor.tolist(),
        "informativeness": float(acc_te[scored].mean()),
        "informativeness_train": float(acc_tr[scored].mean()),
        "accuracy_per_factor": acc_te.tolist(),
        "importance": importance,
        "model": model if isinstance(model, str) else getattr(model, "__name__", "custom"),
        "n_train": int(n_tr),
        "n_test": int(codes.shape[0] - n_tr),
        "skipped_factors": skipped,
    })
    return out

"""What every metric promises about its inputs: non-finite codes and constant factors are
handled one way everywhere, and importing the metrics stays cheap."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from explorer.metrics import (active_units, dci, factor_vae_score, informative_units, kl_per_dim, mig,
                              mutual_information, sap)
from explorer.metrics.discretize import histogram_discretize
from oracles import aligned_codes, sample_factors

N, D = 60, 3
FACTORS = np.random.default_rng(0).integers(0, 3, size=(N, 2))


class _Grid:
    """The least a dataset must offer to ``factor_vae_score``; the images do not matter here."""

    factor_sizes = (2, 3)

    def sample_factors(self, n, rng):
        return np.stack([rng.integers(0, s, size=n) for s in self.factor_sizes], axis=1)

    def images_from_factors(self, factors):
        return np.zeros((len(factors), 1, 64, 64), dtype=np.float32)


def _tree(seed):
    return DecisionTreeClassifier(max_depth=4, random_state=seed)


OK = np.zeros((N, D))
CODE_METRICS = {
    "active_units": lambda z: active_units(z),
    "informative_units(mu)": lambda z: informative_units(z, OK),
    "informative_units(logvar)": lambda z: informative_units(OK, z),
    "kl_per_dim(mu)": lambda z: kl_per_dim(z, OK),
    "kl_per_dim(logvar)": lambda z: kl_per_dim(OK, z),
    "mutual_information(mu)": lambda z: mutual_information(z, OK),
    "mutual_information(logvar)": lambda z: mutual_information(OK, z),
    "mig": lambda z: mig(z, FACTORS),
    "dci": lambda z: dci(z, FACTORS, model=_tree),
    "sap": lambda z: sap(z, FACTORS),
    "histogram_discretize": lambda z: histogram_discretize(z),
    "factor_vae_score": lambda z: factor_vae_score(
        _Grid(), lambda images: z[np.arange(len(images)) % N], 0,
        n_variance=N, n_train=10, n_eval=10, batch_size=4),
}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("metric", sorted(CODE_METRICS))
def test_non_finite_codes_are_refused_with_one_clear_line(metric, bad):
    codes = np.random.default_rng(1).standard_normal((N, D))
    codes[7, 1] = bad
    with pytest.raises(ValueError, match="contains NaN or infinite values") as err:
        CODE_METRICS[metric](codes)
    assert "\n" not in str(err.value)


SIZES = (2, 3, 4)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    factors = sample_factors(300, SIZES, rng)
    codes = aligned_codes(factors, SIZES, rng, noise=0.3, n_noise_dims=1)
    with_constant = np.insert(factors, 1, 7, axis=1)       # a constant factor at index 1
    return codes, factors, with_constant


SCORES = {
    "mig": (lambda c, f: mig(c, f), ["mig"]),
    "sap": (lambda c, f: sap(c, f), ["sap"]),
    "sap_continuous": (lambda c, f: sap(c, f, continuous_factors=True), ["sap"]),
    "dci": (lambda c, f: dci(c, f, model=_tree),
            ["disentanglement", "completeness", "informativeness", "informativeness_train"]),
}


@pytest.mark.parametrize("metric", sorted(SCORES))
def test_a_constant_factor_is_left_out_and_named(data, metric):
    codes, factors, with_constant = data
    fn, keys = SCORES[metric]
    plain, padded = fn(codes, factors), fn(codes, with_constant)
    for key in keys:
        assert padded[key] == pytest.approx(plain[key], abs=1e-12), key
    assert plain["skipped_factors"] == [] and padded["skipped_factors"] == [1]


@pytest.mark.parametrize("metric", sorted(SCORES))
def test_only_constant_factors_are_refused(data, metric):
    codes = data[0]
    with pytest.raises(ValueError, match="single value") as err:
        SCORES[metric][0](codes, np.full((len(codes), 2), 3))
    assert "\n" not in str(err.value)


def test_importing_the_metrics_does_not_import_sklearn():
    """sklearn loads when DCI or SAP fits a classifier, not with every import of the metrics
    (explorer.supervision and explorer.evaluation import them)."""
    code = "import sys, explorer.metrics; sys.exit(3 if 'sklearn' in sys.modules else 0)"
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0

"""Finite but extreme input (issue 26): every metric refuses what it cannot score, in one line, and never
returns NaN or ±inf from finite numbers, nor hangs; ordinary input keeps its numbers (the other metric tests)."""
import numpy as np
import pytest

from explorer.metrics import (active_units, factor_vae_score, informative_units, kl_decomposition, kl_per_dim,
                              mutual_information, sap)
from explorer.metrics._arrays import UnscorableInput
from test_metrics_contract import _Grid

RNG = np.random.default_rng(0)
MU = RNG.standard_normal((40, 3))
ZERO = np.zeros_like(MU)

POSTERIOR_METRICS = {
    "mutual_information": lambda mu, lv: mutual_information(mu, lv),
    "kl_decomposition": lambda mu, lv: kl_decomposition(mu, lv),
    "informative_units": lambda mu, lv: informative_units(mu, lv),
    "kl_per_dim": lambda mu, lv: kl_per_dim(mu, lv),
}
EXTREMES = {
    "logvar +1000": (MU, ZERO + 1000.0),
    "logvar -1000": (MU, ZERO - 1000.0),
    "logvar ±1000": (MU, np.where(RNG.random(MU.shape) > 0.5, 1000.0, -1000.0)),
    "mu 1e300": (MU * 1e300, ZERO),
}


def _one_line_refusal(call, match: str) -> None:
    with pytest.raises(UnscorableInput, match=match) as err:
        call()
    assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


@pytest.mark.parametrize("extreme", sorted(EXTREMES))
@pytest.mark.parametrize("metric", sorted(POSTERIOR_METRICS))
def test_posteriors_beyond_float64_are_refused_not_scored_nan_or_inf(metric, extreme):
    mu, logvar = EXTREMES[extreme]
    with np.errstate(over="raise", invalid="raise"):  # no overflow warning escapes either
        _one_line_refusal(lambda: POSTERIOR_METRICS[metric](mu, logvar), "logvar reaches|overflows float64")


def test_the_largest_ordinary_values_still_score_finitely():
    """At the limits (|logvar| = 700) every number is finite: the refusal is for what leaves float64."""
    for logvar in (ZERO + 700.0, ZERO - 700.0):
        for metric in ("informative_units", "kl_per_dim"):
            out = POSTERIOR_METRICS[metric](MU, logvar)
            values = out["nats"] if isinstance(out, dict) else out
            assert np.isfinite(values).all(), metric
    assert informative_units(MU, ZERO - 700.0)["nats"][0] == pytest.approx(0.5 * (700 + np.log(MU[:, 0].var(ddof=1))))


def test_one_sample_has_no_variance_so_no_unit_counts():
    """One row is not 'everything collapsed' (0 active units): there is no variance to compare."""
    _one_line_refusal(lambda: active_units(MU[:1]), "at least 2 rows")
    _one_line_refusal(lambda: informative_units(MU[:1], ZERO[:1]), "at least 2 rows")
    assert active_units(MU[:2])["active_units"] >= 0  # two rows are enough


def test_sap_refuses_huge_codes_at_once_instead_of_hanging():
    factors = RNG.integers(0, 3, size=(90, 2))
    codes = RNG.standard_normal((90, 2)) + factors
    for continuous in (False, True):
        _one_line_refusal(lambda: sap(codes * 1e80, factors, continuous_factors=continuous), "as large as")
    assert 0 <= sap(codes * 1e20, factors)["sap"] <= 1  # large but within reach: scored


@pytest.mark.parametrize("n_train, n_eval, n_variance", [(0, 10, 40), (10, 0, 40), (10, 10, 1)])
def test_factor_vae_without_votes_gives_no_accuracy(n_train, n_eval, n_variance):
    codes = RNG.standard_normal((40, 2))
    _one_line_refusal(lambda: factor_vae_score(_Grid(), lambda images: codes[np.arange(len(images)) % 40], 0,
                                               n_variance=n_variance, n_train=n_train, n_eval=n_eval, batch_size=4),
                      "factor_vae_score needs")

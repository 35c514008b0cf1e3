"""The KL decomposition (index-code MI + total correlation + dimension-wise KL) on codes with known answers."""
import numpy as np
import pytest

from explorer.metrics import kl_decomposition, mutual_information

N, SD = 3000, 0.5


def gaussian_codes(rho: float, seed: int = 0):
    """Means ~ N(0, (1 − s²)·[[1, ρ], [ρ, 1]]) and posterior sd s: the aggregate posterior is exactly
    N(0, [[1, ρ'], [ρ', 1]]) with ρ' = ρ(1 − s²), so TC = −½ log(1 − ρ'²) and dimension-wise KL = 0."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, rho], [rho, 1.0]]) * (1 - SD ** 2)
    mu = rng.multivariate_normal([0.0, 0.0], cov, size=N)
    return mu, np.full_like(mu, np.log(SD ** 2))


def test_independent_gaussian_codes_have_no_total_correlation():
    d = kl_decomposition(*gaussian_codes(0.0), seed=1)
    assert abs(d["tc"]) < 0.02
    assert abs(d["dim_kl"]) < 0.02
    # all of the KL is information about x: 2 dims × −½ log s²
    assert d["mi"] == pytest.approx(-np.log(SD ** 2), abs=0.03)


def test_correlated_codes_give_the_gaussian_total_correlation():
    rho = 0.8
    d = kl_decomposition(*gaussian_codes(rho), seed=1)
    expected = -0.5 * np.log(1 - (rho * (1 - SD ** 2)) ** 2)
    assert d["tc"] == pytest.approx(expected, abs=0.02)
    assert abs(d["dim_kl"]) < 0.02


@pytest.mark.parametrize("rho", [0.0, 0.8])
def test_the_terms_sum_to_the_kl_they_decompose(rho):
    d = kl_decomposition(*gaussian_codes(rho), seed=2)
    assert d["mi"] + d["tc"] + d["dim_kl"] == pytest.approx(d["kl_mc"], abs=1e-9)
    assert d["dim_kl"] == pytest.approx(sum(d["dim_kl_per_dim"]), abs=1e-12)
    # the Monte Carlo KL estimates the analytic one
    assert d["kl_mc"] == pytest.approx(d["kl"], abs=0.05)


def test_index_code_mi_is_the_collapse_diagnostics_mi():
    mu, logvar = gaussian_codes(0.5)
    assert kl_decomposition(mu, logvar, seed=3)["mi"] == pytest.approx(
        mutual_information(mu, logvar, seed=3)["mi"], rel=1e-12)


def test_rotating_a_disentangled_code_costs_no_kl_but_shows_as_total_correlation():
    """posX and posY are uniform and independent: a code that puts them on two axes and one that
    rotates the pair by 45° pay the same KL, and only the total correlation tells them apart."""
    rng = np.random.default_rng(4)
    axes = rng.uniform(-1.5, 1.5, size=(N, 2))
    c = np.cos(np.pi / 4)
    rotated = axes @ np.array([[c, -c], [c, c]])
    logvar = np.full((N, 2), np.log(0.1 ** 2))
    on_axes, diagonal = kl_decomposition(axes, logvar, seed=5), kl_decomposition(rotated, logvar, seed=5)
    assert on_axes["kl"] == pytest.approx(diagonal["kl"], rel=0.02)
    assert abs(on_axes["tc"]) < 0.05
    assert diagonal["tc"] > on_axes["tc"] + 0.2


def test_bad_input_is_refused_with_one_line():
    with pytest.raises(ValueError, match="differ"):
        kl_decomposition(np.zeros((4, 2)), np.zeros((4, 3)))

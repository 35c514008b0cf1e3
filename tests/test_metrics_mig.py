"""MIG: the vectorised path must equal the sklearn double loop, and behave on known codes."""
import numpy as np
import pytest

from explorer.metrics import latent_factor_labels, mig
from explorer.metrics.discretize import histogram_discretize
from oracles import (aligned_codes, equal_mixing, histogram_discretize_reference, mig_reference,
                     noise_codes, random_rotation, sample_factors)

SIZES = (3, 4, 5)


def _case(name: str, n: int, d: int, seed: int):
    """(codes, factors) for one equality case; each stresses one part of the computation."""
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((n, d))
    factors = sample_factors(n, SIZES, rng)
    if name == "constant_latent":
        codes[:, 0] = 3.7
    elif name == "ties":                       # few distinct values, duplicated latents
        codes = rng.integers(0, 3, size=(n, d)).astype(np.float64)
        codes[:, -1] = codes[:, 0]
    elif name == "values_on_edges":            # many values exactly on bin edges
        codes = rng.choice(np.linspace(-1.0, 1.0, 41), size=(n, d))
        codes[0], codes[1] = -1.0, 1.0
    elif name == "single_valued_factor":
        factors[:, 1] = 2
    elif name == "non_uniform_factors":
        factors[:, 0] = rng.choice(4, size=n, p=[0.7, 0.2, 0.07, 0.03])
        codes[:, 0] += factors[:, 0]
    elif name == "non_contiguous_labels":
        factors[:, 0] = np.array([-5, 10, 1000])[factors[:, 0]]
        factors[:, 2] = np.array([0, 7, 3 * 10**9, -(10**9), 42])[factors[:, 2]]  # sparse
    elif name == "float32":
        codes = (codes * 1e3 + 1e4).astype(np.float32)
    elif name == "informative":
        k = min(d, len(SIZES))
        codes[:, :k] += factors[:, :k]
    elif name == "ulp_latent":                 # spread too small for np.histogram's bins
        codes[:, 0] = 0.3 + (factors[:, 0] % 3) * np.spacing(0.3)
    return codes, factors


CASES = ["random", "constant_latent", "ties", "values_on_edges", "single_valued_factor",
         "non_uniform_factors", "non_contiguous_labels", "float32", "informative", "ulp_latent"]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("n,d,n_bins", [(7, 3, 20), (300, 1, 20), (500, 6, 20), (2000, 4, 5),
                                        (400, 5, 1)])
def test_mig_equals_sklearn_reference(name, n, d, n_bins):
    codes, factors = _case(name, n, d, seed=n + d)
    fast, ref = mig(codes, factors, n_bins), mig_reference(codes, factors, n_bins)
    np.testing.assert_allclose(fast["mi"], ref["mi"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast["entropy"], ref["entropy"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast["gaps"], ref["gaps"], rtol=0, atol=1e-9)
    assert abs(fast["mig"] - ref["mig"]) <= 1e-9
    assert np.isfinite(fast["mig"]) and np.all(np.isfinite(fast["gaps"]))
    assert fast["scored"] == ref["scored"]
    # Best latents agree wherever the top MI is not a (numerical) tie.
    mi = np.sort(ref["mi"], axis=1)
    clear = mi[:, -1] - (mi[:, -2] if d > 1 else 0) > 1e-9
    assert np.array(fast["best_latent"])[clear].tolist() == np.array(ref["best_latent"])[clear].tolist()


@pytest.mark.parametrize("name", ["random", "constant_latent", "ties", "values_on_edges", "float32",
                                  "ulp_latent"])
@pytest.mark.parametrize("n_bins", [1, 3, 20])
def test_fast_discretiser_equals_digitize(name, n_bins):
    codes, _ = _case(name, 1000, 4, seed=n_bins)
    labels = histogram_discretize(codes, n_bins)
    np.testing.assert_array_equal(labels, histogram_discretize_reference(codes, n_bins))
    assert labels.min() >= 1 and labels.max() <= n_bins


@pytest.fixture(scope="module")
def known():
    rng = np.random.default_rng(0)
    factors = sample_factors(2000, SIZES, rng)
    aligned = aligned_codes(factors, SIZES, rng, n_noise_dims=1)
    return rng, factors, aligned


def test_aligned_codes_score_near_one_and_name_their_factor(known):
    _, factors, aligned = known
    out = mig(aligned, factors)
    assert out["mig"] > 0.9
    assert out["best_latent"] == list(range(len(SIZES)))
    names = ["shape", "scale", "x"]
    assert latent_factor_labels(out["mi"], names)[: len(SIZES)] == names
    norm = out["mi"] / np.asarray(out["entropy"])[:, None]
    assert np.all(np.diag(norm[:, : len(SIZES)]) > 0.9) and norm.max() <= 1 + 1e-9


@pytest.mark.parametrize("mixing", ["random_rotation", "equal_mixing"])
def test_rotation_destroys_mig(known, mixing):
    rng, factors, aligned = known
    d = aligned.shape[1]
    rot = random_rotation(d, rng) if mixing == "random_rotation" else equal_mixing(d)
    assert mig(aligned @ rot, factors)["mig"] < 0.5 * mig(aligned, factors)["mig"]


def test_noise_codes_score_near_zero(known):
    rng, factors, _ = known
    out = mig(noise_codes(len(factors), 5, rng), factors)
    # Plug-in MI of independent variables is only positive through finite-sample bias.
    assert out["mig"] < 0.05


def test_duplicated_latent_has_no_gap(known):
    rng, factors, aligned = known
    twin = aligned[:, :1] + 0.01 * rng.standard_normal((len(factors), 1))
    out = mig(np.concatenate([aligned, twin], axis=1), factors)
    assert out["gaps"][0] < 0.05
    assert min(out["gaps"][1:]) > 0.9


def test_single_valued_factor_is_excluded_not_nan(known):
    _, factors, aligned = known
    with_constant = np.concatenate([factors, np.full((len(factors), 1), 4)], axis=1)
    out = mig(aligned, with_constant)
    assert out["gaps"][-1] == 0.0 and out["scored"][-1] is False and out["entropy"][-1] == 0.0
    assert out["mig"] == pytest.approx(mig(aligned, factors)["mig"], abs=1e-12)


def test_single_latent_uses_zero_runner_up(known):
    _, factors, aligned = known
    out = mig(aligned[:, :1], factors[:, :1])
    assert out["runner_up_latent"] == [-1]
    assert out["gaps"][0] == pytest.approx(out["mi"][0, 0] / out["entropy"][0])


def test_constant_latent_has_zero_mi_and_no_label(known):
    _, factors, aligned = known
    codes = np.concatenate([aligned, np.full((len(factors), 1), -2.5)], axis=1)
    out = mig(codes, factors)
    assert np.all(out["mi"][:, -1] == 0.0)
    assert latent_factor_labels(out["mi"], ["a", "b", "c"], unlabeled="-")[-1] == "-"


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        mig(np.zeros((5, 2)), np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError):
        mig(np.full((5, 2), np.nan), np.zeros((5, 1), dtype=int))
    with pytest.raises(ValueError):
        mig(np.zeros((5, 2)), np.full((5, 1), 0.5))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_latent_spread_over_a_few_ulps_counts_as_constant(dtype):
    """np.histogram cannot make 20 distinct edges over a few ulps ("Too many bins for data
    range"); such a latent carries nothing a 20-bin histogram could resolve."""
    rng = np.random.default_rng(5)
    factors = sample_factors(600, SIZES, rng)
    codes = rng.standard_normal((600, 3)).astype(dtype)
    base = dtype(0.3)
    ulps, const = codes.copy(), codes.copy()
    ulps[:, 1] = base + (factors[:, 0] % 4) * np.spacing(base)   # tracks a factor, by rounding only
    const[:, 1] = base
    out, expected = mig(ulps, factors), mig(const, factors)
    assert np.all(out["mi"][:, 1] == 0.0)
    np.testing.assert_array_equal(out["mi"], expected["mi"])
    assert out["mig"] == expected["mig"]
    np.testing.assert_array_equal(histogram_discretize(ulps), histogram_discretize(const))

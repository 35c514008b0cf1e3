"""DCI and SAP on codes whose disentanglement is known by construction."""
import numpy as np
import pytest

from explorer.metrics import dci, sap
from explorer.metrics.dci import dci_from_importance
from oracles import aligned_codes, equal_mixing, noise_codes, random_rotation, sample_factors

SIZES = (2, 3, 4)
N = 900


@pytest.fixture(scope="module")
def codes():
    """Aligned (3 factor latents + 1 noise latent), randomly rotated, maximally mixed, noise."""
    rng = np.random.default_rng(1)
    factors = sample_factors(N, SIZES, rng)
    aligned = aligned_codes(factors, SIZES, rng, n_noise_dims=1)
    return factors, {
        "aligned": aligned,
        "rotated": aligned @ random_rotation(4, rng),
        "mixed": aligned @ equal_mixing(4),
        "noise": noise_codes(N, 4, rng),
    }


@pytest.fixture(scope="module")
def dci_gbt(codes):
    factors, c = codes
    return {name: dci(x, factors) for name, x in c.items()}


def test_dci_aligned_is_disentangled_complete_and_informative(dci_gbt):
    out = dci_gbt["aligned"]
    assert out["disentanglement"] > 0.9 and out["completeness"] > 0.9
    assert out["informativeness"] > 0.95 and out["informativeness_train"] > 0.95
    imp = out["importance"]
    assert imp.shape == (len(SIZES), 4)
    assert imp.argmax(axis=1).tolist() == list(range(len(SIZES)))
    assert out["n_train"] == 600 and out["n_test"] == 300 and out["model"] == "gbt"


@pytest.mark.parametrize("name", ["rotated", "mixed"])
def test_dci_drops_under_rotation(dci_gbt, name):
    assert dci_gbt[name]["disentanglement"] < 0.5 * dci_gbt["aligned"]["disentanglement"]
    assert dci_gbt[name]["completeness"] < 0.5 * dci_gbt["aligned"]["completeness"]


def test_dci_noise_is_near_zero_and_uninformative(dci_gbt):
    out = dci_gbt["noise"]
    assert out["disentanglement"] < 0.1
    # Informativeness near the mean chance accuracy of the factors.
    chance = np.mean([1 / s for s in SIZES])
    assert out["informativeness"] < chance + 0.15


@pytest.mark.parametrize("model", ["rf", "lasso"])
def test_dci_fast_estimators_rank_codes_the_same_way(codes, model):
    factors, c = codes
    aligned = dci(c["aligned"], factors, model=model)
    mixed = dci(c["mixed"], factors, model=model)
    assert aligned["disentanglement"] > 0.9
    assert mixed["disentanglement"] < 0.5 * aligned["disentanglement"]


def test_dci_accepts_an_estimator_factory_and_explicit_split(codes):
    from sklearn.tree import DecisionTreeClassifier

    factors, c = codes
    out = dci(c["aligned"], factors, n_train=500,
              model=lambda seed: DecisionTreeClassifier(max_depth=4, random_state=seed))
    assert out["n_train"] == 500 and out["n_test"] == N - 500
    assert out["disentanglement"] > 0.9


def test_dci_from_importance_known_matrices():
    assert dci_from_importance(np.eye(3))["disentanglement"] == pytest.approx(1.0, abs=1e-6)
    uniform = dci_from_importance(np.ones((3, 3)))
    assert uniform["disentanglement"] == pytest.approx(0.0, abs=1e-6)
    assert uniform["completeness"] == pytest.approx(0.0, abs=1e-6)
    # One latent serving every factor: perfectly complete per factor, not disentangled.
    one_latent = dci_from_importance(np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]))
    assert one_latent["completeness"] == pytest.approx(1.0, abs=1e-6)
    assert one_latent["disentanglement"] == pytest.approx(0.0, abs=1e-6)
    zero = dci_from_importance(np.zeros((2, 3)))
    assert np.isfinite(zero["disentanglement"]) and np.isfinite(zero["completeness"])


def test_dci_single_valued_factor_does_not_crash(codes):
    factors, c = codes
    with_constant = np.concatenate([factors, np.zeros((N, 1), dtype=int)], axis=1)
    out = dci(c["aligned"], with_constant, model="rf")
    assert np.all(out["importance"][-1] == 0) and out["accuracy_per_factor"][-1] == 1.0


@pytest.fixture(scope="module")
def sap_scores(codes):
    factors, c = codes
    return {name: sap(x, factors) for name, x in c.items()}


def test_sap_aligned_picks_own_latent_and_beats_entangled(sap_scores):
    out = sap_scores["aligned"]
    assert out["best_latent"] == list(range(len(SIZES)))
    scores = out["score_matrix"]
    assert scores.shape == (len(SIZES), 4)
    # A 2- or 3-class factor is linearly separable on its own latent.
    assert scores[0, 0] > 0.95 and scores[1, 1] > 0.95
    assert out["sap"] > 3 * sap_scores["rotated"]["sap"]
    assert out["sap"] > 3 * sap_scores["mixed"]["sap"]


def test_sap_noise_near_zero(sap_scores):
    assert sap_scores["noise"]["sap"] < 0.1
    assert sap_scores["aligned"]["sap"] > 5 * sap_scores["noise"]["sap"]


def test_sap_continuous_mode_and_single_latent(codes):
    factors, c = codes
    cont = sap(c["aligned"], factors, continuous_factors=True)
    assert cont["best_latent"] == list(range(len(SIZES))) and cont["sap"] > 0.9
    one = sap(c["aligned"][:, :1], factors[:, :1])
    assert one["gaps"][0] == pytest.approx(one["score_matrix"][0, 0])


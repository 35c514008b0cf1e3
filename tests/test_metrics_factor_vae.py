"""FactorVAE score on a tiny synthetic dataset, with representations of known quality."""
import numpy as np
import pytest

from explorer.data.base import ImageDataset
from explorer.metrics import factor_vae_score


class ToyFactors(ImageDataset):
    """Every factor combination once; factor k is written as a grey level into image row k."""

    name = "toy"
    factor_names = ("a", "b", "c")
    factor_sizes = (3, 4, 5)

    @property
    def n_images(self) -> int:
        return int(np.prod(self.factor_sizes))

    def factors(self, indices):
        return np.stack(np.unravel_index(np.asarray(indices), self.factor_sizes), axis=1)

    def indices_from_factors(self, factors):
        return np.ravel_multi_index(tuple(np.asarray(factors).T), self.factor_sizes)

    def images(self, indices):
        f = self.factors(indices)
        img = np.zeros((len(f), 1, 64, 64), dtype=np.float32)
        img[:, 0, : f.shape[1], :] = (f / np.array(self.factor_sizes))[:, :, None]
        return img


def read_factors(images):
    """Recover the factor classes from the toy images (what a perfect encoder would learn)."""
    return np.rint(images[:, 0, :3, 0] * np.array(ToyFactors.factor_sizes)).astype(np.float64)


class Counting:
    """A representation that counts how often and on how many images it is called."""

    def __init__(self, fn):
        self.fn, self.calls, self.images = fn, 0, 0

    def __call__(self, images):
        assert images.dtype == np.float32 and images.shape[1:] == (1, 64, 64)
        self.calls += 1
        self.images += len(images)
        return self.fn(images)


SMALL = dict(n_variance=500, n_train=300, n_eval=200, batch_size=16)


def perfect(images):
    """Each factor on its own latent, plus one noise latent and one collapsed latent."""
    f = read_factors(images)
    rng = np.random.default_rng(len(images))
    return np.concatenate([f, rng.standard_normal((len(f), 1)), np.zeros((len(f), 1))], axis=1)


def test_perfect_representation_scores_one_and_prunes_the_collapsed_latent():
    rep = Counting(perfect)
    out = factor_vae_score(ToyFactors(), rep, 0, **SMALL)
    assert out["eval_accuracy"] == pytest.approx(1.0) and out["train_accuracy"] == pytest.approx(1.0)
    assert out["num_active_dims"] == 4 and out["active_dims"] == [True] * 4 + [False]
    votes = out["train_votes"]
    assert votes.shape == (3, 5) and votes.sum() == SMALL["n_train"]
    assert np.all(votes[:, 4] == 0)                       # pruned latents never vote
    # Batched encoding: every image encoded once, in far fewer calls than votes.
    n_votes = SMALL["n_train"] + SMALL["n_eval"]
    assert rep.images == SMALL["n_variance"] + n_votes * SMALL["batch_size"]
    assert rep.calls < n_votes / 10


def test_noise_representation_scores_near_chance():
    def noise(images):
        return np.random.default_rng(int(images.sum() * 1000) % 2**32).standard_normal((len(images), 6))

    out = factor_vae_score(ToyFactors(), noise, 1, **SMALL)
    chance = 1 / len(ToyFactors.factor_sizes)
    assert abs(out["eval_accuracy"] - chance) < 0.15
    assert out["num_active_dims"] == 6


def test_entangled_representation_scores_below_perfect():
    mix = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    out = factor_vae_score(ToyFactors(), lambda im: read_factors(im) @ mix, 2, **SMALL)
    assert out["eval_accuracy"] < 0.95


def test_all_collapsed_scores_zero():
    out = factor_vae_score(ToyFactors(), lambda im: np.full((len(im), 4), 0.3), 0, **SMALL)
    assert out["eval_accuracy"] == 0.0 and out["num_active_dims"] == 0


def test_same_seed_same_score_and_generator_accepted():
    a = factor_vae_score(ToyFactors(), perfect, 5, **SMALL)
    b = factor_vae_score(ToyFactors(), perfect, np.random.default_rng(5), **SMALL)
    np.testing.assert_array_equal(a["train_votes"], b["train_votes"])
    assert a["eval_accuracy"] == b["eval_accuracy"]


def test_small_encode_batch_gives_the_same_votes():
    a = factor_vae_score(ToyFactors(), perfect, 7, **SMALL)
    b = factor_vae_score(ToyFactors(), perfect, 7, encode_batch=40, **SMALL)
    np.testing.assert_array_equal(a["train_votes"], b["train_votes"])


class ToyWithConstant(ToyFactors):
    """The same images with a fourth factor that never varies (image row 3 stays black)."""

    factor_names = ("a", "b", "c", "const")
    factor_sizes = (3, 4, 5, 1)


def test_a_constant_factor_is_left_out_and_named():
    plain = factor_vae_score(ToyFactors(), perfect, 4, **SMALL)
    padded = factor_vae_score(ToyWithConstant(), perfect, 4, **SMALL)
    assert padded["eval_accuracy"] == plain["eval_accuracy"] == pytest.approx(1.0)
    np.testing.assert_array_equal(padded["train_votes"][:3], plain["train_votes"])
    assert np.all(padded["train_votes"][3] == 0)
    assert plain["skipped_factors"] == [] and padded["skipped_factors"] == [3]


def test_only_constant_factors_are_refused():
    class AllConstant(ToyFactors):
        factor_sizes = (1, 1, 1)

    with pytest.raises(ValueError, match="single value"):
        factor_vae_score(AllConstant(), perfect, 0, **SMALL)

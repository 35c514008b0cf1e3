"""Latent-vs-factor means on an exact dSprites grid, and their figure."""
import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from explorer.data.dsprites_grid import FACTOR_NAMES
from explorer.latent_factors import explained_variance_shares, latent_factor_means, subgrid_classes, subgrid_factors
from explorer.models.encoder import BurgessEncoder
from explorer.ui.figures_factors import latent_factor_figure

SMALL = dict(n_orientations=3, n_positions=4)  # 3·6·3·4·4 = 864 images: quick to render


class FactorEncoder:
    """A fake encoder whose codes are functions of the true factors of each image.

    It walks the grid in ``subgrid_factors`` order (the order ``latent_factor_means`` promises)
    and checks each image's horizontal centroid against its posX, so a mix-up of order shows.
    Codes: z0 = posX class, z1 = constant, z2 = scale class + 10·shape.
    """

    def __init__(self, n_orientations: int, n_positions: int):
        self.factors = subgrid_factors(subgrid_classes(n_orientations, n_positions))
        self.offset = 0

    def __call__(self, images: np.ndarray) -> np.ndarray:
        f = self.factors[self.offset:self.offset + len(images)]
        self.offset += len(images)
        cols = np.arange(64)
        centroid_x = (images[:, 0].sum(axis=1) * cols).sum(axis=1) / images[:, 0].sum(axis=(1, 2))
        assert np.all(np.abs(centroid_x - (16 + 32 * f[:, 3] / 31 - 0.5)) < 3), "images out of grid order"
        return np.stack([f[:, 3], np.full(len(f), 2.5), f[:, 1] + 10 * f[:, 0]], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def fake_result():
    return latent_factor_means(FactorEncoder(**SMALL), chunk_size=300, **SMALL)


def test_subgrid_is_a_full_product_without_the_repeated_angle():
    classes = subgrid_classes(n_orientations=8, n_positions=8)
    assert list(classes) == list(FACTOR_NAMES)
    assert classes["orientation"][0] == 0 and classes["orientation"][-1] == 38  # 39 is angle 0 again
    assert classes["posX"][0] == 0 and classes["posX"][-1] == 31 and len(classes["posY"]) == 8
    factors = subgrid_factors(classes)
    assert factors.shape == (3 * 6 * 8 * 8 * 8, 5)
    assert len(np.unique(factors, axis=0)) == len(factors)
    assert np.array_equal(factors[:2, 4], classes["posY"][:2])  # posY varies fastest
    with pytest.raises(ValueError):
        subgrid_classes(n_positions=40)


def test_a_posX_code_varies_along_posX_only(fake_result):
    r = fake_result
    posx_classes = subgrid_classes(**SMALL)["posX"]
    assert r["position"].shape == (3, 4, 4) and r["scale"].shape == (3, 3, 6) and r["orientation"].shape == (3, 3, 3)
    # every posY row of the map is the posX classes themselves: constant along posY, varying along posX
    np.testing.assert_allclose(r["position"][0], np.tile(posx_classes, (4, 1)))
    np.testing.assert_allclose(r["scale"][0], posx_classes.mean())
    np.testing.assert_allclose(r["orientation"][0], posx_classes.mean())
    np.testing.assert_allclose(r["explained"][0], [0, 0, 0, 1, 0], atol=1e-9)


def test_a_shape_and_scale_code_gives_one_line_per_shape(fake_result):
    r = fake_result
    np.testing.assert_allclose(r["scale"][2], np.arange(6)[None, :] + 10 * np.arange(3)[:, None])
    np.testing.assert_allclose(r["orientation"][2], (2.5 + 10 * np.arange(3))[:, None] * np.ones((1, 3)))
    assert np.ptp(r["position"][2]) < 1e-9
    shares = dict(zip(FACTOR_NAMES, r["explained"][2]))
    assert shares["shape"] > 0.9 and shares["scale"] > 0.01
    assert shares["shape"] + shares["scale"] == pytest.approx(1.0)  # additive: nothing left to interactions


def test_a_constant_code_explains_nothing_and_axes_carry_factor_values(fake_result):
    r = fake_result
    assert r["std"][1] == 0 and np.all(r["explained"][1] == 0)
    assert r["posX_values"][0] == 0 and r["posX_values"][-1] == 1 and len(r["posY_values"]) == 4
    np.testing.assert_allclose(r["scale_values"], np.linspace(0.5, 1.0, 6))
    np.testing.assert_allclose(r["orientation_degrees"], [0, 360 * 19 / 39, 360 * 38 / 39])
    assert r["shape_names"] == ("square", "ellipse", "heart") and r["n_images"] == 864


def test_explained_shares_are_main_effects_of_a_balanced_grid():
    a, b = np.array([-1.0, 1.0]), np.array([-2.0, 0.0, 2.0])
    additive = (a[:, None] + b[None, :])[None]
    np.testing.assert_allclose(explained_variance_shares(additive), [[1 / (1 + 8 / 3), (8 / 3) / (1 + 8 / 3)]])
    interaction = (np.array([-1.0, 1.0])[:, None] * np.array([-1.0, 1.0])[None, :])[None]  # XOR: no main effect
    np.testing.assert_allclose(explained_variance_shares(interaction), [[0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("codes, message", [
    (lambda imgs: np.full((len(imgs), 2), np.nan), "NaN"),
    (lambda imgs: np.zeros((len(imgs) - 1, 2)), "shape"),
    (lambda imgs: np.zeros(len(imgs)), "shape"),
])
def test_bad_codes_raise_one_line_value_errors(codes, message):
    with pytest.raises(ValueError, match=message) as info:
        latent_factor_means(codes, n_orientations=1, n_positions=2)
    assert "\n" not in str(info.value)


def test_a_dataset_without_dsprites_factors_is_refused():
    class Unlabelled:
        name, factor_names = "celeba", None

    with pytest.raises(ValueError, match="dSprites"):
        latent_factor_means(lambda imgs: np.zeros((len(imgs), 1)), dataset=Unlabelled())


def test_random_burgess_encoder_gives_finite_maps_of_the_right_shape():
    torch.manual_seed(0)
    encoder = BurgessEncoder(latent_dim=10).eval()

    def encode_fn(images):
        with torch.no_grad():
            return encoder(torch.from_numpy(images))[0].numpy()

    r = latent_factor_means(encode_fn, n_orientations=2, n_positions=3)
    assert r["position"].shape == (10, 3, 3) and r["scale"].shape == (10, 3, 6) and r["orientation"].shape == (10, 3, 2)
    assert all(np.all(np.isfinite(r[k])) for k in ("position", "scale", "orientation", "explained"))
    assert np.all(r["explained"] >= 0) and np.all(r["explained"].sum(axis=1) <= 1 + 1e-9)
    assert np.all(r["std"] > 0)


def test_figure_has_a_map_and_two_line_panels_per_latent(fake_result):
    fig = latent_factor_figure(fake_result, [0, 2], dim_labels=["z0 · posX", "z1", "z2 · shape"], title="t")
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    lines = [t for t in fig.data if isinstance(t, go.Scatter)]
    assert len(heatmaps) == 2 and len(lines) == 2 * 2 * 3  # per latent: scale and orientation, one line per shape
    assert sorted(t.name for t in lines if t.showlegend) == ["ellipse", "heart", "square"]  # legend once
    np.testing.assert_allclose(heatmaps[0].z, fake_result["position"][0])
    assert fig.layout.yaxis.autorange == "reversed"  # posY = 0 at the top, as in the image
    titles = " ".join(a.text for a in fig.layout.annotations)
    assert "z0 · posX" in titles and "z2 · shape" in titles and "posX 100%" in titles
    assert fig.layout.height == pytest.approx(2 * 220, rel=0.3)


def test_figure_without_latents_says_so():
    fig = latent_factor_figure({"mean": np.zeros(3)}, [])
    assert len(fig.data) == 0
    assert any("No informative latent" in a.text for a in fig.layout.annotations)


def test_figure_refuses_latents_that_do_not_exist(fake_result):
    with pytest.raises(ValueError, match="z|latent"):
        latent_factor_figure(fake_result, [5])

"""Procedural dSprites: the original grid, index order and geometry."""
import numpy as np
import pytest
import torch

from dsprites_reference import ELLIPSE, HEART, SQUARE, as_image
from explorer.data import ProceduralDSprites
from explorer.data.dsprites_grid import (
    LATENT_BASES, LATENT_SIZES, N_IMAGES, classes_to_index, classes_to_values, index_to_classes,
)
from explorer.data.dsprites_render import render

RNG = np.random.default_rng(0)


def test_grid_matches_the_original_file_layout():
    assert LATENT_SIZES == (1, 3, 6, 40, 32, 32)
    assert LATENT_BASES == (737280, 245760, 40960, 1024, 32, 1)
    assert N_IMAGES == 737_280
    np.testing.assert_array_equal(index_to_classes(np.array([0, 1, 32, 1024, 40960, 245760, N_IMAGES - 1])),
                                  [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0], [0, 0, 0, 1, 0, 0],
                                   [0, 0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 2, 5, 39, 31, 31]])


def test_index_and_classes_round_trip():
    idx = RNG.integers(0, N_IMAGES, size=5000)
    np.testing.assert_array_equal(classes_to_index(index_to_classes(idx)), idx)
    ds = ProceduralDSprites()
    np.testing.assert_array_equal(ds.indices_from_factors(ds.factors(idx)), idx)


def test_values_follow_linspace_grids():
    classes = np.array([[0, 2, 5, 39, 31, 0], [0, 0, 0, 0, 0, 31]])
    values = classes_to_values(classes)
    np.testing.assert_allclose(values[0], [1.0, 3.0, 1.0, 2 * np.pi, 1.0, 0.0])
    np.testing.assert_allclose(values[1], [1.0, 1.0, 0.5, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(classes_to_values(np.array([[0, 0, 3, 1, 10, 0]]))[0, 2:5], [0.8, 2 * np.pi / 39, 10 / 31])


def test_images_are_binary_uint8():
    imgs = render(RNG.integers(0, [3, 6, 40, 32, 32], size=(256, 5)))
    assert imgs.dtype == np.uint8 and imgs.shape == (256, 64, 64)
    assert set(np.unique(imgs)) <= {0, 1}
    assert (imgs.reshape(256, -1).sum(1) > 0).all()  # every sprite is drawn, fully inside the frame
    assert not imgs[:, 0].any() and not imgs[:, -1].any() and not imgs[:, :, 0].any() and not imgs[:, :, -1].any()


@pytest.mark.parametrize("shape, ref", [(0, SQUARE), (1, ELLIPSE), (2, HEART)])
def test_reference_masks_from_the_published_images(shape, ref):
    """Scale 1, orientation 0, position (0, 0) reproduces the measured masks pixel for pixel."""
    np.testing.assert_array_equal(render(np.array([[shape, 5, 0, 0, 0]]))[0], as_image(ref))


@pytest.mark.parametrize("shape, areas", [
    (0, [93, 134, 182, 237, 300, 369]), (1, [73, 104, 142, 187, 234, 289]), (2, [56, 82, 110, 145, 181, 225]),
])
def test_mean_area_per_scale_matches_measured_table(shape, areas):
    positions = [(0, 0), (16, 16), (5, 9), (31, 20), (11, 3)]  # area depends on the sub-pixel offset
    f = np.array([[shape, s, o, x, y] for s in range(6) for o in range(40) for x, y in positions])
    mean_area = render(f).reshape(6, -1, 64 * 64).sum(-1).mean(1)
    np.testing.assert_allclose(mean_area, areas, rtol=0.02)
    assert (np.diff(mean_area) > 0).all()  # scale grows the area


def test_orientation_zero_and_39_are_the_same_image():
    f0 = np.array([[s, 3, 0, 10, 20] for s in range(3)])
    f39 = f0.copy()
    f39[:, 2] = 39
    np.testing.assert_array_equal(render(f0), render(f39))


def _centroid(img):
    r, c = np.nonzero(img)
    return r.mean(), c.mean()


def test_posx_moves_columns_and_posy_moves_rows_monotonically():
    xs = render(np.array([[2, 3, 7, x, 12] for x in range(32)]))
    ys = render(np.array([[2, 3, 7, 12, y] for y in range(32)]))
    cols = [_centroid(im)[1] for im in xs]
    rows = [_centroid(im)[0] for im in ys]
    assert (np.diff(cols) > 0).all() and (np.diff(rows) > 0).all()
    assert np.ptp([_centroid(im)[0] for im in xs]) < 0.5  # posX leaves the row alone


def test_orientation_rotates_counter_clockwise():
    """The ellipse's major axis starts horizontal and turns counter-clockwise as displayed."""
    imgs = render(np.array([[1, 5, k, 16, 16] for k in (0, 5, 10)]))
    angles = []
    for im in imgs:
        r, c = np.nonzero(im)
        x, y = c - c.mean(), -(r - r.mean())  # y up
        cov = np.cov(np.stack([x, y]))
        w, v = np.linalg.eigh(cov)
        major = v[:, -1] * np.sign(v[0, -1] or 1)
        angles.append(np.arctan2(major[1], major[0]) % np.pi)  # an axis has no direction: angle mod π
    expected = np.array([0.0, 2 * np.pi * 5 / 39, 2 * np.pi * 10 / 39]) % np.pi
    diff = (np.array(angles) - expected + np.pi / 2) % np.pi - np.pi / 2
    np.testing.assert_allclose(diff, 0.0, atol=0.08)


def test_shapes_differ():
    imgs = render(np.array([[s, 5, 3, 16, 16] for s in range(3)])).reshape(3, -1)
    assert (imgs[0] != imgs[1]).sum() > 50 and (imgs[1] != imgs[2]).sum() > 50 and (imgs[0] != imgs[2]).sum() > 50


def test_float32_rendering_equals_float64():
    f = RNG.integers(0, [3, 6, 40, 32, 32], size=(2000, 5))
    np.testing.assert_array_equal(render(f, dtype=torch.float32), render(f, dtype=torch.float64))


def test_dataset_images_match_factors():
    ds = ProceduralDSprites()
    factors = ds.sample_factors(64, np.random.default_rng(1))
    imgs = ds.images_from_factors(factors)
    assert imgs.shape == (64, 1, 64, 64) and imgs.dtype == np.float32
    np.testing.assert_array_equal(imgs[:, 0], render(factors))


def test_bad_factors_are_refused():
    with pytest.raises(ValueError):
        render(np.array([[3, 0, 0, 0, 0]]))
    with pytest.raises(ValueError):
        index_to_classes(np.array([N_IMAGES]))

"""The original-file reader (pickle-free, validated) and the MNIST sets' clear failure."""
import numpy as np
import pytest

from explorer.cli import main
from explorer.data import DatasetFileError, DatasetUnavailable, NpzDSprites, TorchvisionDigits, load_dataset
from explorer.data.dsprites_render import render


@pytest.fixture
def subset(tmp_path):
    path = tmp_path / "subset.npz"
    assert main(["data", "--out", str(path), "--n", "40", "--seed", "2"]) == 0
    return path


def test_a_written_subset_reads_back_with_the_same_api(subset):
    ds = load_dataset("dsprites", npz_path=str(subset))
    assert isinstance(ds, NpzDSprites) and ds.n_images == 40
    rows = np.arange(40)
    np.testing.assert_array_equal(ds.images(rows)[:, 0], render(ds.factors(rows)))
    factors = ds.sample_factors(10, np.random.default_rng(0))
    np.testing.assert_array_equal(ds.factors(ds.indices_from_factors(factors)), factors)


def test_pickled_metadata_is_ignored_not_loaded(subset, tmp_path):
    with np.load(subset) as d:
        arrays = dict(d)
    path = tmp_path / "with-metadata.npz"
    np.savez(path, metadata=np.array([{"latents_names": ("color",)}], dtype=object), **arrays)
    assert NpzDSprites(path).n_images == 40


@pytest.mark.parametrize("corrupt, message", [
    (lambda a: a.pop("imgs"), "lacks"),
    (lambda a: a.update(imgs=a["imgs"].astype(np.float32)), "uint8"),
    (lambda a: a.update(imgs=a["imgs"] * 255), "0/1"),
    (lambda a: a.update(latents_classes=a["latents_classes"][::-1]), "index order"),
    (lambda a: a.pop("indices"), "indices"),
    (lambda a: a.update(imgs=np.array([object()] * 40, dtype=object)), "readable"),
])
def test_malformed_files_are_refused_with_a_reason(subset, tmp_path, corrupt, message):
    with np.load(subset) as d:
        arrays = dict(d)
    corrupt(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetFileError, match=message):
        NpzDSprites(path)


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "x.npz"
    path.write_bytes(b"not a zip at all" * 100)
    with pytest.raises(DatasetFileError, match="not a readable"):
        NpzDSprites(path)


def test_mnist_without_files_names_the_folder_to_fill(tmp_path):
    with pytest.raises(DatasetUnavailable) as err:
        TorchvisionDigits("mnist", root=tmp_path)
    assert str(tmp_path / "MNIST" / "raw") in str(err.value) and "--download" in str(err.value)


def test_mnist_from_local_files_is_resized_to_64(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    imgs = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
    _write_idx(raw / "train-images-idx3-ubyte", imgs, 0x0803)
    _write_idx(raw / "train-labels-idx1-ubyte", np.array([1, 2, 3], dtype=np.uint8), 0x0801)
    _write_idx(raw / "t10k-images-idx3-ubyte", imgs[:1], 0x0803)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([1], dtype=np.uint8), 0x0801)
    ds = TorchvisionDigits("mnist", root=tmp_path)
    assert ds.n_images == 3 and not ds.has_factors
    x = ds.images(np.array([0, 2]))
    assert x.shape == (2, 1, 64, 64) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert x[0].mean() == pytest.approx(imgs[0].mean() / 255, abs=0.02)  # resizing keeps the brightness


def _write_idx(path, array, magic):
    with open(path, "wb") as f:
        f.write(magic.to_bytes(4, "big"))
        for size in array.shape:
            f.write(int(size).to_bytes(4, "big"))
        f.write(array.tobytes())

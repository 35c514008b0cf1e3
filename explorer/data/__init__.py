"""Datasets: procedural dSprites (with ground-truth factors), the original dSprites file, MNIST sets."""
from __future__ import annotations

from .base import ImageDataset
from .dsprites import NpzDSprites, ProceduralDSprites, DatasetFileError

DATASETS = ("dsprites", "mnist", "fashion-mnist")


def load_dataset(name: str, npz_path: str | None = None, root: str = "data", download: bool = False) -> ImageDataset:
    """The dataset a config names. dSprites comes from ``npz_path`` when given, else is rendered."""
    if name == "dsprites":
        return NpzDSprites(npz_path) if npz_path else ProceduralDSprites()
    if name in ("mnist", "fashion-mnist"):
        from .torchvision_sets import TorchvisionDigits

        return TorchvisionDigits(name, root=root, download=download)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


def dataset_of(train) -> ImageDataset:
    """The dataset a run's ``TrainConfig`` names (never downloads)."""
    return load_dataset(train.dataset, train.npz_path, train.data_root)


def __getattr__(name: str):
    """The torchvision-backed names load torchvision only when someone asks for them."""
    if name in ("DatasetUnavailable", "TorchvisionDigits"):
        from . import torchvision_sets

        return getattr(torchvision_sets, name)
    raise AttributeError(name)


__all__ = [
    "DATASETS", "DatasetFileError", "DatasetUnavailable", "ImageDataset", "NpzDSprites",
    "ProceduralDSprites", "TorchvisionDigits", "dataset_of", "load_dataset",
]

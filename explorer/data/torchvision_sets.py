"""MNIST and FashionMNIST through torchvision, as 64×64 images without ground-truth factors.

Nothing is downloaded unless asked: on a machine without network access a silent download
attempt would hang, so a missing file produces a message naming the folder to fill.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .base import ImageDataset


class DatasetUnavailable(RuntimeError):
    """The dataset's files are not on this machine (and could not or may not be downloaded)."""


class TorchvisionDigits(ImageDataset):
    """A torchvision 28×28 grey-scale set, bilinearly resized to 64×64 on demand."""

    def __init__(self, name: str, root: str | Path = "data", download: bool = False):
        from torchvision import datasets

        classes = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}
        if name not in classes:
            raise ValueError(f"unknown torchvision dataset {name!r}; choose from {sorted(classes)}")
        cls = classes[name]
        self.name = name
        root = Path(root)
        try:
            ds = cls(str(root), train=True, download=download)
        except Exception as exc:  # torchvision raises RuntimeError or network errors
            folder = root / cls.__name__ / "raw"
            how = "the download failed" if download else "downloading was not requested (--download)"
            raise DatasetUnavailable(
                f"{name} is not available: its files are not in {folder}/ and {how}. "
                f"Put its four files there (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte), "
                f"or pass --download on a machine with network access. ({exc.__class__.__name__})"
            ) from None
        self._data = ds.data.clone()  # uint8 (N, 28, 28)
        self.labels = ds.targets.clone()

    @property
    def n_images(self) -> int:
        return int(self._data.shape[0])

    def images(self, indices: np.ndarray) -> np.ndarray:
        x = self._data[torch.as_tensor(np.asarray(indices), dtype=torch.long)].float().div_(255.0)
        x = F.interpolate(x[:, None], size=(64, 64), mode="bilinear", align_corners=False)
        return x.clamp_(0.0, 1.0).numpy()

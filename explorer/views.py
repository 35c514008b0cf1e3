"""Every model call the dashboard makes, numpy in and out; and the views the gallery ships precomputed.

The UI never touches torch: it encodes, draws, traverses and reconstructs through these functions.

An autoregressive run's pictures are means of exact samples (``explorer.pictures``): tens of
seconds of sequential decoding on a CPU. The gallery computes its runs' default view once, when it
is built, and stores it beside the checkpoint (``<name>.pictures.npz``); the app uses the stored
arrays when the requested view is exactly the default one, and decodes anything else on demand.
Factorised runs need no file: one parallel pass draws them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .code_ranges import model_code_ranges, sweep_values
from .pictures import AR_SAMPLES, mean_images, sample_images
from .protocols import EXTRA, SPLIT
from .traversal import traversal_grid
from .z_usage import z_usage_maps

#: The default traversal start: a mid-sized heart in the middle of the canvas (dSprites index).
START_INDEX = 614_928
#: A fixed, varied set of dSprites images for reconstructions and z-usage maps (every shape, several scales/positions).
RECON_INDICES = (12345, 98765, 245760 + 40960 * 3 + 1024 * 7 + 32 * 20 + 9, 491520 + 40960 * 5 + 1024 * 13 + 32 * 5 + 25,
                 600000, 700001, 333333, 150000)
DEFAULT_RANGE = "data"
COLUMNS = 8
PICTURES_SUFFIX = ".pictures.npz"


def start_code(model, dataset, index: int | None) -> np.ndarray:
    """The posterior mean of dataset image ``index``, or the prior mean for None."""
    if index is None:
        return np.zeros(model.encoder.latent_dim, dtype=np.float32)
    x = torch.from_numpy(dataset.images(np.array([index], dtype=np.int64)))
    return model.encode_mean(x)[0].numpy()


def encode_picture(model, image: np.ndarray) -> np.ndarray:
    """The posterior mean (D,) of one (64, 64) picture in [0, 1]."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float32)[None, None])
    return model.encode_mean(x)[0].numpy()


def draw_code(model, code) -> np.ndarray:
    """(64, 64): what the decoder draws for one code (explorer.pictures.mean_images)."""
    pictures, _ = mean_images(model, torch.tensor([list(code)], dtype=torch.float32))
    return pictures[0]


def traversal_view(model, dataset, start: int | None = START_INDEX, kind: str = DEFAULT_RANGE,
                   columns: int = COLUMNS) -> tuple[np.ndarray, np.ndarray, dict]:
    """(grid (D, columns, 64, 64), values (D, columns), decode info) for a start image and range kind."""
    lo, hi = model_code_ranges(model, dataset, kind)
    values = sweep_values(lo, hi, columns)
    grid, info = traversal_grid(model, z0=start_code(model, dataset, start), values=values)
    return grid, values, info


def reconstruction_view(model, dataset, indices=RECON_INDICES) -> np.ndarray:
    """(N, S, 64, 64): what the decoder draws from each image's posterior mean.

    S = 1 (the pixel probabilities) for factorised decoders; S = ``AR_SAMPLES`` samples side by side
    for autoregressive ones, where a collapsed decoder draws the same few sprites whatever the image.
    """
    x = torch.from_numpy(dataset.images(np.asarray(indices, dtype=np.int64)))
    mu = model.encode_mean(x)
    if not model.autoregressive:
        with torch.no_grad():
            return torch.sigmoid(model.decoder(mu)).numpy()
    drawn, _ = sample_images(model, mu, samples=AR_SAMPLES)
    return drawn


def usage_view(model, dataset, indices=RECON_INDICES) -> tuple[np.ndarray, np.ndarray]:
    """z-usage maps and totals (explorer.z_usage) for the reconstruction images."""
    return z_usage_maps(model, dataset.images(np.asarray(indices, dtype=np.int64)))


def factor_means(model) -> dict:
    """Each latent's mean code on the exact dSprites grid (explorer.latent_factors)."""
    from .evaluation import encode
    from .latent_factors import latent_factor_means

    return latent_factor_means(lambda images: encode(model, images)[0])


def extra_scores(model, dataset) -> dict:
    """DCI, SAP and the FactorVAE score on a fresh sample (tens of seconds)."""
    from .evaluation import evaluate

    out = evaluate(model, dataset, n=EXTRA.samples, seed=EXTRA.seed, recon_samples=0, full=True)
    return {k: out[k] for k in ("dci_disentanglement", "dci_completeness", "dci_informativeness", "dci_model",
                                "sap", "factor_vae", "factor_vae_active_dims") if k in out}


def kl_split(model, dataset) -> dict:
    """The final code's KL split into index-code MI, total correlation and dimension-wise KL
    (explorer.metrics.kl_decomposition) on the ``SPLIT`` sample: works for any checkpoint, old or new."""
    from .evaluation import draw_eval_sample, encode
    from .metrics import kl_decomposition

    sample = draw_eval_sample(dataset, SPLIT.samples, SPLIT.seed)
    mu, logvar = encode(model, sample.images)
    return kl_decomposition(mu, logvar, seed=SPLIT.seed)


def pictures_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + PICTURES_SUFFIX)


def save_pictures(model, dataset, checkpoint: Path) -> Path | None:
    """Store the default view of an autoregressive run beside its checkpoint (nothing for factorised ones)."""
    if not model.autoregressive:
        return None
    grid, values, info = traversal_view(model, dataset)
    path = pictures_path(checkpoint)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, traversal=grid.astype(np.float16), values=values, start=np.int64(START_INDEX),
                        range=np.asarray(DEFAULT_RANGE), samples=np.int64(info["samples"]),
                        recon=reconstruction_view(model, dataset).astype(np.uint8),
                        recon_indices=np.asarray(RECON_INDICES, dtype=np.int64))
    tmp.replace(path)
    return path


def load_pictures(checkpoint: Path) -> dict | None:
    """The stored default view, or None when there is none (or it cannot be read)."""
    path = pictures_path(checkpoint)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError):
        return None

"""Every model call the dashboard makes, numpy in and out, and the one function that computes a run's views.

The UI never touches torch directly: it encodes, draws, traverses and reconstructs through these
functions. ``compute_views`` runs them all once for a run and returns an ``explorer.view_data.RunViews``,
which is stored beside the weights (``write_views``) so that pages which only show never load a model.
An autoregressive run's pictures are means of exact samples (``explorer.pictures``): tens of
seconds of sequential decoding on a CPU, paid once here instead of by every visitor.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .code_ranges import model_code_ranges, sweep_values
from .config import FACTOR_NAMES
from .pictures import AR_SAMPLES, mean_images, picture_note, sample_images
from .protocols import EXTRA, SPLIT
from .traversal import traversal_grid
from .view_data import COLUMNS, DEFAULT_RANGE, RECON_INDICES, START_INDEX, RunViews, save_views, to_uint8, views_path
from .z_usage import z_usage_maps


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


def compute_views(run, dataset, metrics_sample: dict, checkpoint_sha256: str = "", extra: bool = True) -> RunViews:
    """Every view a page shows of ``run``, computed once from its weights (tens of seconds; minutes for an
    autoregressive decoder). ``metrics_sample`` names the images ``run.metrics`` were measured on;
    ``extra`` adds DCI, SAP and the FactorVAE score on the ``EXTRA`` sample (dSprites runs only)."""
    import datetime as _dt

    model = run.model
    model.eval()
    start = START_INDEX % dataset.n_images  # another dataset's images: the indices wrap to its size
    indices = np.asarray(RECON_INDICES, dtype=np.int64) % dataset.n_images
    grid, values, info = traversal_view(model, dataset, start)
    originals = dataset.images(indices)[:, 0]
    maps, totals = usage_view(model, dataset, indices)
    has_factors = tuple(getattr(dataset, "factor_names", None) or ()) == FACTOR_NAMES
    scores = {}
    if extra and has_factors:
        scores = {"scores": extra_scores(model, dataset),
                  "sample": EXTRA.sample()}
    split = kl_split(model, dataset)
    split["sample"] = SPLIT.sample()
    return RunViews(
        config=run.config, metrics=dict(run.metrics), history={k: list(v) for k, v in run.history.items()},
        metrics_sample=dict(metrics_sample), autoregressive=bool(model.autoregressive),
        latent_dim=int(model.encoder.latent_dim), picture_note=picture_note(model), traversal=grid, values=values,
        samples=int(info.get("samples", 0)), recon=reconstruction_view(model, dataset, indices),
        originals=to_uint8(originals), start_image=to_uint8(dataset.images(np.array([start]))[0, 0]), usage_maps=maps,
        usage_totals=totals, kl_split=split, extra=scores,
        latent_factors=factor_means(model) if has_factors else None, checkpoint_sha256=checkpoint_sha256,
        status=run.status, created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))


def write_views(run, dataset, checkpoint: Path, metrics_sample: dict, extra: bool = True, out: Path | None = None) -> Path:
    """Compute ``run``'s views and store them beside ``checkpoint`` (which must already be written), or at ``out``."""
    from .provenance import file_sha256

    views = compute_views(run, dataset, metrics_sample, file_sha256(checkpoint), extra=extra)
    return save_views(views, out or views_path(checkpoint))


def metrics_sample_of(run, checkpoint: Path) -> tuple[dict, dict]:
    """(metrics, the sample they were measured on) for a checkpoint on disk: a sweep run's come from the
    ``result.json`` beside it (the sweep's fresh sample), a gallery file's from the checkpoint (the gallery
    evaluated it before saving), any other's from the checkpoint (the trainer's final evaluation)."""
    import json

    from .protocols import GALLERY, SWEEP_FRESH

    result_path = checkpoint.parent / "result.json"
    if result_path.exists():
        result = json.loads(result_path.read_text())
        sample = result.get("metrics_sample") or {}
        return ({**(result.get("metrics") or {}), **run.metrics},
                {"name": SWEEP_FRESH, "samples": sample.get("samples"), "seed": sample.get("seed")})
    index_path = checkpoint.parent / "index.json"
    if index_path.exists() and any(r.get("file") == checkpoint.name for r in json.loads(index_path.read_text())["runs"]):
        return run.metrics, GALLERY.sample()
    return run.metrics, final_sample(run.config)


def final_sample(config) -> dict:
    """The images ``train()``'s closing scores were measured on (``protocols.FINAL``, offset by the seed)."""
    from .protocols import FINAL

    return FINAL.for_seed(config.train.seed).sample(config.train.eval_samples)


def job_views(run) -> RunViews | None:
    """The views of a run trained on the server, right after its training (the slow scores left out: they
    would add tens of seconds to every page run); None for a run whose weights are not worth drawing."""
    from .data import dataset_of

    if run.model is None or run.status not in ("completed", "cancelled"):
        return None
    return compute_views(run, dataset_of(run.config.train), final_sample(run.config), extra=False)


def write_checkpoint_views(checkpoint: Path, extra: bool = True, out: Path | None = None) -> Path:
    """``python -m explorer views``: load a checkpoint, compute its views, store them beside it."""
    from .checkpoint import load_run
    from .data import dataset_of

    checkpoint = Path(checkpoint)
    run = load_run(checkpoint)
    run.metrics, sample = metrics_sample_of(run, checkpoint)
    return write_views(run, dataset_of(run.config.train), checkpoint, sample, extra=extra, out=out)

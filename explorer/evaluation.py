"""Evaluate a model on a fixed sample: the numbers the history, the CLI and the dashboard show.

Everything here encodes images to their posterior mean / log-variance once and derives
the collapse diagnostics (active units, per-dim KL, I(x; z)) and, where the dataset has
ground-truth factors, MIG from them. Reconstruction needs the decoder, which is costly for
autoregressive decoders, so it runs on a smaller subset.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import metrics as M
from .data import ImageDataset
from .device import model_device, on_device
from .models import VAE
from .objective import bernoulli_nll
from .supervision import pinned_dims, pinned_mi
from .z_usage import USAGE_IMAGES, z_usage


@dataclass
class EvalSample:
    """A fixed set of images (and factors, when known) to evaluate on."""

    images: np.ndarray          # float32 (N, 1, 64, 64)
    factors: np.ndarray | None  # int (N, K) or None


def draw_eval_sample(dataset: ImageDataset, n: int, seed: int) -> EvalSample:
    rng = np.random.default_rng([seed, 0xE7A1])  # a stream of its own: never the training batches
    if dataset.has_factors:
        factors = dataset.sample_factors(n, rng)
        return EvalSample(dataset.images_from_factors(factors), factors)
    return EvalSample(dataset.images(dataset.sample_indices(n, rng)), None)


@torch.no_grad()
def encode(model: VAE, images: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances, (N, D) each, as CPU arrays whatever the model's device; small chunks
    keep each layer's activations in the CPU cache, which is faster than large ones (bench.app_speed)."""
    model.eval()
    device = model_device(model)
    mus, logvars = [], []
    for i in range(0, len(images), batch_size):
        mu, logvar = model.encoder(torch.from_numpy(images[i:i + batch_size]).to(device))
        mus.append(mu)
        logvars.append(logvar)
    return torch.cat(mus).cpu().numpy(), torch.cat(logvars).cpu().numpy()


@torch.no_grad()
def reconstruction_nll(model: VAE, images: np.ndarray, seed: int, batch_size: int = 128) -> float:
    """Mean Bernoulli NLL (nats, summed over pixels) with z drawn from q(z|x): the distortion D."""
    model.eval()
    device = model_device(model)
    gen = torch.Generator().manual_seed(seed)  # on the CPU: the same draws on every device
    total = 0.0
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(images[i:i + batch_size]).to(device)
        mu, logvar = model.encoder(x)
        z = mu + torch.randn(mu.shape, generator=gen).to(device) * torch.exp(0.5 * logvar)
        total += bernoulli_nll(model.decoder(z, x), x).sum().item()
    return total / max(len(images), 1)


#: Rows behind the KL decomposition: it costs O(rows² · D), so a subset keeps a history point cheap.
DECOMPOSITION_ROWS = 1000


def code_diagnostics(mu: np.ndarray, logvar: np.ndarray, factors: np.ndarray | None, seed: int = 0,
                     pinned: dict[int, str] | None = None, factor_names=None) -> dict:
    """Encoder-only numbers: cheap enough to record during training (``pinned``: dim -> factor of a labelled run)."""
    kl_dims = M.kl_per_dim(mu, logvar)
    au = M.active_units(mu)
    info = M.informative_units(mu, logvar)
    out = {
        "kl": float(np.sum(kl_dims)),
        "kl_per_dim": [float(v) for v in kl_dims],
        "active_units": int(au["active_units"]),
        "informative_units": int(info["informative_units"]),
        "informative_nats": [float(v) for v in info["nats"]],
        "posterior_mean_variance": [float(v) for v in au["variances"]],
    }
    split = M.kl_decomposition(mu, logvar, max_batch=DECOMPOSITION_ROWS, seed=seed)
    # on a sample no larger than the split's, its MI is the same estimate on the same draw: not computed twice
    whole = split["batch"] == len(mu)
    out["mi"] = split["mi"] if whole else float(M.mutual_information(mu, logvar, seed=seed)["mi"])
    out.update(index_code_mi=split["mi"], total_correlation=split["tc"], dimwise_kl=split["dim_kl"])
    if factors is not None:
        res = M.mig(mu, factors)
        out["mig"] = float(res["mig"])
        out["mig_gaps"] = [float(g) for g in res["gaps"]]
        out["mi_matrix"] = np.asarray(res["mi"], dtype=float).tolist()
        out["factor_entropy"] = [float(h) for h in res["entropy"]]
        if pinned and factor_names:
            out["pinned"] = {str(d): name for d, name in pinned.items()}
            out["pinned_mi"] = pinned_mi(res["mi"], res["entropy"], pinned, factor_names)
    return out


def evaluate(model: VAE, dataset: ImageDataset, n: int = 10_000, seed: int = 0, recon_samples: int = 500,
             full: bool = False, pinned: dict[int, str] | None = None, with_dci: bool = False) -> dict:
    """Metrics of a trained model on a fresh sample of ``n`` images drawn with ``seed``.

    ``z_usage`` (explorer.z_usage) uses the first ``USAGE_IMAGES`` of the sample: the median nats
    per image that an image's own code saves the decoder against codes from the prior.

    ``full`` adds the slower disentanglement scores where factors exist: SAP, the FactorVAE
    score (1,000 training / 500 evaluation votes instead of disentanglement_lib's 10,000 / 5,000,
    so it takes seconds, not minutes; fewer below 5,000 images, so a small sample stays small) and DCI with random forests (``dci_model``): the
    gradient-boosted trees of disentanglement_lib take about 4 minutes on 10,000 codes here,
    random forests about 20 s, and the scores differ, so the model is reported beside them.
    ``with_dci`` adds only DCI. ``pinned`` (dim -> factor, for runs trained with labels) adds
    each pinned factor's share of entropy captured by its own dimension (``pinned_mi``).
    """
    sample = draw_eval_sample(dataset, n, seed)
    mu, logvar = encode(model, sample.images)
    out = {"samples": n, "seed": seed}
    out.update(code_diagnostics(mu, logvar, sample.factors, seed=seed, pinned=pinned,
                                factor_names=dataset.factor_names))
    out["recon"] = reconstruction_nll(model, sample.images[:recon_samples], seed=seed)
    out.update(z_usage(model, sample.images[:USAGE_IMAGES], seed=seed))
    out["rate"], out["distortion"] = out["kl"], out["recon"]
    if (full or with_dci) and sample.factors is not None:
        dci = M.dci(mu, sample.factors, model="rf", seed=seed)
        out["dci_model"] = "rf"
        out["dci_disentanglement"] = float(dci["disentanglement"])
        out["dci_completeness"] = float(dci["completeness"])
        out["dci_informativeness"] = float(dci["informativeness"])
    if full and sample.factors is not None:
        out["sap"] = float(M.sap(mu, sample.factors)["sap"])
        fv = M.factor_vae_score(
            dataset, lambda imgs: encode(model, imgs)[0], seed,
            n_variance=min(n, 10_000), n_train=min(1000, n // 5), n_eval=min(500, n // 10),
        )
        out["factor_vae"] = float(fv["eval_accuracy"])
        out["factor_vae_active_dims"] = int(fv["num_active_dims"])
    return out


def evaluate_run(run, dataset: ImageDataset, device=None, **kwargs) -> dict:
    """:func:`evaluate` for a trained run, adding its pinned dimensions' scores where it was trained with labels;
    on ``device`` (None: where its model is), the model back where it was afterwards."""
    with on_device(run.model, device) as model:
        return evaluate(model, dataset, pinned=pinned_dims(run.config, dataset.factor_names), **kwargs)

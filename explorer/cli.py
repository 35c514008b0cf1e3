"""Command line: ``python -m explorer {train,eval,data,traverse}``.

A stable contract: the app, the benchmarks and outside checks call these commands.
Every flag's default is the dataclass default in ``explorer.config``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from .config import ENCODER_INITS, FREE_BITS_MODES, SCHEDULES, ModelConfig, ObjectiveConfig, RunConfig, TrainConfig
from .code_ranges import RANGE_HELP, RANGE_KINDS
from .models import DECODERS
from .pictures import AR_SAMPLES

# (dataclass, field, flag, help) for every training knob
_KNOBS = [
    (TrainConfig, "dataset", "--dataset", "dsprites (procedural, has factors), mnist or fashion-mnist"),
    (TrainConfig, "npz_path", "--npz", "use the original dSprites .npz at this path instead of rendering"),
    (TrainConfig, "data_root", "--data-root", "folder holding MNIST/FashionMNIST files"),
    (ObjectiveConfig, "beta", "--beta", "KL weight β: higher buys disentanglement, costs reconstruction"),
    (ModelConfig, "latent_dim", "--latent-dim", "number of latent dimensions"),
    (ModelConfig, "decoder", "--decoder", "decoder strength, see the list above"),
    (ModelConfig, "ar_channels", "--ar-channels", "width of the autoregressive decoders"),
    (ModelConfig, "encoder_init", "--encoder-init", "encoder weight init: he (the recipe) or torch (PyTorch's default)"),
    (ObjectiveConfig, "schedule", "--schedule", "KL weight schedule: " + ", ".join(SCHEDULES)),
    (ObjectiveConfig, "warmup_fraction", "--warmup-fraction", "linear: fraction of the run the warm-up takes"),
    (ObjectiveConfig, "warmup_start", "--warmup-start", "linear: starting weight as a fraction of β"),
    (ObjectiveConfig, "cycles", "--cycles", "cyclical: number of cycles M"),
    (ObjectiveConfig, "ramp_fraction", "--ramp-fraction", "cyclical: fraction R of each cycle spent ramping"),
    (ObjectiveConfig, "capacity_max", "--capacity-max", "capacity: final target KL C in nats"),
    (ObjectiveConfig, "capacity_fraction", "--capacity-fraction", "capacity: fraction of the run over which C rises"),
    (ObjectiveConfig, "gamma", "--gamma", "capacity: weight γ on |KL − C|"),
    (ObjectiveConfig, "free_bits", "--free-bits", "free bits λ in nats per latent dim (0 = off)"),
    (ObjectiveConfig, "free_bits_mode", "--free-bits-mode", "sample: clamp each (sample, dim); batch: clamp each dim's batch mean (Kingma)"),
    (TrainConfig, "batch_size", "--batch-size", "images per step"),
    (TrainConfig, "lr", "--lr", "Adam learning rate"),
    (TrainConfig, "lr_decay_start", "--lr-decay-start", "fraction of the run after which the learning rate falls linearly to 0 (1 = constant)"),
    (TrainConfig, "seed", "--seed", "random seed (weights, batches, evaluation sample)"),
    (TrainConfig, "log_every", "--log-every", "record a history point every N steps"),
    (TrainConfig, "eval_samples", "--eval-samples", "size of the fixed evaluation sample"),
    (TrainConfig, "grad_clip", "--grad-clip", "clip the gradient norm (0 = off)"),
    (TrainConfig, "labels", "--labels", "labelled images that pin latent dims to factors (0 = unsupervised β-VAE)"),
    (TrainConfig, "label_batch", "--label-batch", "labelled images in every training batch"),
    (ObjectiveConfig, "label_weight", "--label-weight", "weight of the pinned-axes term"),
]
_CHOICES = {"dataset": ("dsprites", "mnist", "fashion-mnist"), "decoder": tuple(DECODERS),
            "schedule": SCHEDULES, "free_bits_mode": FREE_BITS_MODES,
            "encoder_init": ENCODER_INITS}


def _default(dc, name):
    return next(f.default for f in fields(dc) if f.name == name)


def _decoder_list() -> str:
    return "decoders (in order of strength):\n" + "\n".join(f"  {n:<10} {d}" for n, (_, _, d) in DECODERS.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer", description="β-VAE collapse-and-disentanglement explorer")
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("train", help="train a run and save its checkpoint", epilog=_decoder_list(),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    for dc, name, flag, text in _KNOBS:
        default = _default(dc, name)
        kind = type(default) if default is not None else str
        tr.add_argument(flag, dest=name, type=kind, default=default, choices=_CHOICES.get(name),
                        help=f"{text} (default: {default})")
    tr.add_argument("--pin", type=str, default="", metavar="FACTOR,…",
                    help="factors pinned to latent dims 0, 1, … when --labels > 0 (default: all, in the dataset's "
                         "order: shape,scale,orientation,posX,posY)")
    tr.add_argument("--download", action="store_true", help="allow torchvision to download MNIST/FashionMNIST")
    budget = tr.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="budget in optimiser steps (deterministic)")
    budget.add_argument("--seconds", type=float, help=f"budget in seconds of training (default: {_default(TrainConfig, 'seconds')})")
    tr.add_argument("--out", type=Path, help="checkpoint path (default: runs/<name>.pt)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")

    ev = sub.add_parser("eval", help="evaluate a checkpoint on a fresh sample")
    ev.add_argument("path", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--samples", type=int, default=10_000, help="size of the evaluation sample (default 10000)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the evaluation sample")
    ev.add_argument("--full", action="store_true", help="also DCI, SAP and the FactorVAE score (slower)")

    da = sub.add_parser("data", help="write dSprites images in the original .npz layout")
    da.add_argument("--out", type=Path, required=True)
    which = da.add_mutually_exclusive_group(required=True)
    which.add_argument("--n", type=int, help="number of random images")
    which.add_argument("--indices", type=str, help="comma-separated image indices")
    da.add_argument("--seed", type=int, default=0)

    tv = sub.add_parser("traverse", help="write a latent traversal grid: .png, animated .gif, or .npz (raw arrays)")
    tv.add_argument("path", type=Path)
    tv.add_argument("--out", type=Path, required=True, help="grid.png, grid.gif or grid.npz (images, dims, values, labels)")
    tv.add_argument("--index", type=int, help="start from this dataset image's posterior mean (default: prior mean)")
    tv.add_argument("--range", choices=RANGE_KINDS, default=None,
                    help="how far each dim sweeps: " + "; ".join(f"{k}: {v}" for k, v in RANGE_HELP.items())
                    + " (default data; --limit alone means prior)")
    tv.add_argument("--limit", type=float, default=None, help="with the prior range, sweep ±limit (default 3)")
    tv.add_argument("--columns", type=int, default=8, help="values per row (default 8)")
    tv.add_argument("--samples", type=int, default=AR_SAMPLES,
                    help=f"autoregressive decoders: samples averaged per tile (default {AR_SAMPLES})")
    ga = sub.add_parser("gallery", help="train the shipped gallery of checkpoints (settings in explorer/gallery.py)")
    ga.add_argument("--out", type=Path, default=Path("checkpoints"))
    ga.add_argument("--only", type=str, help="comma-separated entry names (default: all)")
    ga.add_argument("--rescore", action="store_true", help="re-evaluate the existing checkpoints, no training")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .checkpoint import CheckpointError
    from .data import DatasetFileError, DatasetUnavailable

    try:
        commands = {"train": _train, "eval": _eval, "data": _data, "traverse": _traverse, "gallery": _gallery}
        return commands[args.command](args)
    except (ValueError, CheckpointError, DatasetFileError, DatasetUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def train_config(flags: list[str]) -> RunConfig:
    """The config ``python -m explorer train <flags>`` trains: how code states a run by its command line."""
    return config_from_args(build_parser().parse_args(["train", *flags]))


def config_from_args(args) -> RunConfig:
    parts = {ModelConfig: {}, ObjectiveConfig: {}, TrainConfig: {}}
    for dc, name, _, _ in _KNOBS:
        parts[dc][name] = getattr(args, name)
    t = parts[TrainConfig]
    t["download"] = args.download
    parts[ObjectiveConfig]["pinned"] = args.pin
    if args.steps is not None:
        t["steps"], t["seconds"] = args.steps, None
    elif args.seconds is not None:
        t["seconds"] = args.seconds
    return RunConfig(ModelConfig(**parts[ModelConfig]), ObjectiveConfig(**parts[ObjectiveConfig]), TrainConfig(**parts[TrainConfig]))


def _train(args) -> int:
    from .checkpoint import save_run
    from .trainer import train

    config = config_from_args(args)
    config.validate()
    o, m = config.objective, config.model
    out = args.out or Path("runs") / (f"{config.train.dataset}-{m.decoder}-beta{o.beta:g}-{o.schedule}-fb{o.free_bits:g}"
                              f"{f'-labels{config.train.labels}' if config.train.labels else ''}-seed{config.train.seed}.pt")
    bar = None if args.quiet else _ProgressBar()
    run = train(config, on_progress=bar)
    if bar:
        bar.close()
    save_run(run, out)
    m = run.metrics
    summary = f"{run.status}: {m['steps']} steps, {m['seconds']:.1f} s; KL {m['kl']:.2f} nats, active units {m['active_units']}, recon {m['recon']:.1f}"
    if "mig" in m:
        summary += f", MIG {m['mig']:.3f}"
    print(summary + (f" ({run.reason})" if run.reason else ""))
    print(f"saved {out}")
    return 0 if run.status == "completed" else 1


def _eval(args) -> int:
    from .checkpoint import load_run
    from .data import load_dataset
    from .evaluation import evaluate_run

    run = load_run(args.path)
    t = run.config.train
    dataset = load_dataset(t.dataset, t.npz_path, t.data_root, t.download)
    if args.samples < 2:
        raise ValueError("--samples must be at least 2")
    result = evaluate_run(run, dataset, n=args.samples, seed=args.seed, full=args.full)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if not isinstance(value, (list, dict)):
                print(f"{key:>22}: {value}")
            elif key == "pinned_mi":
                print(f"{key:>22}: " + ", ".join(f"{name} {v:.2f}" for name, v in value.items()))
    return 0


def _data(args) -> int:
    from .data.dsprites_grid import N_IMAGES, classes_to_values, index_to_classes
    from .data.dsprites_render import render

    if args.indices is not None:
        try:
            indices = np.array([int(i) for i in args.indices.split(",") if i.strip()], dtype=np.int64)
        except ValueError:
            raise ValueError("--indices must be comma-separated integers") from None
    else:
        if args.n < 1:
            raise ValueError("--n must be at least 1")
        indices = np.random.default_rng(args.seed).integers(0, N_IMAGES, size=args.n)
    classes = index_to_classes(indices)
    imgs = np.concatenate([render(classes[i:i + 4096, 1:]) for i in range(0, len(classes), 4096)])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, imgs=imgs, latents_classes=classes, latents_values=classes_to_values(classes), indices=indices)
    print(f"wrote {len(indices)} images to {args.out}")
    return 0


def _traverse(args) -> int:
    import torch

    from .checkpoint import load_run
    from .code_ranges import PRIOR_LIMIT, model_code_ranges, sweep_values
    from .data import load_dataset
    from .traversal import grid_gif, labelled_grid_image, row_labels, save_grid_npz, traversal_grid

    if args.out.suffix.lower() not in (".png", ".gif", ".npz"):
        raise ValueError("--out must end in .png, .gif or .npz")
    if args.columns < 2 or (args.limit is not None and not args.limit > 0) or args.samples < 1:
        raise ValueError("--columns must be ≥ 2, --limit > 0 and --samples ≥ 1")
    kind = args.range or ("prior" if args.limit is not None else "data")
    run = load_run(args.path)
    t = run.config.train
    dataset = load_dataset(t.dataset, t.npz_path, t.data_root, t.download)
    z0 = np.zeros(run.model.encoder.latent_dim, dtype=np.float32)
    if args.index is not None:
        if not 0 <= args.index < dataset.n_images:
            raise ValueError(f"--index must lie in [0, {dataset.n_images})")
        z0 = run.model.encode_mean(torch.from_numpy(dataset.images(np.array([args.index]))))[0].numpy()
    lo, hi = model_code_ranges(run.model, dataset, kind)
    if kind == "prior":
        limit = args.limit if args.limit is not None else PRIOR_LIMIT
        lo, hi = -limit * np.ones_like(lo), limit * np.ones_like(hi)
    values = sweep_values(lo, hi, args.columns)
    grid, info = traversal_grid(run.model, z0=z0, values=values, samples=args.samples)
    dims = list(range(grid.shape[0]))
    labels = row_labels(run.metrics, dataset.factor_names)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    suffix = args.out.suffix.lower()
    if suffix == ".npz":
        save_grid_npz(args.out, grid, dims, values, labels, info, z0)
    elif suffix == ".gif":
        args.out.write_bytes(grid_gif(grid, labels))
    else:
        labelled_grid_image(grid, labels).save(args.out)
    note = f" (each tile the mean of {info['samples']} samples)" if info.get("samples") else ""
    print(f"wrote {args.out}: {grid.shape[0]} dims × {grid.shape[1]} values, {kind} range{note}")
    return 0


def _gallery(args) -> int:
    from .gallery import ENTRIES, build, rescore

    only = [n.strip() for n in args.only.split(",")] if args.only else None
    unknown = set(only or ()) - {e.name for e in ENTRIES}
    if unknown:
        raise ValueError(f"unknown gallery entries {sorted(unknown)}; choose from {', '.join(e.name for e in ENTRIES)}")
    print(f"wrote {(rescore if args.rescore else build)(args.out, only)}")
    return 0


class _ProgressBar:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, width: int = 30):
        self.width, self.start = width, time.perf_counter()

    def __call__(self, run, fraction: float) -> None:
        filled = int(self.width * fraction)
        parts = [f"step {run.last('step')}", f"KL {run.last('eval_kl'):.2f}", f"AU {run.last('active_units')}"]
        if run.last("mig") is not None:
            parts.append(f"MIG {run.last('mig'):.3f}")
        if run.last("recon") is not None:
            parts.append(f"recon {run.last('recon'):.1f}")
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%} {time.perf_counter() - self.start:5.0f}s  " + "  ".join(parts)
        print(line, end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr)

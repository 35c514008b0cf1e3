"""Command line: ``python -m explorer {train,eval,data,traverse,gallery,sweep}``.

A stable contract: the app, the benchmarks and outside checks call these commands.
Every flag's default is the dataclass default in ``explorer.config``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .code_ranges import RANGE_HELP, RANGE_KINDS
from .device import add_flag as add_device_flag, describe, recorded, resolve
from .flags import add_train_flags, config_from_args
from .models import DECODERS
from .outputs import (default_out, one_line_os_errors, refuse_other_run, save_trained, writable_file,
                      writable_folder)
from .pictures import AR_SAMPLES
from .protocols import CLI
from .sweep.options import add_sweep_flags


def _decoder_list() -> str:
    return "decoders (in order of strength):\n" + "\n".join(f"  {n:<10} {d}" for n, (_, _, d) in DECODERS.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer", description="β-VAE collapse-and-disentanglement explorer")
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("train", help="train a run and save its checkpoint", epilog=_decoder_list(),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_train_flags(tr)
    tr.add_argument("--out", type=Path,
                    help="checkpoint path (default: runs/<dataset>-<decoder>-beta<β>-…-seed<seed>-<run key>.pt, one per run)")
    tr.add_argument("--force", action="store_true",
                    help="replace an existing --out that holds another run (the same run is replaced without it)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    add_device_flag(tr, "it trains")

    ev = sub.add_parser("eval", help="evaluate a checkpoint on a fresh sample")
    ev.add_argument("path", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--samples", type=int, default=CLI.samples, help=f"size of the evaluation sample (default {CLI.samples})")
    ev.add_argument("--seed", type=int, default=CLI.seed, help=f"seed of the evaluation sample (default {CLI.seed})")
    ev.add_argument("--full", action="store_true", help="also DCI, SAP and the FactorVAE score (slower)")
    add_device_flag(ev, "the model encodes and decodes")

    da = sub.add_parser("data", help="write dSprites images in the original .npz layout")
    da.add_argument("--out", type=Path, required=True, help="an .npz file")
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
    ga.add_argument("--stamp", action="store_true",
                    help="record each file's sha256 and provenance in the index, without re-evaluating")
    ga.add_argument("--accept", metavar="WHY", default=None,
                    help="with --stamp or --rescore: record files whose sha256 differs from the index, and why "
                    "(kept in the index); without it such a file is refused")
    ga.add_argument("--views", action="store_true",
                    help="compute and store every run's views (what the pages show) from its checkpoint, no training")

    vw = sub.add_parser("views", help="compute a checkpoint's views (what the pages show) and store them beside it",
                        description="Writes <checkpoint>.views.npz (docs/views.md). A sweep run's numbers come from "
                        "the result.json beside it; any other checkpoint's from the checkpoint itself.")
    vw.add_argument("checkpoint", type=Path, nargs="+")
    vw.add_argument("--out", type=Path, default=None, help="where to write (one checkpoint only; default: beside it)")
    vw.add_argument("--no-extra", action="store_true", help="leave out DCI, SAP and the FactorVAE score (faster)")

    sw = sub.add_parser("sweep", help="train a grid of runs, one folder each (every train flag takes a comma list)",
                        description="Train the product of the values given (e.g. --beta 1,4 --seeds 0,1,2) into "
                        "--out, one folder per run (docs/sweeps.md). Calling again retrains nothing completed.")
    add_sweep_flags(sw)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .checkpoint import CheckpointError
    from .data import DatasetFileError, DatasetUnavailable

    try:
        commands = {"train": _train, "eval": _eval, "data": _data, "traverse": _traverse, "gallery": _gallery,
                    "sweep": _sweep, "views": _views}
        return commands[args.command](args)
    except (ValueError, CheckpointError, DatasetFileError, DatasetUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C): the command stopped before it finished", file=sys.stderr)
        return 130


@one_line_os_errors
def _train(args) -> int:
    from .interrupt import StopOnInterrupt
    from .progress_bar import ProgressBar
    from .trainer import train

    config = config_from_args(args)
    config.validate()
    device = resolve(args.device)
    out = writable_file(args.out or default_out(config))
    refuse_other_run(out, config, args.force)
    bar = None if args.quiet else ProgressBar()
    with StopOnInterrupt() as stop:
        run = train(config, on_progress=bar, device=device, stop=stop)
    if bar:
        bar.close()
    m = run.metrics
    summary = f"{run.status}: {m['steps']} steps, {m['seconds']:.1f} s on {m['device']}; KL {m['kl']:.2f} nats, active units {m['active_units']}, recon {m['recon']:.1f}"
    if "mig" in m:
        summary += f", MIG {m['mig']:.3f}"
    print(summary + (f" ({run.reason})" if run.reason else ""))
    saved = save_trained(run, out, args.force)
    print(f"saved {saved}" + (f" ({out} keeps the file it held: a {run.status} run does not replace it)" if saved != out else ""))
    return 0 if run.status == "completed" else 1


@one_line_os_errors
def _eval(args) -> int:
    """The registered metrics (explorer.metric_registry) lead, in table order; every other number follows."""
    from .checkpoint import load_run
    from .data import load_dataset
    from .evaluation import evaluate_run
    from .metric_registry import ordered
    from .threads import computing_with

    device = resolve(args.device)
    run = load_run(args.path)
    t = run.config.train
    dataset = load_dataset(t.dataset, t.npz_path, t.data_root, t.download)
    if args.samples < 2:
        raise ValueError("--samples must be at least 2")
    with computing_with(t.threads):  # the run's own arithmetic, so its scores agree with its sweep's and its page's
        result = ordered(evaluate_run(run, dataset, n=args.samples, seed=args.seed, full=args.full, device=device))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if not isinstance(value, (list, dict)):
                print(f"{key:>22}: {value}")
            elif key == "pinned_mi":
                print(f"{key:>22}: " + ", ".join(f"{name} {v:.2f}" for name, v in value.items()))
        print(f"{'device':>22}: {describe(device)} (trained on {recorded(run.metrics)})")
    return 0


@one_line_os_errors
def _data(args) -> int:
    from .data.dsprites_grid import N_IMAGES, classes_to_values, index_to_classes
    from .data.dsprites_render import render

    if args.out.suffix.lower() != ".npz":
        raise ValueError("--out must end in .npz")  # numpy would add it, and the file written would not be --out
    writable_file(args.out)
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


@one_line_os_errors
def _traverse(args) -> int:
    import torch

    from .checkpoint import load_run
    from .code_ranges import PRIOR_LIMIT, model_code_ranges, sweep_values
    from .data import load_dataset
    from .grid_images import grid_gif, labelled_grid_image
    from .naming import row_labels
    from .traversal import save_grid_npz, traversal_grid

    if args.out.suffix.lower() not in (".png", ".gif", ".npz"):
        raise ValueError("--out must end in .png, .gif or .npz")
    if args.columns < 2 or (args.limit is not None and not args.limit > 0) or args.samples < 1:
        raise ValueError("--columns must be ≥ 2, --limit > 0 and --samples ≥ 1")
    writable_file(args.out)
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


@one_line_os_errors
def _gallery(args) -> int:
    from .gallery import ENTRIES, build, compute_all_views, rescore, stamp

    if args.accept is not None and not (args.stamp or args.rescore):
        raise ValueError("--accept goes with --stamp or --rescore")
    if args.accept is not None and not args.accept.strip():
        raise ValueError("--accept needs a reason: why the changed files are to be recorded")
    writable_folder(args.out)
    if args.stamp:
        print(f"wrote {stamp(args.out, accept=args.accept)}")
        return 0
    only = [n.strip() for n in args.only.split(",")] if args.only else None
    if args.views:
        print(f"wrote {compute_all_views(args.out, only)}")
        return 0
    unknown = set(only or ()) - {e.name for e in ENTRIES}
    if unknown:
        raise ValueError(f"unknown gallery entries {sorted(unknown)}; choose from {', '.join(e.name for e in ENTRIES)}")
    if args.rescore:
        print(f"wrote {rescore(args.out, only, accept=args.accept)}")
    else:
        print(f"wrote {build(args.out, only)}")
    return 0


@one_line_os_errors
def _views(args) -> int:
    from .view_data import views_path
    from .views import write_checkpoint_views

    if args.out is not None and len(args.checkpoint) > 1:
        raise ValueError("--out takes one checkpoint; leave it out to write each views file beside its checkpoint")
    for checkpoint in args.checkpoint:  # every target checked before the first (slow) computation
        writable_file(args.out or views_path(checkpoint), "--out" if args.out else "the views file")
    for checkpoint in args.checkpoint:
        print(f"wrote {write_checkpoint_views(checkpoint, extra=not args.no_extra, out=args.out)}")
    return 0


def _sweep(args) -> int:
    from .sweep.engine import run_sweep
    from .sweep.grid import grid_from_args
    from .sweep.options import options_from_args

    try:
        summary = run_sweep(grid_from_args(args), options_from_args(args))
    except KeyboardInterrupt:
        print(f"\ninterrupted: the finished runs are kept; the same command resumes {args.out}", file=sys.stderr)
        return 130
    print(summary.line())
    return 0 if summary.failed == 0 else 1

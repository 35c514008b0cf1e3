"""The shipped gallery of pre-trained runs: one reproducible command, settings in code.

``python -m explorer gallery [--only NAME,...] [--out checkpoints]`` trains every entry below (each a
recipe from explorer.recipes), evaluates it on a fresh sample and writes ``index.json``, which
records for each run the ``python -m explorer train`` command that reproduces it alone.
"""
from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import metric_registry, recipes
from .atomic import write_text
from .checkpoint import ShippedFileChanged, read_payload, save_run
from .config import RunConfig
from .data import dataset_of
from .evaluation import evaluate_run
from .flags import to_argv
from .protocols import GALLERY
from .provenance import (file_sha256, head_commit, provenance, recorded_sha256, shipped_mismatch, weights_commit,
                         weights_digest)
from .views import write_views

EVAL_SAMPLES = GALLERY.samples
EVAL_SEED = GALLERY.seed
#: what every gallery number is measured on, as a views file names it
GALLERY_SAMPLE = GALLERY.sample()
#: the metrics each index record carries (the dashboard's gallery table and Pinned axes page read them)
HEADLINE = metric_registry.keys(metric_registry.INDEX)


@dataclass(frozen=True)
class GalleryEntry:
    name: str
    title: str
    role: str  # beta-ladder, collapse, cure, seed-spread, pinned
    config: RunConfig


#: label budget of the pinned-axes runs, the twins of the recipe's seed-spread runs
LABELS = 300

ENTRIES = (
    GalleryEntry("beta1", "β = 1 (plain VAE): sharp, entangled", "beta-ladder", recipes.conv_ladder(1.0)),
    GalleryEntry("beta4", "β = 4: towards one factor per axis", "beta-ladder", recipes.conv_ladder(4.0)),
    GalleryEntry("beta12", "β = 12: fewer, cleaner axes, blurrier", "beta-ladder", recipes.conv_ladder(12.0)),
    GalleryEntry("beta50", "β = 50: the code squeezed hardest", "beta-ladder", recipes.conv_ladder(50.0)),
    # the same ladder with the recipe (broadcast decoder) as a plain β-VAE, so lesson 1 stays about β;
    # its β = 4 rung is the recipe-seed0 run
    *(GalleryEntry(f"recipe-beta{b:g}", f"Recipe, β = {b:g}{note}", "beta-ladder",
                   recipes.short_run(beta=b, steps=recipes.GALLERY_STEPS, tc_weight=recipes.BETA_VAE))
      for b, note in ((1.0, " (plain VAE): sharp, entangled"), (4.0, ": towards one factor per axis"),
                      (12.0, ": fewer, cleaner axes, blurrier"), (50.0, ": the code squeezed hardest"))),
    *(GalleryEntry(f"recipe-seed{s}", f"Short-run recipe (broadcast decoder, β = 4), seed {s}", "seed-spread",
                   recipes.short_run(seed=s, steps=recipes.GALLERY_STEPS, tc_weight=recipes.BETA_VAE)) for s in range(3)),
    GalleryEntry("collapse", "Autoregressive decoder, β = 1, no annealing, no free bits: collapsed", "collapse",
                 recipes.collapse()),
    GalleryEntry("cure", "Same decoder + KL warm-up + free bits: the code is used", "cure", recipes.cure()),
    *(GalleryEntry(f"labels{LABELS}-seed{s}", f"Short-run recipe + {LABELS} labels pinning all five factors, seed {s}",
                   "pinned", recipes.short_run(seed=s, steps=recipes.GALLERY_STEPS, labels=LABELS, tc_weight=recipes.BETA_VAE))
      for s in range(3)),
)


def command(entry: GalleryEntry, out_dir: Path) -> list[str]:
    """The exact ``python -m explorer train`` arguments that reproduce an entry."""
    return ["train", *to_argv(entry.config), "--out", str(out_dir / f"{entry.name}.pt")]


def command_line(entry: GalleryEntry, out_dir: Path) -> str:
    """:func:`command` as the index records it."""
    return "python -m explorer " + " ".join(command(entry, out_dir))


def build(out_dir: Path = Path("checkpoints"), only: list[str] | None = None, log=print) -> Path:
    """Train (or retrain) the chosen entries and rewrite the index with every entry present."""
    from .trainer import train

    out_dir.mkdir(parents=True, exist_ok=True)
    index_path = out_dir / "index.json"
    for entry in ENTRIES:
        if only and entry.name not in only:
            continue
        config = entry.config
        start = time.perf_counter()
        run = train(config, final_eval=False)
        seconds = round(time.perf_counter() - start, 3)
        record = {"name": entry.name, "title": entry.title, "role": entry.role, "config": config.to_dict(),
                  "train_seconds": seconds, "command": command_line(entry, out_dir)}
        _score_and_save(run, out_dir / f"{entry.name}.pt", record, index_path, log, trained_at=head_commit(Path.cwd()))
    return index_path


def rescore(out_dir: Path = Path("checkpoints"), only: list[str] | None = None, log=print,
            accept: str | None = None) -> Path:
    """Re-evaluate the existing checkpoints with today's metrics (no training), e.g. after a metric is added.

    An entry with a checkpoint but no index record yet (trained by its command elsewhere, say on a
    faster machine, and copied in) is adopted, provided the checkpoint's config is exactly the one
    its command trains; anything else is refused, so the index never claims a command it does not hold.
    A recorded file that changed is refused unless ``accept`` says why (``accept_changes``).
    """
    from .checkpoint import load_run

    index_path = out_dir / "index.json"
    records = {r["name"]: r for r in read_records(index_path, missing_ok=True)}
    entries = {e.name: e for e in ENTRIES}
    adopted = {name for name in entries
               if name not in records and (out_dir / f"{name}.pt").exists() and (not only or name in only)}
    for name in adopted:
        entry = entries[name]
        records[name] = {"name": name, "title": entry.title, "role": entry.role, "file": f"{name}.pt"}
    chosen = {name: record for name, record in records.items() if not only or name in only}
    accept_changes(out_dir, chosen.values(), accept)
    for name, record in chosen.items():
        run = load_run(out_dir / record["file"], accept_changed=True)  # checked just above
        if name in entries:  # today's spelling of its flags and today's words for it
            e = entries[name]
            record = {**record, "title": e.title, "role": e.role, "command": command_line(e, out_dir)}
        if name in adopted:
            if run.config.key() != entries[name].config.key():
                raise ValueError(f"{record['file']} was not trained by gallery entry {name!r}'s command "
                                 f"({record['command']}); retrain it with --only {name}")
            record["train_seconds"] = round(run.history["seconds"][-1], 3) if run.history.get("seconds") else None
        _score_and_save(run, out_dir / record["file"], record, index_path, log)
    return index_path


def stamp(out_dir: Path = Path("checkpoints"), log=print, accept: str | None = None) -> Path:
    """Record every indexed file's sha256 and provenance without re-evaluating (e.g. after a commit).

    A file whose sha256 is not the one recorded is refused (nothing is written) unless ``accept`` says
    why: otherwise a stamp would vouch for a tampered file, which the app then shows."""
    index_path = out_dir / "index.json"
    records = read_records(index_path)
    accept_changes(out_dir, records, accept)
    for record in records:
        path = out_dir / record["file"]
        trained_at = _trained_at(path, record)
        sample = record.get("metrics_sample") or {"samples": EVAL_SAMPLES, "seed": EVAL_SEED}
        record["provenance"] = provenance(path, record, sample["samples"], sample["seed"], trained_at)
        if record.get("views"):
            record["views_sha256"] = file_sha256(out_dir / record["views"])
        log(f"{record['name']}: sha256 {record['provenance']['sha256'][:12]}…, weights from {trained_at or 'unknown'}")
        _write_index(index_path, record)
    return index_path


def accept_changes(out_dir: Path, records, accept: str | None) -> None:
    """Refuse any file of ``records`` (checkpoint or views) whose sha256 differs from the one the index records,
    before anything is written; with ``accept`` (the reason, from ``--accept``) each such change is kept in its
    record's ``accepted_changes``: which file, both hashes, why and when."""
    for record in records:
        for name in filter(None, (record.get("file"), record.get("views"))):
            changed = shipped_mismatch(out_dir / name)
            if changed is None:
                continue
            if not accept:
                raise ShippedFileChanged(changed)
            record.setdefault("accepted_changes", []).append({
                "file": name, "recorded_sha256": recorded_sha256(out_dir / name)[1],
                "sha256": file_sha256(out_dir / name), "reason": accept,
                "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})


def _trained_at(path: Path, record: dict) -> str | None:
    """The commit a record's weights were first committed in: the recorded one while the weights are
    unchanged, else found again in git history."""
    before = record.get("provenance") or {}
    weights = weights_digest(read_payload(path, accept_changed=True))
    return before.get("trained_at_commit") if before.get("weights_sha256") == weights else weights_commit(path)


def compute_all_views(out_dir: Path = Path("checkpoints"), only: list[str] | None = None, log=print) -> Path:
    """Compute and store every indexed run's views from its checkpoint (no training, no rescoring), and
    record each views file's name and sha256 in the index: what ``--views`` runs after a format change."""
    from .checkpoint import load_run

    index_path = out_dir / "index.json"
    for record in read_records(index_path):
        if only and record["name"] not in only:
            continue
        start = time.perf_counter()
        path = out_dir / record["file"]
        run = load_run(path)
        views = write_views(run, dataset_of(run.config.train), path, GALLERY_SAMPLE)
        if record.get("pictures"):  # the autoregressive runs' old picture files: the views hold them now
            (out_dir / record["pictures"]).unlink(missing_ok=True)
        record.pop("pictures", None), record.pop("pictures_sha256", None)
        record.update({"views": views.name, "views_sha256": file_sha256(views)})
        log(f"{record['name']}: wrote {views.name} ({views.stat().st_size / 1e3:.0f} kB) in "
            f"{time.perf_counter() - start:.0f} s")
        _write_index(index_path, record)
    return index_path


def _score_and_save(run, path: Path, record: dict, index_path: Path, log, trained_at: str | None = None) -> None:
    """Evaluate on the gallery's fixed fresh sample, save the checkpoint and its index record.

    ``trained_at`` is the commit a fresh training ran at; a rescore keeps the recorded one while the
    weights are unchanged, else finds the commit that first held these weights in git history.
    """
    dataset = dataset_of(run.config.train)
    run.metrics.update(evaluate_run(run, dataset, n=EVAL_SAMPLES, seed=EVAL_SEED, with_dci=True))
    save_run(run, path)
    views = write_views(run, dataset, path, GALLERY_SAMPLE)
    m = run.metrics
    if trained_at is None:
        trained_at = _trained_at(path, record)
    # the config always comes from the checkpoint itself, so a rescore also mends a stale index record
    record = {**record, "file": path.name, "config": run.config.to_dict(),
              "views": views.name, "views_sha256": file_sha256(views),
              "metrics_sample": {"samples": EVAL_SAMPLES, "seed": EVAL_SEED},
              "metrics": {k: m[k] for k in HEADLINE if k in m}}
    record["provenance"] = provenance(path, record, EVAL_SAMPLES, EVAL_SEED, trained_at)
    log(f"{record['name']}: {run.status}, MIG {m.get('mig', float('nan')):.3f}, AU {m['active_units']}, "
        f"informative {m['informative_units']}, KL {m['kl']:.2f}, MI {m['mi']:.2f}, z-usage {m['z_usage']:.1f}, "
        f"recon {m['recon']:.1f}")
    _write_index(index_path, record)


def read_records(index_path: Path, missing_ok: bool = False) -> list[dict]:
    """The index's records; a missing index is none (with ``missing_ok``), a damaged one a one-line ValueError."""
    if missing_ok and not index_path.exists():
        return []
    try:
        runs = json.loads(index_path.read_text())["runs"]
        if not all(isinstance(r, dict) and isinstance(r.get("name"), str) for r in runs):
            raise TypeError("a record without a name")
    except FileNotFoundError:
        raise ValueError(f"there is no gallery index at {index_path}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{index_path} is not a readable gallery index ({exc.__class__.__name__})") from None
    return runs


def _write_index(index_path: Path, record: dict) -> None:
    """Add or replace one run in the index, re-reading it first so that builds running side by side
    (e.g. ``--only a`` and ``--only b`` in two processes) keep each other's entries."""
    by_name = {r["name"]: r for r in read_records(index_path, missing_ok=True)}
    by_name[record["name"]] = record
    order = [e.name for e in ENTRIES]
    index = {"runs": sorted(by_name.values(), key=lambda r: order.index(r["name"]) if r["name"] in order else 99)}
    write_text(index_path, json.dumps(index, indent=1) + "\n")

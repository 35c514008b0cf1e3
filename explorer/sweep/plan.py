"""What one call of a sweep has to do: the folder's axes after it, and which runs to (re)train.

A folder grows by the union of every call's grids: sweep.json's axes list each value any call
asked for, and only runs without a whole result train. A completed (or diverged: it would diverge
again) run is never retrained; a failed one is retried while its attempts are below the limit.
"""
from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..flags import to_argv
from .files import MARKER, RESULT, SWEEP, VERSION, read_json, remove_temporaries, write_json
from .folder import read_results
from .grid import Grid, base_flags, base_from_flags, default, jsonable
from .options import Options
from .table import setting
from .worker import Task, now

#: Statuses that are results: never trained again.
FINAL = ("completed", "diverged")


@dataclass
class Plan:
    sweep: dict                                   # sweep.json after this call
    keys: list[str] = field(default_factory=list)  # every run of this call's grid
    tasks: list[Task] = field(default_factory=list)
    duplicates: int = 0                            # grid points that name a run already in the grid


def merge(old: dict | None, grid: Grid) -> tuple[dict, list]:
    """(axes, base) of the folder after this call: a field is an axis when any call swept it or two calls
    fixed it differently, and its values are the union of theirs, the older first."""
    if old is None:
        return {n: grid.values[n] for n in grid.axes}, grid.base()
    old_axes = old.get("axes") or {}
    old_fixed, old_texts = base_from_flags(old.get("base") or [])
    new_fixed = grid.fixed()
    names = list(dict.fromkeys([*old_axes, *grid.axes, *old_fixed, *new_fixed]))
    axes, texts = {}, {}
    for n in [n for n in names if n != "seed"] + ["seed"]:
        before = list(old_axes.get(n) or [old_fixed.get(n, jsonable(default(n)))])
        after = grid.values.get(n) or [jsonable(default(n))]
        if n in old_axes or n in grid.axes or before != after:
            axes[n] = before + [v for v in after if v not in before]
        else:
            texts[n] = grid.texts[n][0] if n in grid.values else old_texts[n]
    return axes, base_flags(texts)


def make_plan(grid: Grid, out: Path, options: Options) -> Plan:
    """Read the folder (if any) and decide; raise ValueError (one line) if this grid cannot join it."""
    points = grid.points()
    sample = {"samples": options.eval_n, "seed": "1000 + the run's seed"}
    old = None
    if (out / SWEEP).exists():
        old = read_json(out / SWEEP)
        if old is None or old.get("version") != VERSION:
            raise ValueError(f"{out / SWEEP} is not a sweep this version can extend; use another --out")
        had = (old.get("metrics_sample") or {}).get("samples")
        if had != options.eval_n:
            raise ValueError(f"{out} was scored on {had} images per run; give --eval-n {had} to extend it")
    axes, base = merge(old, grid)
    plan = Plan({"version": VERSION, "axes": axes, "base": base,
                 "created": old.get("created", now()) if old else now(), "metrics_sample": sample})
    first_seed = min(axes["seed"])
    for values, config in points:
        config = config.normalised()
        key = config.key()
        if key in plan.keys:
            plan.duplicates += 1
            continue
        plan.keys.append(key)
        folder = out / key
        before = read_json(folder / RESULT)
        if before is not None and before.get("key") != key:
            before = None
        attempts = int(before.get("attempts") or 0) if before else 0
        if before and (before.get("status") in FINAL or attempts >= options.max_attempts):
            continue
        swept = {n: values.get(n, jsonable(default(n))) for n in axes}
        keep = options.keep_weights == "all" or (options.keep_weights == "first-seed" and swept["seed"] == first_seed)
        plan.tasks.append(Task(out=str(out), key=key, config=config.to_dict(), swept=swept,
                               command=shlex.join(["python", "-m", "explorer", "train", *to_argv(config)]),
                               attempt=attempts + 1, dispatch=secrets.token_hex(6), keep_weights=keep,
                               eval_n=options.eval_n, backend=options.backend))
    return plan


def clear(folder: Path) -> None:
    """Before a run is dispatched: drop what an earlier, interrupted execution left (its note, temporaries)."""
    (folder / MARKER).unlink(missing_ok=True)
    remove_temporaries(folder)


def complete_swept(out: Path, axes: dict) -> int:
    """Give every run's ``swept`` each axis of the folder (an axis a later call added is read from the run's
    config), so a reader can place any run in the grid from its result.json alone; returns how many changed."""
    changed = 0
    for r in read_results(out):
        missing = [a for a in axes if a not in (r.get("swept") or {})]
        if missing:
            r["swept"] = {a: (r.get("swept") or {}).get(a, setting(r, a)) for a in axes}
            write_json(out / r["key"] / RESULT, r)
            changed += 1
    return changed

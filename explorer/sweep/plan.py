"""What one call of a sweep has to do: the folder's axes after it, and which runs to (re)train.

A folder grows by the union of every call's grids: sweep.json's axes list each value any call
asked for, and only runs without a whole result train. A completed (or diverged: it would diverge
again) run is never retrained unless its files are damaged (explorer.sweep.folder.run_state); a failed
one is retried while its attempts are below the limit; a run another live process holds is left to it.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

from ..flags import train_command
from .files import DAMAGED, FINAL, MARKER, RESULT, SWEEP, VERSION, read_json, remove_temporaries, write_json
from .folder import read_results, run_state
from .grid import Grid, base_flags, base_from_flags, default, jsonable
from .lifetime import start_time
from .lock import LOCK, held
from .options import Options
from .table import setting
from .worker import Task, now


@dataclass
class Plan:
    sweep: dict                                   # sweep.json after this call
    keys: list[str] = field(default_factory=list)  # every run of this call's grid
    tasks: list[Task] = field(default_factory=list)
    duplicates: int = 0                            # grid points that name a run already in the grid
    busy: list[str] = field(default_factory=list)  # runs another live process is training: left to it
    notes: list[str] = field(default_factory=list)  # one line per run left to another process or damaged


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
        old = _sweep_json(out / SWEEP)
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
        if held(folder / LOCK):  # looked at before the result: a trainer that ends meanwhile has written it
            plan.busy.append(key)
            plan.notes.append(f"run {key} is being trained by another live process{_owner(folder)}; left to it")
            continue
        before, damaged = run_state(folder)
        attempts = int((before or {}).get("attempts") or 0)
        if damaged:
            plan.notes.append(f"{damaged}; its files are moved to {key}/{DAMAGED}<time>/ and it trains again")
        elif before and (before.get("status") in FINAL or attempts >= options.max_attempts):
            continue
        swept = {n: values.get(n, jsonable(default(n))) for n in axes}
        keep = options.keep_weights == "all" or (options.keep_weights == "first-seed" and swept["seed"] == first_seed)
        plan.tasks.append(Task(out=str(out), key=key, config=config.to_dict(), swept=swept,
                               command=train_command(config),
                               attempt=attempts + 1, dispatch=secrets.token_hex(6), keep_weights=keep,
                               eval_n=options.eval_n, backend=options.backend, damaged=damaged or "",
                               driver=(socket.gethostname(), os.getpid(), start_time(os.getpid())),
                               device=options.device))
    return plan


def _owner(folder: Path) -> str:
    note = read_json(folder / MARKER) or {}
    return f" (pid {note['pid']} on {note.get('host')})" if "pid" in note else ""


def _sweep_json(path: Path) -> dict:
    """An existing sweep.json; ValueError (one line) that says what is wrong with it and what to do."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        why = None
    except json.JSONDecodeError as exc:
        old, why = None, f"is not valid JSON ({exc.msg}, line {exc.lineno}; truncated or edited?)"
    except (OSError, UnicodeDecodeError) as exc:
        old, why = None, f"cannot be read ({getattr(exc, 'strerror', None) or exc.__class__.__name__})"
    if why is None and not isinstance(old, dict):
        why = "is not a JSON object"
    elif why is None and old.get("version") != VERSION:
        why = f"has version {str(old.get('version'))[:20]!r}, this version reads {VERSION}"
    elif why is None and not (isinstance(old.get("axes"), dict) and isinstance(old.get("base", []), list)):
        why = "lacks its axes or base (an object of value lists, a list of flags)"
    if why:
        raise ValueError(f"{path} {why}; the run folders beside it are intact: move it aside and this command "
                         f"writes a new one from its own grid")
    return old


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

"""The grid a ``sweep`` asks for: every ``train`` flag as a comma list, plus ``--seeds``.

The flags are derived from the knobs in explorer.config, and every value is read by the ``train``
parser itself (explorer.flags.add_train_flags), so a value is valid here exactly when ``train``
accepts it, and each grid point is the run ``python -m explorer train <its flags>`` trains. A flag
with one value is a fixed setting; with several it is an axis. The seed is always an axis.
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass, fields

from ..config import ModelConfig, ObjectiveConfig, RunConfig, TrainConfig, knob_of
from ..flags import add_train_flags, config_from_args

_PARTS = (("model", ModelConfig), ("objective", ObjectiveConfig), ("train", TrainConfig))
#: A list-valued flag (``--pin posX,posY``) already uses commas, so its alternatives are split on this.
LIST_ALTERNATIVES = "/"
#: The largest seed a sweep takes (every generator it seeds takes 32 bits).
MAX_SEED = 2**32 - 1

_TRAIN = argparse.ArgumentParser(prog="train", add_help=False, exit_on_error=False)
add_train_flags(_TRAIN)


def _flag_fields():
    """(field, knob) of every setting with a flag, in the ``train`` parser's order."""
    for _, dc in _PARTS:
        for f in fields(dc):
            k = f.metadata.get("knob")
            if k is not None and k.flag:
                yield f, k


_FIELDS = {f.name: (f, k) for f, k in _flag_fields()}


def add_grid_flags(parser: argparse.ArgumentParser) -> None:
    """Every ``train`` flag, taking a comma list (``--pin`` takes alternatives split by ``/``), and ``--seeds``."""
    for f, k in _FIELDS.values():
        if f.name == "seed":
            continue
        if isinstance(f.default, bool):
            parser.add_argument(k.flag, dest=f.name, action="store_true", default=None, help=k.help + " (fixed)")
            continue
        sep = LIST_ALTERNATIVES if isinstance(f.default, tuple) else ","
        default = ",".join(f.default) or "all" if isinstance(f.default, tuple) else f.default
        parser.add_argument(k.flag, dest=f.name, default=None, metavar=f"A{sep}B{sep}…",
                            help=f"{k.help} (default: {default})")
    parser.add_argument("--seeds", "--seed", dest="seed", default="0", metavar="0,1,…",
                        help=f"{knob_of('seed').help} (default: 0)")


def default(name: str):
    """The value a run has when its flag is not given."""
    return _FIELDS[name][0].default


def flag(name: str) -> str:
    return _FIELDS[name][1].flag


def jsonable(value):
    """Tuples as lists: the form sweep.json and result.json hold, so old and new values compare equal."""
    return list(value) if isinstance(value, tuple) else value


def convert(name: str, text: str):
    """One value as ``train`` reads it (its type, its choices), or ValueError with a one-line reason."""
    f, k = _FIELDS[name]
    if text.strip() == "" and not isinstance(f.default, tuple):
        raise ValueError(f"{k.flag} has an empty value")
    try:
        config = config_from_args(_TRAIN.parse_args([k.flag, text]))
    except argparse.ArgumentError as exc:
        raise ValueError(str(exc)) from None
    for part, dc in _PARTS:
        if name in {g.name for g in fields(dc)}:
            return jsonable(getattr(getattr(config, part), name))
    raise KeyError(name)


@dataclass
class Grid:
    """What one command asked for: each given field's values (one: fixed; several: an axis) and their spelling."""

    values: dict[str, list]   # field -> values, JSON-safe; "seed" always present
    texts: dict[str, list]    # field -> the same values as typed (None for a switch such as --download)

    @property
    def axes(self) -> list[str]:
        """The swept fields in flag order, the seed last."""
        return [n for n, v in self.values.items() if len(v) > 1 and n != "seed"] + ["seed"]

    def fixed(self) -> dict:
        return {n: v[0] for n, v in self.values.items() if n not in self.axes}

    def base(self) -> list[str]:
        """The ``train`` flags every run shares."""
        return base_flags({n: self.texts[n][0] for n in self.fixed()})

    def points(self) -> list[tuple[dict, RunConfig]]:
        """(every given field's value, the RunConfig) of each grid point, each config validated.

        Raises ValueError with a one-line reason, naming the point, for the first that cannot train.
        """
        names = list(self.values)
        out = []
        for combo in itertools.product(*(range(len(self.values[n])) for n in names)):
            argv = []
            for n, i in zip(names, combo):
                text = self.texts[n][i]
                argv += [flag(n)] if text is None else [flag(n), text]
            try:
                config = config_from_args(_TRAIN.parse_args(argv))
                config.validate()
            except (argparse.ArgumentError, ValueError) as exc:
                where = ", ".join(f"{n}={self.values[n][i]}" for n, i in zip(names, combo) if n in self.axes)
                raise ValueError(f"{where}: {exc}" if where else str(exc)) from None
            out.append(({n: self.values[n][i] for n, i in zip(names, combo)}, config))
        return out


def base_flags(texts: dict) -> list[str]:
    """``train`` flags for fixed fields given as typed (None: a switch)."""
    argv = []
    for name in _FIELDS:
        if name in texts:
            argv += [flag(name)] if texts[name] is None else [flag(name), texts[name]]
    return argv


def grid_from_args(args: argparse.Namespace) -> Grid:
    """The grid the parsed sweep flags describe; ValueError (one line) for any value ``train`` would refuse."""
    values, texts = {}, {}
    for name, (f, _) in _FIELDS.items():
        raw = getattr(args, name, None)
        if raw is None:
            continue
        if isinstance(f.default, bool):
            values[name], texts[name] = [True], [None]
            continue
        sep = LIST_ALTERNATIVES if isinstance(f.default, tuple) else ","
        seen = {}
        for text in raw.split(sep):
            value = convert(name, text.strip())
            key = repr(value)
            if key not in seen:
                seen[key] = (value, text.strip())
        values[name] = [v for v, _ in seen.values()]
        texts[name] = [t for _, t in seen.values()]
    if "steps" in values and "seconds" in values:
        raise ValueError("give --steps or --seconds, not both")
    bad = [t for v, t in zip(values.get("seed", []), texts.get("seed", [])) if not 0 <= v <= MAX_SEED]
    if bad:
        raise ValueError(f"--seeds takes whole numbers from 0 to {MAX_SEED}; got {bad[0]}")
    return Grid(values, texts)


def base_from_flags(argv: list[str]) -> tuple[dict, dict]:
    """(values, texts) of the fixed fields a sweep.json ``base`` spells."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    add_grid_flags(parser)
    try:
        grid = grid_from_args(parser.parse_args(list(argv)))
    except argparse.ArgumentError as exc:
        raise ValueError(f"sweep.json has a base this version cannot read ({exc})") from None
    values = {n: v[0] for n, v in grid.values.items() if n != "seed"}
    return values, {n: grid.texts[n][0] for n in values}

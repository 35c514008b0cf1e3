"""A run's settings as command-line flags, both ways, derived from the knobs in explorer.config.

``add_train_flags`` builds the ``train`` flags from each field's Knob; ``config_from_args`` reads them
back; ``parse_train`` does both for a list of strings; ``to_argv`` writes a config as the shortest
flags that reproduce it (inert fields left out), which is how the gallery index records its
commands. No field is described anywhere else.
"""
from __future__ import annotations

import argparse
import shlex
from dataclasses import fields

from .config import ModelConfig, ObjectiveConfig, RunConfig, TrainConfig, knobs

_PARTS = (("model", ModelConfig), ("objective", ObjectiveConfig), ("train", TrainConfig))
#: Budget flags are one choice (a mutually exclusive pair); steps wins when both are set.
_BUDGET = ("steps", "seconds")


def _type(default, name: str):
    if name == "seconds":
        return float
    if name == "steps":
        return int
    return type(default) if default is not None else str


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    """Every knob with a flag, its help and default in the help text."""
    budget = parser.add_mutually_exclusive_group()
    for _, dc in _PARTS:
        for f in fields(dc):
            k = f.metadata.get("knob")
            if k is None or k.flag is None:
                continue
            text = f"{k.help} (default: {','.join(f.default) or 'all' if isinstance(f.default, tuple) else f.default})"
            if isinstance(f.default, bool):
                parser.add_argument(k.flag, dest=f.name, action="store_true", help=k.help)
            elif isinstance(f.default, tuple):
                parser.add_argument(k.flag, dest=f.name, type=str, default="", metavar="A,B,…", help=text)
            elif f.name in _BUDGET:
                budget.add_argument(k.flag, dest=f.name, type=_type(f.default, f.name), default=None, help=text)
            else:
                parser.add_argument(k.flag, dest=f.name, type=_type(f.default, f.name), default=f.default,
                                    choices=k.choices, help=text)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig the parsed flags describe (defaults for everything not given)."""
    parts = {}
    for part, dc in _PARTS:
        parts[part] = dc(**{name: getattr(args, name) for name in knobs(dc) if hasattr(args, name)
                            and name not in _BUDGET})
    t = parts["train"]
    if args.steps is not None:
        t.steps, t.seconds = args.steps, None
    elif args.seconds is not None:
        t.steps, t.seconds = None, args.seconds
    return RunConfig(**parts)


def parse_train(argv) -> RunConfig:
    """What ``python -m explorer train <argv>`` trains: how code states a run by its command line."""
    parser = argparse.ArgumentParser(prog="train", add_help=False)
    add_train_flags(parser)
    return config_from_args(parser.parse_args(list(argv)))


def to_argv(config: RunConfig) -> list[str]:
    """The shortest ``train`` flags that reproduce ``config``: every field that applies and differs from its default."""
    c = config.normalised()
    argv = []
    for part, dc in _PARTS:
        for f in fields(dc):
            k = f.metadata.get("knob")
            value = getattr(getattr(c, part), f.name)
            if k is None or k.flag is None or value == f.default or value is None:
                continue
            if isinstance(value, bool):
                argv.append(k.flag)
            elif isinstance(value, tuple):
                argv += [k.flag, ",".join(value)]
            else:
                argv += [k.flag, _number(value) if isinstance(value, float) else str(value)]
    return argv


def train_command(config: RunConfig) -> str:
    """The shell command that trains ``config``: ``python -m explorer train`` and :func:`to_argv`'s flags."""
    return shlex.join(["python", "-m", "explorer", "train", *to_argv(config)])


def _number(value: float) -> str:
    """'4' for 4.0, '0.001' for 1e-3: short, and exactly the value when read back."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)

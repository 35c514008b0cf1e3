"""Where a training or an evaluation runs: ``--device auto|cpu|cuda|cuda:N``, resolved once, before any work.

``auto`` is the GPU when torch sees one, else the CPU. A name that cannot work (``cuda`` without a GPU, a
GPU index beyond the ones present, a misspelling) is a ``ValueError`` in one line, which the CLI prints as
its refusal. Weights always leave a training on the CPU (explorer.trainer), so a checkpoint loads on any host.
Only the syntax check (:func:`check_name`) is free of torch: the app's server passes the name on unresolved.
"""
from __future__ import annotations

import contextlib
import os
import re

HELP = "auto (a GPU when there is one, else the CPU), cpu, cuda or cuda:N (default: $EXPLORER_DEVICE, else auto)"
#: Sets the default of ``--device`` for train, eval and sweep (a test run sets it to cpu, so a GPU host tests the
#: CPU path and only the CUDA tests ask for the GPU).
DEFAULT_ENV = "EXPLORER_DEVICE"
#: How a run made before the device was recorded reads.
UNKNOWN = "unknown"
_NAME = re.compile(r"(auto|cpu|cuda)(:\d+)?")


def default_name() -> str:
    """``--device``'s default: ``$EXPLORER_DEVICE``, else auto."""
    return os.environ.get(DEFAULT_ENV, "").strip() or "auto"


def add_flag(parser, what: str) -> None:
    """``--device`` on a command's parser (train, eval, sweep); ``what`` says what runs there."""
    parser.add_argument("--device", default=default_name(), help=f"where {what}: {HELP}")


def check_name(name: str, what: str = "--device") -> str:
    """``name`` stripped and lower-cased when it is a device name, else ValueError in one line (no torch);
    ``what`` names the setting in the message (a flag, or the app's environment variable)."""
    text = str(name).strip().lower()
    match = _NAME.fullmatch(text)
    if not match or (match.group(2) and match.group(1) != "cuda"):
        raise ValueError(f"{what} must be auto, cpu, cuda or cuda:N, not {str(name)[:40]!r}")
    return text


def resolve(name: str = "auto", what: str = "--device"):
    """The ``torch.device`` that ``name`` means on this host; ValueError in one line when it has no such device."""
    import torch

    text = check_name(name, what)
    if text == "cpu" or (text == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(f"{what} {text}: torch sees no CUDA GPU on this host (torch {torch.__version__}, "
                         f"built {'with CUDA ' + torch.version.cuda if torch.version.cuda else 'without CUDA'}); "
                         f"use cpu or auto")
    device = torch.device("cuda" if text == "auto" else text)
    index = device.index if device.index is not None else torch.cuda.current_device()
    if index >= torch.cuda.device_count():
        raise ValueError(f"{what} {text}: this host has {torch.cuda.device_count()} CUDA GPU(s), numbered from 0")
    return torch.device("cuda", index)


def describe(device) -> str:
    """How a run records its device: ``cpu``, or ``cuda:0 (<the GPU's name>)``."""
    import torch

    device = torch.device(device)
    if device.type != "cuda":
        return device.type
    index = device.index if device.index is not None else torch.cuda.current_device()
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"


def recorded(metrics: dict | None) -> str:
    """The device a run's metrics (or a result's host block) record; ``unknown`` for runs made before it was."""
    value = (metrics or {}).get("device")
    return value if isinstance(value, str) and value else UNKNOWN


def model_device(model):
    """The device a model's weights are on."""
    return next(model.parameters()).device


@contextlib.contextmanager
def on_device(model, device=None):
    """``model`` moved to ``device`` for the block (None: left where it is), and back where it was after it."""
    home = model_device(model)
    if device is None or home == device:
        yield model
        return
    model.to(device)
    try:
        yield model
    finally:
        model.to(home)

"""How one setting is offered to people: the metadata every config field carries (explorer.config).

The CLI parser, the Train page's controls and the link keys are derived from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable


@dataclass(frozen=True)
class Knob:
    """How one setting is offered: flag, link key, words and widget (``options`` or ``lo``/``hi``/``step``)."""

    help: str
    flag: str | None = None
    url: str | None = None
    label: str | None = None
    choices: tuple | None = None
    options: tuple | None = None
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    applies: Callable[[Any], bool] | None = None  # given the RunConfig: does this field do anything?


def knob(default, help: str, **kw) -> Any:
    return field(default=default, metadata={"knob": Knob(help=help, **kw)})


def knobs(dc) -> dict[str, Knob]:
    """field name -> Knob of one config dataclass."""
    return {f.name: f.metadata["knob"] for f in fields(dc) if "knob" in f.metadata}


#: name -> one line for the screen, in order of strength; explorer.models.DECODERS builds exactly these (a test checks).
DECODER_HELP = {
    "mlp": "factorised, small MLP (z→256→4096): cannot collapse at β=1",
    "conv": "factorised, standard transposed-conv decoder (Burgess): cannot collapse at β=1",
    "broadcast": "factorised, spatial broadcast (z tiled over a grid + coordinates): cannot collapse at β=1",
    "pixelcnn1": "autoregressive, 7×7 mask-A + 1 masked layer (receptive field 4 rows)",
    "pixelcnn2": "autoregressive, 7×7 mask-A + 2 masked layers (5 rows)",
    "pixelcnn4": "autoregressive, 7×7 mask-A + 4 masked layers (7 rows)",
    "pixelcnn8": "autoregressive, 7×7 mask-A + 8 masked layers (11 rows): the strongest, collapses at β=1",
}

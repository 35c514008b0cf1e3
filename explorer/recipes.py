"""Presets as code: the runs the gallery ships, the benchmarks measure and the Train page offers.

Each recipe is a function returning a RunConfig; what it changes from the defaults is written
once, here. The gallery's index records each as the ``train`` command that reproduces it
(explorer.flags.to_argv), so the README's commands and the shipped checkpoints cannot drift apart.
"""
from __future__ import annotations

from dataclasses import replace

from .config import ModelConfig, ObjectiveConfig, RunConfig, TrainConfig

#: The gallery's broadcast runs: 8,000 steps of 16 images.
GALLERY_STEPS = 8000
#: Collapse and its cure: 1,600 steps of the pace collapse was measured with.
AR_STEPS = 1600


#: The total-correlation weight of the plain β-VAE: the gallery's runs, the β ladder, collapse and its cure.
BETA_VAE = 0.0


def short_run(beta: float = 4.0, seed: int = 0, steps: int | None = None, labels: int = 0,
              pinned: tuple[str, ...] = (), tc_weight: float | None = None) -> RunConfig:
    """The short-run recipe: every default (broadcast decoder, batch 16, 10 % warm-up, lr decay over the second
    half, the default total-correlation weight and step budget unless ``tc_weight`` and ``steps`` say otherwise)."""
    t = TrainConfig(seed=seed, labels=labels)
    o = ObjectiveConfig(beta=beta, pinned=pinned)
    return RunConfig(ModelConfig(), o if tc_weight is None else replace(o, tc_weight=tc_weight),
                     replace(t, steps=steps) if steps else t)


def conv_ladder(beta: float) -> RunConfig:
    """The Burgess conv decoder's β ladder as it was trained: 2,000 steps of 64, 30 % warm-up, constant lr."""
    return RunConfig(ModelConfig(decoder="conv"), ObjectiveConfig(beta=beta, warmup_fraction=0.3, tc_weight=BETA_VAE),
                     TrainConfig(steps=2000, seconds=None, batch_size=64, log_every=50, lr_decay_start=1.0))


def collapse(steps: int = AR_STEPS, decoder: str = "pixelcnn8", seed: int = 0) -> RunConfig:
    """Collapse on demand: the strongest autoregressive decoder at β = 1, no annealing, no free bits.

    Batch 16 at lr 1e-3, constant: a pixelcnn step costs about as much per image at 16 as at 32, and
    the collapsed code's leftover KL falls with the number of steps (docs/collapse.md).
    """
    return RunConfig(ModelConfig(decoder=decoder), ObjectiveConfig(beta=1.0, schedule="constant", tc_weight=BETA_VAE),
                     TrainConfig(steps=steps, seconds=None, seed=seed, batch_size=16, lr=1e-3, lr_decay_start=1.0,
                                 log_every=40))


def cure(steps: int = AR_STEPS, decoder: str = "pixelcnn8", seed: int = 0) -> RunConfig:
    """Collapse's cure: the same decoder and pace with a 30 % KL warm-up and 1 nat of Kingma free bits per dim."""
    base = collapse(steps, decoder, seed)
    return replace(base, objective=ObjectiveConfig(beta=1.0, schedule="linear", warmup_fraction=0.3, free_bits=1.0,
                                                   free_bits_mode="batch", tc_weight=BETA_VAE))


def is_autoregressive(config: RunConfig) -> bool:
    return config.model.decoder.startswith("pixelcnn")

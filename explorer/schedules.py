"""KL weight schedules as typed objects of training progress p ∈ [0, 1] (each with only its own fields).

Progress is steps done / step budget (deterministic), or elapsed / seconds budget. ``kl_schedule``
picks the schedule an objective config names; the capacity objective has its own target ramp.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import ObjectiveConfig


def _clip(p: float) -> float:
    return min(max(p, 0.0), 1.0)


@dataclass(frozen=True)
class Constant:
    """β from the first step."""

    def factor(self, progress: float) -> float:
        return 1.0


@dataclass(frozen=True)
class LinearWarmup:
    """Bowman et al. 2016: the weight rises from ``start``·β to β over the first ``fraction`` of the run."""

    fraction: float
    start: float = 0.0

    def factor(self, progress: float) -> float:
        return self.start + (1.0 - self.start) * min(1.0, _clip(progress) / self.fraction)


@dataclass(frozen=True)
class Cyclical:
    """Fu et al. 2019: ``cycles`` cycles, each ramping from 0 to 1 over its first ``ramp_fraction``."""

    cycles: int
    ramp_fraction: float

    def factor(self, progress: float) -> float:
        p = _clip(progress)
        if p >= 1.0:
            return 1.0
        return min(1.0, ((p * self.cycles) % 1.0) / self.ramp_fraction)


@dataclass(frozen=True)
class CapacityRamp:
    """Burgess et al. 2018: the target KL C rises linearly to ``capacity_max`` over ``fraction`` of the run."""

    capacity_max: float
    fraction: float = 1.0

    def target(self, progress: float) -> float:
        return self.capacity_max * min(1.0, _clip(progress) / self.fraction)


def kl_schedule(cfg: ObjectiveConfig, steps: int | None = None) -> Constant | LinearWarmup | Cyclical:
    """The β schedule an objective config names (capacity runs hold the KL at a target instead: Constant).

    With a step budget, a linear warm-up lasts at least ``warmup_steps`` steps (or the whole run if it
    is shorter): a tenth of a 200-step run is too brief for the decoder to learn to read z."""
    if cfg.schedule == "linear":
        fraction = cfg.warmup_fraction
        if steps and cfg.warmup_steps:
            fraction = max(fraction, min(1.0, cfg.warmup_steps / steps))
        return LinearWarmup(fraction, cfg.warmup_start)
    if cfg.schedule == "cyclical":
        return Cyclical(cfg.cycles, cfg.ramp_fraction)
    return Constant()


def kl_factor(cfg: ObjectiveConfig, progress: float, steps: int | None = None) -> float:
    """Multiplier in [0, 1] on β at this point of the run (1 for constant and capacity)."""
    return kl_schedule(cfg, steps).factor(progress)


def capacity(cfg: ObjectiveConfig, progress: float) -> float:
    """Target KL C in nats (Burgess et al. 2018), rising linearly to capacity_max."""
    return CapacityRamp(cfg.capacity_max, cfg.capacity_fraction).target(progress)


def lr_factor(decay_start: float, progress: float) -> float:
    """Multiplier on the learning rate: 1 until ``decay_start``, then linearly down to 0 at the end."""
    p = _clip(progress)
    if decay_start >= 1.0 or p <= decay_start:
        return 1.0
    return (1.0 - p) / (1.0 - decay_start)

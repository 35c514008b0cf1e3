"""KL weight schedules as functions of training progress p ∈ [0, 1].

Progress is steps done / step budget (deterministic), or elapsed / seconds budget.
"""
from __future__ import annotations

from .config import ObjectiveConfig


def kl_factor(cfg: ObjectiveConfig, progress: float) -> float:
    """Multiplier in [0, 1] on β at this point of the run (1 for constant and capacity)."""
    p = min(max(progress, 0.0), 1.0)
    if cfg.schedule == "linear":  # Bowman et al. 2016
        return cfg.warmup_start + (1.0 - cfg.warmup_start) * min(1.0, p / cfg.warmup_fraction)
    if cfg.schedule == "cyclical":  # Fu et al. 2019: M cycles, ramp over the first R of each
        if p >= 1.0:
            return 1.0
        tau = (p * cfg.cycles) % 1.0
        return min(1.0, tau / cfg.ramp_fraction)
    return 1.0


def capacity(cfg: ObjectiveConfig, progress: float) -> float:
    """Target KL C in nats (Burgess et al. 2018), rising linearly to capacity_max."""
    p = min(max(progress, 0.0), 1.0)
    return cfg.capacity_max * min(1.0, p / cfg.capacity_fraction)


def lr_factor(decay_start: float, progress: float) -> float:
    """Multiplier on the learning rate: 1 until ``decay_start``, then linearly down to 0 at the end."""
    p = min(max(progress, 0.0), 1.0)
    if decay_start >= 1.0 or p <= decay_start:
        return 1.0
    return (1.0 - p) / (1.0 - decay_start)

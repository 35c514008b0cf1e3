"""A training run's result: config, model, history, final metrics and how it ended."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import RunConfig

if TYPE_CHECKING:  # a run held by the server has no model, and the server never imports torch
    from .models import VAE

#: History columns recorded at every log point (per-dim KL is a list per row).
HISTORY_KEYS = (
    "step", "images", "seconds", "loss", "recon", "kl", "kl_penalised", "kl_weight", "capacity", "lr",
    "kl_per_dim", "eval_kl", "active_units", "informative_units", "mi", "mig",
    "index_code_mi", "total_correlation", "dimwise_kl",  # the evaluation KL split three ways (Chen et al. 2018)
    "label_loss", "pinned_mi",  # runs with labels only (None otherwise)
)


@dataclass
class Run:
    config: RunConfig
    model: "VAE | None"
    history: dict[str, list] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    metrics: dict = field(default_factory=dict)
    #: "running", "completed", "cancelled" or "diverged"
    status: str = "running"
    reason: str = ""
    #: explorer.view_data.RunViews, when whoever trained it also drew what the pages show
    views: object = None
    #: where the weights are when they live outside this process (``model`` is then None): a server's
    #: trainings leave them in a file for the model process, so the server never loads torch
    checkpoint: str | None = None

    def last(self, key: str, default=None):
        values = self.history.get(key) or []
        return values[-1] if values else default

"""What to call each latent, and which latents to show: plain dicts of metrics in, strings and indices out.

Every page that names a latent (traversal rows, sliders, heatmap axes) uses these, so a latent is
called the same everywhere; no torch here, so pages that only show stored views can import it.
"""
from __future__ import annotations

from .metrics.collapse import ACTIVE_VARIANCE, INFORMATIVE_NATS
from .metrics.mig import latent_factor_labels


def active_dims(metrics: dict) -> list[int]:
    """The latents a run's metrics call active (Burda: variance of the posterior mean over the data)."""
    return [d for d, v in enumerate(metrics.get("posterior_mean_variance") or []) if v > ACTIVE_VARIANCE]


def used_dims(metrics: dict) -> list[int]:
    """The latents that carry information: informative (signal-to-noise) where the run recorded it.

    Burda's count is fooled by a collapsed latent whose means jitter while σ ≈ 1, so a name or a
    slider goes only to informative dimensions; runs scored before that was recorded fall back
    to the active ones.
    """
    nats = metrics.get("informative_nats")
    if nats is None:
        return active_dims(metrics)
    return [d for d, v in enumerate(nats) if v > INFORMATIVE_NATS]


def dimension_names(metrics: dict, factor_names, n_dims: int | None = None) -> list[str]:
    """A name per latent for every place the dashboard shows one.

    'z0 = posX (pinned)' for a dimension tied to its factor by labels; otherwise 'z3 · posX'
    for a used dimension (``used_dims``) whose largest MI (over 0.05 nats) is with posX; else plain 'z3'.
    """
    pinned = {int(d): name for d, name in (metrics.get("pinned") or {}).items()}
    mi = metrics.get("mi_matrix")
    if n_dims is None:
        n_dims = len(metrics.get("posterior_mean_variance") or metrics.get("kl_per_dim") or [])
    # below 0.05 nats the dim tells little about any factor
    best = latent_factor_labels(mi, factor_names, min_mi=0.05, unlabeled="") if mi and factor_names else []
    active = set(used_dims(metrics))
    names = []
    for d in range(n_dims):
        if d in pinned:
            names.append(f"z{d} = {pinned[d]} (pinned)")
        elif d in active and d < len(best) and best[d]:
            names.append(f"z{d} · {best[d]}")
        else:
            names.append(f"z{d}")
    return names


#: Below this many nats (signal-to-noise capacity) a latent moves its row too little to see.
LITTLE_NATS = 0.5


def row_labels(metrics: dict, factor_names: tuple[str, ...] | None, dims: list[int] | None = None) -> list[str]:
    """One label per latent: 'z3 · posX · KL 2.1', 'z0 = posX (pinned) · KL 3.0', 'z8 · KL 0.0 · no information'.

    A dimension that carries information but too little to move its row visibly (a pinned one
    whose labels tie the encoder's mean to a factor the decoder reads elsewhere, say) is marked
    'carries little', so the label does not promise a change the row does not show.
    """
    kl = metrics.get("kl_per_dim") or []
    nats = metrics.get("informative_nats") or []
    names = dimension_names(metrics, factor_names, len(kl))
    used = set(used_dims(metrics))
    dims = list(range(len(kl))) if dims is None else dims
    labels = []
    for d in dims:
        parts = [names[d] if d < len(names) else f"z{d}", f"KL {kl[d]:.1f}" if d < len(kl) else ""]
        if d not in used:
            parts.append("no information")
        elif d < len(nats) and nats[d] < LITTLE_NATS:
            parts.append("carries little")
        labels.append(" · ".join(p for p in parts if p))
    return labels

"""Locatello et al.'s figure in miniature: every seed of a sweep as a point, the median per group drawn through.

Plain Plotly and arithmetic on the chart's own points (explorer.ui.sweeps.chart_points), so the
sentence under the chart says exactly what the chart shows.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def strip_figure(points: pd.DataFrame, x_label: str, y_label: str, scale: str = "category",
                 group_title: str = "") -> go.Figure:
    """Seeds as dodged, evenly jittered points per x value and group; a line through each group's medians.

    ``scale``: "log" or "linear" place x at its value (x_value), "category" at its order (x); the
    dodge and jitter are a fixed fraction of the smallest gap between x positions, so they repeat.
    """
    fig = go.Figure()
    cells = points.drop_duplicates("x").sort_values("x")
    u = {x: _u(x, v, scale) for x, v in zip(cells["x"], cells.get("x_value", cells["x"]))}
    gaps = [b - a for a, b in zip(sorted(u.values()), sorted(u.values())[1:]) if b > a]
    groups = list(dict.fromkeys(points["group"]))
    slot = 0.6 * (min(gaps) if gaps else 1.0) / max(len(groups), 1)
    place = (lambda v: 10 ** v) if scale == "log" else (lambda v: v)
    for g, group in enumerate(groups):
        color, centre = PALETTE[g % len(PALETTE)], (g - (len(groups) - 1) / 2) * slot
        mine = points[points["group"] == group]
        xs, medians = [], []
        for x, cell in mine.groupby("x", sort=True):
            n = len(cell)
            offsets = [0.0] if n == 1 else [(i / (n - 1) - 0.5) * 0.6 * slot for i in range(n)]
            fig.add_trace(go.Scatter(
                x=[place(u[x] + centre + o) for o in offsets], y=cell["y"].tolist(), mode="markers",
                name="seeds" if group == "all" else group, legendgroup=group, showlegend=bool(x == mine["x"].min()),
                marker=dict(size=9, color=color, opacity=0.75, line=dict(width=1, color="white")),
                text=cell["text"].tolist(), hovertemplate="%{text}<extra></extra>"))
            xs.append(place(u[x] + centre))
            medians.append((float(cell["y"].median()), n, cell["x_text"].iloc[0]))
        fig.add_trace(go.Scatter(
            x=xs, y=[m for m, _, _ in medians], mode="lines+markers", legendgroup=group, showlegend=False,
            name=f"median ({group})", line=dict(color=color, width=2),
            marker=dict(symbol="line-ew", size=30, line=dict(width=4, color=color)),
            text=[f"median {y_label} = {m:.4g} at {x_label} = {t} ({n} seeds)" for m, n, t in medians],
            hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name="median of the seeds",
                             line=dict(color="grey", width=2), marker=dict(symbol="line-ew", size=16,
                                                                             line=dict(width=3, color="grey"))))
    ticks = sorted(u.items())
    fig.update_xaxes(type="log" if scale == "log" else "linear", tickvals=[place(v) for _, v in ticks],
                     ticktext=[cells.set_index("x").loc[x, "x_text"] for x, _ in ticks],
                     title_text=x_label + (" (log scale)" if scale == "log" else ""))
    if ticks:
        pad = 0.6 * (min(gaps) if gaps else 1.0)
        fig.update_xaxes(range=[ticks[0][1] - pad, ticks[-1][1] + pad])  # log axes take log10 units
    ys = points["y"]
    if len(ys) and ys.min() >= 0 and ys.min() < 0.5 * ys.max():
        fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(title_text=y_label)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, title_text=group_title))
    return fig


def spread_sentence(points: pd.DataFrame, label: str, x_label: str, max_groups: int = 4) -> str | None:
    """How the medians move across x, against the widest spread between seeds at one x (per group)."""
    if points.empty:
        return None
    parts = []
    groups = list(dict.fromkeys(points["group"]))
    for group in groups[:max_groups]:
        mine = points[points["group"] == group]
        cells = [(c["x_text"].iloc[0], float(c["y"].median()), float(c["y"].min()), float(c["y"].max()), len(c))
                 for _, c in mine.groupby("x", sort=True)]
        medians = [m for _, m, _, _, _ in cells]
        lead = "" if group == "all" else f"{group}: "
        spread = max((c for c in cells if c[4] > 1), key=lambda c: c[3] - c[2], default=None)
        if len(cells) == 1:
            text = f"{lead}median {label} {_num(medians[0])} at {x_label} = {cells[0][0]}"
            parts.append(text + (f"; its seeds range {_num(spread[2])}–{_num(spread[3])}." if spread else "."))
            continue
        shown = _arrows([_num(m) for m in medians])
        text = f"{lead}median {label} {shown} across {x_label} = {_arrows([c[0] for c in cells])}"
        change = max(medians) - min(medians)
        if spread is None:
            parts.append(text + f"; one seed per {x_label}, so there is no seed spread to set against that.")
            continue
        width = spread[3] - spread[2]
        where = f"{_num(spread[2])}–{_num(spread[3])} at {x_label} = {spread[0]}"
        if _num(width) == _num(change):
            verdict = f"is about as wide as the change across {x_label} ({_num(change)})"
        elif width > change:
            verdict = (f"is wider than the whole change across {x_label} ({_num(change)}): "
                       f"the seed moves {label} as much as {x_label} does")
        else:
            verdict = (f"is narrower than the change across {x_label} ({_num(change)}): "
                       f"{x_label}, more than the seed, sets {label}")
        parts.append(f"{text}; the widest spread between seeds at one {x_label} ({where}) {verdict}.")
    if len(groups) > max_groups:
        parts.append(f"(and {len(groups) - max_groups} more group(s) in the chart)")
    return "\n\n".join(parts)


def _u(x, value, scale: str) -> float:
    """Where an x cell sits before dodging: log10 of its value, the value, or its order."""
    try:
        if scale == "log":
            return math.log10(float(value))
        if scale == "linear":
            return float(value)
    except (TypeError, ValueError):
        pass
    return float(x)


def _arrows(items: list[str]) -> str:
    return " → ".join(items if len(items) <= 6 else [*items[:3], "…", *items[-2:]])


def _num(v: float) -> str:
    if float(v).is_integer():
        return f"{int(v)}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:,.0f}"

"""Latent-vs-factor figure: one row per latent, its mean code against position, scale and orientation.

Plain plotly (no Streamlit, no torch): it draws the dict of :func:`explorer.latent_factors.latent_factor_means`.
Within a row the three panels share one value range centred on the latent's grid mean, so a pale
map or a flat line reads directly as "this latent ignores that factor".
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ROW_HEIGHT = 220
#: One colour and marker per shape (square, ellipse, heart), so lines stay apart even in grey.
SHAPE_STYLES = (("#1f77b4", "square"), ("#d62728", "circle"), ("#2ca02c", "diamond"))
#: Diverging: blue below the latent's mean, red above, white at it.
COLOURSCALE = "RdBu_r"
#: A factor must explain at least this share of a latent's variance to be named in its row title.
TITLE_SHARE = 0.1


def latent_factor_figure(result: dict, dims: list[int], dim_labels: list[str] | None = None,
                         title: str = "") -> go.Figure:
    """Rows of [posX × posY map | μ vs scale | μ vs orientation] for the chosen latents ``dims``.

    ``dim_labels`` names every latent (indexed by dimension, e.g. ``dimension_names``); without
    it rows are called ``z3``. Each row title adds the factors that explain most of that latent.
    """
    if not dims:
        return _empty_figure(title)
    n_dims = len(result["mean"])
    bad = [d for d in dims if not 0 <= d < n_dims]
    if bad:
        raise ValueError(f"latents {bad} do not exist: the code has {n_dims} dimensions")
    rows = len(dims)
    titles = []
    for i, d in enumerate(dims):
        label = dim_labels[d] if dim_labels and d < len(dim_labels) else f"z{d}"
        titles += [f"<b>{label}</b>{_share_text(result, d)}",
                   "mean μ vs scale" if i == 0 else "", "mean μ vs orientation" if i == 0 else ""]
    fig = make_subplots(rows=rows, cols=3, subplot_titles=titles, column_widths=[0.3, 0.35, 0.35],
                        horizontal_spacing=0.1, vertical_spacing=min(0.12, 0.35 / rows))
    for i, d in enumerate(dims):
        _add_row(fig, result, d, row=i + 1, first=i == 0)
    _place_colourbars(fig)
    for i in range(rows):
        fig.update_xaxes(title_text="posX", title_standoff=2, row=i + 1, col=1)
        fig.update_yaxes(title_text="posY", title_standoff=2, autorange="reversed", scaleanchor=f"x{3 * i + 1}",
                         constrain="domain", row=i + 1, col=1)
        fig.update_xaxes(constrain="domain", constraintoward="right", row=i + 1, col=1)
    fig.update_xaxes(title_text="scale", title_standoff=2, col=2)
    fig.update_xaxes(title_text="orientation (°)", title_standoff=2, tickvals=[0, 90, 180, 270, 360], col=3)
    fig.update_annotations(font_size=12)
    fig.update_layout(title=title or None, height=ROW_HEIGHT * rows + 90,
                      margin=dict(l=10, r=10, t=60 if title else 40, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0 + 40 / (ROW_HEIGHT * rows),
                                  xanchor="right", x=1.0, title_text="shape"))
    return fig


def _add_row(fig: go.Figure, result: dict, d: int, row: int, first: bool) -> None:
    """The heatmap and two line panels of latent ``d``, all on one range around its grid mean."""
    centre = float(result["mean"][d])
    lines = np.concatenate([result["scale"][d].ravel(), result["orientation"][d].ravel()])
    span = max(float(np.max(np.abs(result["position"][d] - centre))), float(np.max(np.abs(lines - centre))), 1e-6)
    fig.add_trace(go.Heatmap(z=result["position"][d], x=result["posX_values"], y=result["posY_values"],
                             colorscale=COLOURSCALE, zmin=centre - span, zmax=centre + span, zmid=centre,
                             colorbar=dict(thickness=10, tickfont=dict(size=10)),
                             hovertemplate="posX %{x:.2f}<br>posY %{y:.2f}<br>mean μ %{z:.3f}<extra></extra>"),
                  row=row, col=1)
    for s, name in enumerate(result["shape_names"]):
        colour, symbol = SHAPE_STYLES[s % len(SHAPE_STYLES)]
        style = dict(mode="lines+markers", line=dict(color=colour, width=2), marker=dict(symbol=symbol, size=6),
                     name=name, legendgroup=name)
        fig.add_trace(go.Scatter(x=result["scale_values"], y=result["scale"][d, s], showlegend=first,
                                 hovertemplate=f"{name}<br>scale %{{x:.1f}}<br>mean μ %{{y:.3f}}<extra></extra>",
                                 **style), row=row, col=2)
        fig.add_trace(go.Scatter(x=result["orientation_degrees"], y=result["orientation"][d, s], showlegend=False,
                                 hovertemplate=f"{name}<br>%{{x:.0f}}°<br>mean μ %{{y:.3f}}<extra></extra>",
                                 **style), row=row, col=3)
    y_range = [centre - 1.1 * span, centre + 1.1 * span]
    fig.update_yaxes(range=y_range, row=row, col=2)
    fig.update_yaxes(range=y_range, row=row, col=3)


def _place_colourbars(fig: go.Figure) -> None:
    """Put each row's colour bar just right of its heatmap and as tall as it."""
    heatmaps = [t for t in fig.data if isinstance(t, go.Heatmap)]
    for i, trace in enumerate(heatmaps):
        xdomain = fig.layout[f"xaxis{'' if i == 0 else 3 * i + 1}"].domain
        ydomain = fig.layout[f"yaxis{'' if i == 0 else 3 * i + 1}"].domain
        trace.colorbar.update(x=xdomain[1] + 0.005, xanchor="left", y=(ydomain[0] + ydomain[1]) / 2,
                              yanchor="middle", len=ydomain[1] - ydomain[0], lenmode="fraction")


def _share_text(result: dict, d: int) -> str:
    """' — posX 88% · posY 12%': the factors explaining at least TITLE_SHARE of the latent, largest first."""
    explained = result.get("explained")
    if explained is None:
        return ""
    shares = np.asarray(explained[d], dtype=float)
    order = [k for k in np.argsort(-shares) if shares[k] >= TITLE_SHARE]
    if not order:
        return " — no factor explains it"
    return " — " + " · ".join(f"{result['factor_names'][k]} {shares[k]:.0%}" for k in order)


def _empty_figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="No informative latent to plot: every dimension's mean code is (nearly) constant.",
                       x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title=title or None, height=200, margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig

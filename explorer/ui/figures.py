"""Plotly figures of run histories and metrics (plain functions: no Streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

CURVES = (
    ("eval_kl", "raw KL (nats)"),
    ("kl_penalised", "KL charged (after free bits, training batches)"),
    ("active_units", "active units (Burda: Var(μ) > 0.01)"),
    ("informative_units", "informative units (½·log(1+Var(μ)/E[σ²]) > 0.1 nat)"),
    ("recon", "reconstruction NLL (nats)"),
    ("kl_weight", "effective KL weight"),
    ("mi", "I(x; z) estimate (nats)"),
    ("mig", "MIG"),
    ("total_correlation", "total correlation (nats: factors mixed across axes)"),
)

#: The three parts of the KL (explorer.metrics.kl_decomposition): key, name, colour.
KL_PARTS = (
    ("mi", "index-code MI I(x; z): what the code says about the image", "#1f77b4"),
    ("tc", "total correlation: latents that move together (mixed factors)", "#d62728"),
    ("dim_kl", "dimension-wise KL: each latent's spread unlike N(0, 1)", "#7f7f7f"),
)


#: Cell numbers of the MI heatmap (px): legible at 1280 px with ten latents.
HEATMAP_TEXT = 14

#: One colour per run, by its place on the page: every chart of a page draws run i in RUN_COLOURS[i].
RUN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def run_colour(i: int) -> str:
    return RUN_COLOURS[i % len(RUN_COLOURS)]


def curves_figure(histories: dict[str, dict], keys=CURVES) -> go.Figure:
    """One panel per quantity, every run overlaid with one colour and a shared legend."""
    keys = [(k, t) for k, t in keys if any(_has(h, k) for h in histories.values())]
    cols = 2
    rows = max(1, (len(keys) + cols - 1) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t for _, t in keys], vertical_spacing=0.12)
    for i, (name, hist) in enumerate(histories.items()):
        color = run_colour(i)
        for j, (key, _) in enumerate(keys):
            steps, values = _series(hist, key)
            fig.add_trace(go.Scatter(x=steps, y=values, name=name, legendgroup=name, showlegend=j == 0,
                                     mode="lines+markers", marker=dict(size=4), line=dict(color=color)),
                          row=j // cols + 1, col=j % cols + 1)
    for j, (key, title) in enumerate(keys):
        clipped = off_scale_range([_series(h, key)[1] for h in histories.values()])
        if clipped:
            fig.update_yaxes(range=list(clipped), title_text="first point off-scale", title_font=dict(size=10),
                             row=j // cols + 1, col=j % cols + 1)
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=280 * rows, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.08))
    return fig


def kl_heatmap(history: dict, title: str) -> go.Figure:
    """Per-dimension raw KL over training (dims sorted by their final KL)."""
    steps = [s for s, d in zip(history.get("step", []), history.get("kl_per_dim", [])) if d]
    matrix = np.array([d for d in history.get("kl_per_dim", []) if d], dtype=float).T
    if matrix.size == 0:
        return go.Figure()
    order = np.argsort(-matrix[:, -1])
    # the first log point averages the untrained start, whose KL can be orders of magnitude above the rest
    clipped = matrix.shape[1] > 1 and matrix[:, 0].max() > 3 * max(matrix[:, 1:].max(), 1e-9)
    zmax = float(matrix[:, 1:].max()) if clipped else None
    fig = go.Figure(go.Heatmap(z=matrix[order], x=steps, y=[f"z{d}" for d in order], colorscale="Viridis", zmin=0,
                               zmax=zmax, colorbar=dict(title="nats" + (" (first point<br>clipped)" if clipped else ""))))
    fig.update_layout(title=title, xaxis_title="step", height=300, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def rate_distortion_figure(histories: dict[str, dict], entropy: float | None = None) -> go.Figure:
    """Distortion against rate, one trajectory per run (Alemi et al. 2018); collapse slides to R ≈ 0."""
    fig = go.Figure()
    for i, (name, hist) in enumerate(histories.items()):
        pts = [(r, d, s) for r, d, s in zip(hist.get("kl", []), hist.get("recon", []), hist.get("step", []))
               if r is not None and d is not None]
        if pts:
            r, d, s = zip(*pts)
            fig.add_trace(go.Scatter(x=r, y=d, mode="lines+markers", name=name, text=[f"step {x}" for x in s],
                                     line=dict(color=run_colour(i)), marker=dict(color=run_colour(i))))
    if entropy is not None:
        fig.add_trace(go.Scatter(x=[0, entropy], y=[entropy, 0], mode="lines", name="D = H − R (data entropy bound)",
                                 line=dict(dash="dot", color="grey")))
    rates = [[r for r, d in zip(h.get("kl", []), h.get("recon", [])) if r is not None and d is not None] for h in histories.values()]
    dists = [[d for r, d in zip(h.get("kl", []), h.get("recon", [])) if r is not None and d is not None] for h in histories.values()]
    x_range, y_range = off_scale_range(rates, floor=0.0), off_scale_range(dists, floor=0.0)
    note = " (first point off-scale)"
    fig.update_layout(xaxis_title="rate R = KL (nats)" + (note if x_range else ""),
                      yaxis_title="distortion D = recon NLL (nats)" + (note if y_range else ""), height=380,
                      margin=dict(l=10, r=10, t=30, b=10))
    if x_range:
        fig.update_xaxes(range=list(x_range))
    if y_range:
        fig.update_yaxes(range=list(y_range))
    return fig


def off_scale_range(series: list[list[float]], floor: float | None = None) -> tuple[float, float] | None:
    """An axis range for everything but each series' first point, when a first point would squash the rest.

    The first log point averages the untrained start (reconstructions of thousands of nats, KLs of
    millions), so on a linear axis every later point sits on the floor. None when no first point is
    that far out, or there is nothing after it.
    """
    rest = [v for values in series for v in values[1:] if v is not None and np.isfinite(v)]
    firsts = [values[0] for values in series if values and values[0] is not None and np.isfinite(values[0])]
    if not rest or not firsts:
        return None
    lo, hi = min(rest), max(rest)
    span = (hi - lo) or max(abs(hi) * 0.1, 1e-3)
    # only a first point far above the rest is the untrained start's blow-up; one below is a real rise
    # (informative units 0 → 3, a KL weight warming up to β) and must stay on the chart
    if all(v <= hi + 2 * span for v in firsts):
        return None
    lo, hi = lo - 0.08 * span, hi + 0.08 * span
    return (max(lo, floor) if floor is not None else lo), hi


def mi_heatmap(mi_matrix, factor_names, title: str, dim_names: list[str] | None = None,
               carried: list[float] | None = None, threshold: float = 0.1) -> go.Figure:
    """The factor × latent MI of the posterior means (what MIG bins) and, with ``carried``, each latent's
    information in nats under it, latents at or below ``threshold`` greyed in both: the means can follow a
    factor while the noise around them buries it. Greyed cells are a grey heatmap of their own rather than a
    veil over the blue one, so their numbers (the blind spot's evidence) stay as legible as the rest."""
    m = np.asarray(mi_matrix, dtype=float)
    x = dim_names or [f"z{d}" for d in range(m.shape[1])]
    quiet = np.array([v <= threshold for v in carried] if carried is not None else [False] * m.shape[1])
    size = HEATMAP_TEXT if m.shape[1] <= 6 else HEATMAP_TEXT - 1
    top = float(np.nanmax(m)) if m.size else 1.0
    heat = go.Heatmap(z=np.where(quiet, np.nan, m), x=x, y=list(factor_names), colorscale="Blues", zmin=0, zmax=top,
                      colorbar=dict(title="nats", len=0.7, y=0.65), text=np.round(m, 2), texttemplate="%{text}",
                      textfont=dict(size=size), hoverongaps=False)
    if carried is None:
        fig = go.Figure(heat)
        fig.update_layout(title=title, height=280, margin=dict(l=10, r=10, t=40, b=10))
        return fig
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.08)
    fig.add_trace(heat, row=1, col=1)
    if quiet.any():
        fig.add_trace(go.Heatmap(z=np.where(quiet, m, np.nan), x=x, y=list(factor_names), zmin=0, zmax=top,
                                 colorscale=[[0, "#f4f4f4"], [1, "#c8c8c8"]], showscale=False, text=np.round(m, 2),
                                 texttemplate="%{text}", textfont=dict(size=size, color="#444444"), hoverongaps=False,
                                 hovertemplate="%{x} (carries nothing), %{y}: %{z:.2f} nats<extra></extra>"),
                      row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=carried, marker_color=["#bbbbbb" if q else "#1f77b4" for q in quiet],
                         text=[f"{v:.2f}" for v in carried], textposition="outside", cliponaxis=False,
                         textfont=dict(size=size), constraintext="none", name="what each latent carries",
                         showlegend=False,
                         hovertemplate="%{x}: %{y:.2f} nats<extra></extra>"), row=2, col=1)
    fig.add_hline(y=threshold, line_dash="dot", line_color="#888888", row=2, col=1)
    fig.update_yaxes(title_text="carries (nats)", rangemode="tozero", range=[0, max(max(carried) * 1.3, 4 * threshold)],
                     row=2, col=1)
    fig.update_layout(title=title, height=400, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def _has(hist: dict, key: str) -> bool:
    return any(v is not None for v in hist.get(key, []))


def _series(hist: dict, key: str):
    pairs = [(s, v) for s, v in zip(hist.get("step", []), hist.get(key, [])) if v is not None]
    return ([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else ([], [])


def seed_spread_figure(points: list[dict], metrics=(("mig", "MIG"), ("dci_disentanglement", "DCI disentanglement"))) -> go.Figure:
    """One panel per metric: every seed as a dot at its label budget, the median as a bar across.

    A budget keeps one colour in both panels; seeds whose scores would print their names on top of each
    other share one label ("seeds 0, 1")."""
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[t for _, t in metrics])
    budgets = sorted({p["labels"] for p in points})
    for j, (key, _) in enumerate(metrics):
        values = [p[key] for p in points if p.get(key) is not None]
        near = 0.04 * ((max(values) - min(values)) if len(values) > 1 else 1.0) or 0.01
        for b, budget in enumerate(budgets):
            group = sorted((p for p in points if p["labels"] == budget and p.get(key) is not None),
                           key=lambda p: p[key])
            if not group:
                continue
            x, color = f"{budget} labels", run_colour(b)
            fig.add_trace(go.Scatter(x=[x] * len(group), y=[p[key] for p in group], mode="markers+text",
                                     text=_seed_labels(group, key, near), textposition="middle right",
                                     marker=dict(size=10, color=color), showlegend=False, name=x,
                                     hovertext=[f"seed {p['seed']}: {p[key]:.3f}" for p in group], hoverinfo="text"),
                          row=1, col=j + 1)
            fig.add_trace(go.Scatter(x=[x], y=[float(np.median([p[key] for p in group]))], mode="markers",
                                     marker=dict(symbol="line-ew-open", size=34, color=color, line=dict(width=3)),
                                     name="median", showlegend=False, hovertemplate="median %{y:.3f}<extra></extra>"),
                          row=1, col=j + 1)
        fig.update_yaxes(rangemode="tozero", row=1, col=j + 1)
        # room right of the last budget for its seeds' names, which the axis would otherwise cut
        fig.update_xaxes(range=[-0.4, len(budgets) - 0.35], row=1, col=j + 1)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def _seed_labels(group: list[dict], key: str, near: float) -> list[str]:
    """Each run of seeds (sorted by score) closer than ``near`` gets one label on its first dot, the rest none;
    an em space keeps the words clear of the median bar."""
    labels, i = [""] * len(group), 0
    while i < len(group):
        j = i
        while j + 1 < len(group) and group[j + 1][key] - group[i][key] < near:
            j += 1
        seeds = ", ".join(str(p["seed"]) for p in sorted(group[i:j + 1], key=lambda p: p["seed"]))
        labels[i] = "\u2003seed" + ("s " if j > i else " ") + seeds
        i = j + 1
    return labels


def ladder_figure(points: list[dict], height: int = 300) -> go.Figure:
    """MIG and reconstruction against β (log axis): the first lesson's trade in one picture."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    betas = [p["beta"] for p in points]
    fig.add_trace(go.Scatter(x=betas, y=[p["mig"] for p in points], name="MIG (higher: one factor per axis)",
                             mode="lines+markers+text", text=[f"{p['mig']:.2f}" for p in points],
                             textposition="top center", line=dict(color="#1f77b4")), secondary_y=False)
    fig.add_trace(go.Scatter(x=betas, y=[p["recon"] for p in points], name="reconstruction NLL (nats, lower: sharper)",
                             mode="lines+markers", line=dict(color="#d62728", dash="dot")), secondary_y=True)
    fig.update_xaxes(type="log", title_text="β (log scale)", tickvals=betas, ticktext=[f"{b:g}" for b in betas])
    top = max([p["mig"] for p in points if p["mig"] is not None] or [1.0])
    fig.update_yaxes(title_text="MIG", range=[0, top * 1.3], secondary_y=False)
    fig.update_yaxes(title_text="recon NLL (nats)", rangemode="tozero", secondary_y=True)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    return fig


#: A KL part narrower than this share of the widest bar gets its number beside the bar instead of inside:
#: Plotly would otherwise turn the number on its side or shrink it to fit.
INSIDE_SHARE = 0.05


def kl_split_figure(splits: dict[str, dict]) -> go.Figure:
    """One horizontal bar per run: its KL as index-code MI + total correlation + dimension-wise KL, in nats.

    A small negative estimate (a finite-sample effect) is drawn as 0 and labelled with its value. Numbers
    stay level: a part too narrow for its number has it written after the bar, in the part's colour."""
    names = list(splits)
    widest = max([sum(max(splits[n][k], 0.0) for k, _, _ in KL_PARTS) for n in names] + [splits[n]["kl"] for n in names]
                 + [1e-9])
    fig = go.Figure()
    beside: dict[str, list[str]] = {n: [] for n in names}
    for key, label, color in KL_PARTS:
        values = [splits[n][key] for n in names]
        inside = [max(v, 0.0) >= INSIDE_SHARE * widest for v in values]
        for n, v, fits in zip(names, values, inside):
            if not fits:
                beside[n].append(f"<span style='color:{color}'>{v:.2f}</span>")
        fig.add_trace(go.Bar(y=names, x=[max(v, 0.0) for v in values], name=label, orientation="h",
                             marker_color=color, text=[f"{v:.2f}" if fits else "" for v, fits in zip(values, inside)],
                             textposition="inside", textangle=0, insidetextanchor="middle",
                             customdata=[f"{v:.2f}" for v in values],
                             hovertemplate="%{y}: %{customdata} nats<extra>" + label + "</extra>"))
    fig.add_trace(go.Scatter(y=names, x=[splits[n]["kl"] for n in names], mode="markers", name="analytic KL",
                             marker=dict(symbol="line-ns-open", size=22, color="black", line=dict(width=2)),
                             hovertemplate="%{y}: KL %{x:.2f} nats<extra></extra>"))
    for n in names:
        if beside[n]:
            end = max(sum(max(splits[n][k], 0.0) for k, _, _ in KL_PARTS), splits[n]["kl"])
            fig.add_annotation(y=n, x=end, text=" + ".join(beside[n]), showarrow=False, xanchor="left", xshift=8)
    fig.update_layout(barmode="stack", height=170 + 48 * len(names), xaxis_title="nats (evaluation sample)",
                      margin=dict(l=10, r=10, t=80, b=10), legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
                      yaxis=dict(autorange="reversed", automargin=True), xaxis=dict(range=[0, widest * 1.3]))
    return fig

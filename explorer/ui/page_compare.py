"""Page: runs side by side: traversal grids, reconstructions, metrics, MI heatmaps and curves."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from ..supervision import dimension_names
from ..traversal import grid_gif, labelled_grid_image
from .figures import curves_figure, kl_heatmap, mi_heatmap, rate_distortion_figure
from .params import parse_number, parse_run_refs
from .runs import (RECON_INDICES, available_runs, cached_full_metrics, cached_grid, cached_reconstructions, dataset_images,
                   factor_names, gallery_index, get_run)

DSPRITES_ENTROPY = float(np.log(737_280))


def pick_runs(default: list[str] | None = None) -> list[str]:
    """The runs to show: from the URL (shareable), else ``default``; chosen with a multiselect."""
    known = available_runs()
    from_url, notices = parse_run_refs(st.query_params.get("runs"), known)
    for notice in notices:
        st.info(notice)
    chosen = st.multiselect("Runs to compare", list(known), default=from_url or [r for r in (default or []) if r in known],
                            format_func=lambda r: known.get(r, r), max_selections=4,
                            help="gallery runs and the runs trained on this server")
    if chosen:
        st.query_params["runs"] = ",".join(chosen)
    elif "runs" in st.query_params:
        del st.query_params["runs"]
    return chosen


def start_point() -> int | None:
    """Traversals start at the prior mean, or at the posterior mean of one dSprites image."""
    index, notice = parse_number(st.query_params.get("start"), -1, 737_279, -1, integer=True, name="start")
    if notice:
        st.info(notice)
    c1, c2 = st.columns([1, 2])
    mode = c1.radio("Traversals start from", ["prior mean (z = 0)", "an encoded image"], index=int(index >= 0), horizontal=True)
    if mode.startswith("prior"):
        st.query_params.pop("start", None)
        return None
    value = c2.number_input("dSprites image index (0 … 737279)", 0, 737_279, max(index, 0), key="start_index")
    st.query_params["start"] = str(int(value))
    return int(value)


def show_runs(refs: list[str], start: int | None) -> None:
    runs = {}
    for ref in refs:
        run, error = get_run(ref)
        if error:
            st.error(error)
        else:
            runs[ref] = run
    if not runs:
        return
    if start is not None:
        st.image(dataset_images([start])[0, 0], caption=f"start image #{start}", width=96)
    columns = st.columns(len(runs))
    for col, (ref, run) in zip(columns, runs.items()):
        with col:
            grid_column(ref, run, start)
    st.subheader("Metrics")
    full = {}
    with_factors = [ref for ref, run in runs.items() if factor_names(run)]
    if with_factors and st.toggle("Also DCI, SAP and the FactorVAE score (fresh 5,000-image sample; about a minute "
                                  "per run the first time, then cached)", key="full_metrics"):
        with st.spinner("computing DCI (random forests), SAP and the FactorVAE score…"):
            full = {ref: cached_full_metrics(ref, runs[ref]) for ref in with_factors}
    table = metrics_table(runs, full)
    st.dataframe(table, width="stretch")
    st.download_button("Download metrics (CSV)", table.to_csv().encode(), "metrics.csv", "text/csv")
    heat_cols = st.columns(len(runs))
    for col, (ref, run) in zip(heat_cols, runs.items()):
        names = factor_names(run)
        if names and run.metrics.get("mi_matrix"):
            dims = dimension_names(run.metrics, names, len(run.metrics["mi_matrix"][0]))
            col.plotly_chart(mi_heatmap(run.metrics["mi_matrix"], names, f"factor × latent MI: {ref}", dims), width="stretch",
                             key=f"mi-{ref}")
    st.subheader("Training curves")
    histories = {ref: run.history for ref, run in runs.items()}
    st.plotly_chart(curves_figure(histories), width="stretch", key="curves")
    st.plotly_chart(rate_distortion_figure(histories, DSPRITES_ENTROPY), width="stretch", key="rd")
    for ref, run in runs.items():
        st.plotly_chart(kl_heatmap(run.history, f"per-dimension KL over training: {ref}"), width="stretch", key=f"klh-{ref}")


def grid_column(ref: str, run, start: int | None) -> None:
    o, m = run.config.objective, run.metrics
    st.markdown(f"**{ref}** · β = {o.beta:g} · {run.config.model.decoder} · {o.schedule}"
                + (f" · free bits {o.free_bits:g}" if o.free_bits else "")
                + (f" · {run.config.train.labels} labels" if run.config.train.labels else ""))
    c = st.columns(4)
    c[0].metric("active units", m.get("active_units", "–"), help="Burda et al.: Var_x(μ_d) > 0.01 (depends on the code's scale)")
    c[1].metric("informative units", m.get("informative_units", "–"),
                help="½·log(1 + Var_x(μ_d)/E[σ_d²]) > 0.1 nat: the mean moves more than the posterior's own noise")
    c[2].metric("MIG", f"{m['mig']:.3f}" if m.get("mig") is not None else "–")
    c[3].metric("KL (nats)", f"{m['kl']:.2f}" if "kl" in m else "–")
    with st.spinner("decoding the traversal grid…"):
        grid, labels, info = cached_grid(ref, start, run)
    grid = grid.astype(np.float32)
    image = labelled_grid_image(grid, labels)
    note = f" (greedy autoregressive decode, {info['passes']} parallel passes)" if run.model.autoregressive else ""
    st.image(image, caption=f"one row per latent dimension, −3 … 3{note}", width="stretch")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    recon = cached_reconstructions(ref, RECON_INDICES, run).astype(np.float32)
    originals = dataset_images(list(RECON_INDICES))[:, 0]
    st.image(labelled_grid_image(np.stack([originals, recon]), ["data", "reconstruction"]),
             caption="reconstructions (decoded posterior means)", width="stretch")
    d1, d2 = st.columns(2)
    d1.download_button("PNG", buf.getvalue(), f"traversal-{ref.replace(':', '-')}.png", "image/png", key=f"png-{ref}")
    d2.download_button("GIF", grid_gif(grid, labels), f"traversal-{ref.replace(':', '-')}.gif", "image/gif", key=f"gif-{ref}")


def metrics_table(runs: dict, extra: dict | None = None) -> pd.DataFrame:
    rows = {}
    for ref, run in runs.items():
        m, o = {**run.metrics, **(extra or {}).get(ref, {})}, run.config.objective
        row = {"β": o.beta, "decoder": run.config.model.decoder, "schedule": o.schedule, "free bits": o.free_bits,
               "labels": run.config.train.labels, "MIG": m.get("mig"), "active units": m.get("active_units"),
               "informative units": m.get("informative_units"), "KL (nats)": m.get("kl"),
               "I(x;z) (nats)": m.get("mi"), "recon NLL (nats)": m.get("recon")}
        names = factor_names(run)
        for name, gap in zip(names or (), m.get("mig_gaps") or ()):
            row[f"MIG gap {name}"] = gap
        for key, label in (("factor_vae", "FactorVAE"), ("dci_disentanglement", "DCI disent."),
                           ("dci_completeness", "DCI compl."), ("sap", "SAP")):
            row[label] = m.get(key)
        rows[ref] = row
    return pd.DataFrame(rows).T


def compare_page() -> None:
    st.title("Compare runs")
    st.caption("Traversal grids side by side: each row sweeps one latent dimension from −3 to 3 with the others held "
               "fixed; labels give the factor it shares most information with, its KL, and whether it is active.")
    gallery_table()
    refs = pick_runs(default=["g:beta1", "g:beta4"])
    if not refs:
        st.info("Pick one or more runs (gallery runs load instantly).")
        return
    show_runs(refs, start_point())



def gallery_table() -> None:
    """The shipped gallery with its settings and headline metrics (measured on a fresh 10k sample)."""
    entries = gallery_index()
    if not entries:
        return
    with st.expander(f"The gallery: {len(entries)} pre-trained runs", expanded=False):
        rows = []
        for e in entries:
            c, m = e["config"], e["metrics"]
            rows.append({"run": f"g:{e['name']}", "title": e["title"], "role": e["role"], "β": c["objective"]["beta"],
                         "decoder": c["model"]["decoder"], "schedule": c["objective"]["schedule"],
                         "free bits": c["objective"]["free_bits"], "labels": c["train"].get("labels", 0),
                         "steps": c["train"]["steps"],
                         "MIG": m.get("mig"), "active units": m.get("active_units"), "KL": m.get("kl"),
                         "I(x;z)": m.get("mi"), "recon": m.get("recon")})
        st.dataframe(pd.DataFrame(rows).set_index("run"), width="stretch")
        st.caption("Reproduce any of them with the command in checkpoints/index.json.")

"""Page: open a saved run and see its traversal grid, metrics and training curves."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .compute import cached_traversal_png, get_run, list_checkpoints


def run_viewer() -> None:
    st.title("β-VAE collapse-and-disentanglement explorer")
    st.caption("Procedural dSprites (pixel-level reconstruction of the DeepMind set). Train runs with "
               "`python -m explorer train …`; they appear here from `runs/` and `checkpoints/`.")
    paths = list_checkpoints()
    if not paths:
        st.info("No runs yet. Train one: `python -m explorer train --dataset dsprites --beta 4 --steps 300`.")
        return
    choice = st.selectbox("Run", paths, format_func=lambda p: str(p))
    run, error = get_run(Path(choice))
    if error:
        st.error(error)
        return
    cfg, m = run.config, run.metrics
    cols = st.columns(4)
    cols[0].metric("β", f"{cfg.objective.beta:g}")
    cols[1].metric("Active units", m.get("active_units", "–"))
    cols[2].metric("KL (nats)", f"{m['kl']:.2f}" if "kl" in m else "–")
    cols[3].metric("MIG", f"{m['mig']:.3f}" if "mig" in m else "–")
    left, right = st.columns([1, 1])
    with left:
        png, info = cached_traversal_png(str(choice), Path(choice).stat().st_mtime)
        st.image(png, caption="Latent traversal: one row per dimension, −3 … 3")
    with right:
        hist = pd.DataFrame({k: v for k, v in run.history.items() if k != "kl_per_dim" and k != "mi_matrix"})
        fig = go.Figure()
        for key, name in (("eval_kl", "KL (nats)"), ("active_units", "active units")):
            if key in hist:
                fig.add_trace(go.Scatter(x=hist["step"], y=hist[key], name=name, mode="lines+markers"))
        fig.update_layout(xaxis_title="step", height=360, margin=dict(l=10, r=10, t=30, b=10))
        st.plotly_chart(fig, width="stretch")
    st.json(cfg.to_dict(), expanded=False)

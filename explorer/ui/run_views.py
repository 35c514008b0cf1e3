"""What Compare and the β ladder show for a set of runs: the table, the pictures, the factor plots, the curves.

Pictures are laid out two runs to a row whatever the number of runs, so a traversal tile stays
large enough to tell a heart from a square at 1280 px; the numbers sit in one table above them.
"""
from __future__ import annotations

import io

import numpy as np
import streamlit as st

from ..code_ranges import RANGE_HELP
from ..pictures import AR_SAMPLES, picture_note
from ..supervision import dimension_names, used_dims
from ..traversal import grid_gif, labelled_grid_image
from ..views import RECON_INDICES, START_INDEX
from .figures import curves_figure, kl_heatmap, kl_split_figure, mi_heatmap, rate_distortion_figure
from .metrics_table import details_table, glossary, metrics_table
from . import sweeps
from .lessons import seed_spread_by_beta
from .runs import (cached_full_metrics, cached_kl_split, gallery_index, load_sweep, cached_grid, cached_latent_factors, cached_reconstructions, cached_usage,
                   dataset_images, factor_names, get_run, run_dataset, run_version)
from .tiles import USAGE_VMAX, reconstruction_strip, usage_strip

DSPRITES_ENTROPY = float(np.log(737_280))
#: With no informative latent (a collapsed run) the grid still shows this many, by KL, so the reader sees them flat.
FALLBACK_ROWS = 3


def load_runs(refs: list[str]) -> dict:
    """ref -> Run for every reference that loads; a one-line error for each that does not."""
    runs = {}
    for ref in refs:
        run, error = get_run(ref)
        if error:
            st.error(error)
        else:
            runs[ref] = run
    return runs


def shown_dims(run, all_rows: bool) -> tuple[list[int], str]:
    """The latent rows to draw, and a note on what was left out."""
    dims = len(run.metrics.get("kl_per_dim") or []) or run.model.encoder.latent_dim
    if all_rows:
        return list(range(dims)), ""
    pinned = {int(d) for d in run.metrics.get("pinned") or {}}
    used = sorted(set(used_dims(run.metrics)) | pinned)
    if used:
        hidden = dims - len(used)
        return used, (f"; {hidden} dimension(s) with no information hidden" if hidden else "")
    kl = run.metrics.get("kl_per_dim") or [0.0] * dims
    top = sorted(np.argsort(kl)[::-1][:FALLBACK_ROWS].tolist())
    return top, f"; no dimension carries information, so the {len(top)} with the highest KL are shown"


def show_runs(refs: list[str], start: int | None = START_INDEX, kind: str = "data", all_rows: bool = False) -> None:
    runs = load_runs(refs)
    if not runs:
        return
    full = {}
    st.table(metrics_table(runs, full))
    with st.expander("What these numbers mean, and more of them"):
        st.markdown(glossary())
        full = slow_scores(runs)
        st.dataframe(details_table(runs, factor_names, full), width="stretch")
    if any(factor_names(run) for run in runs.values()):
        with st.expander("Why is my MIG low?"):
            st.markdown(why_mig_is_low(runs))
    if start is not None:
        first = next(iter(runs.values()))
        st.image(dataset_images([start], first)[0, 0], caption=f"start image #{start}", width=96, clamp=True)
    per_row = 1 if len(runs) == 1 else 2
    items = list(runs.items())
    for i in range(0, len(items), per_row):
        for col, (ref, run) in zip(st.columns(per_row), items[i:i + per_row]):
            with col:
                run_pictures(ref, run, start, kind, all_rows)
    factor_views(runs)
    kl_split_view(runs)
    training_curves(runs)


def provenance_text(ref: str) -> str:
    """A gallery run's provenance from the index: its file's sha256, the commit of its weights, command, versions."""
    kind, _, name = ref.partition(":")
    entry = next((e for e in gallery_index() if e["name"] == name), None) if kind == "g" else None
    p = (entry or {}).get("provenance")
    if not p:
        return ""
    versions = ", ".join(f"{k} {v}" for k, v in (p.get("versions") or {}).items())
    m = p.get("metrics") or {}
    return (f"**File** `{entry['file']}`, sha256 `{p['sha256'][:16]}…` (checked when loaded)  \n"
            f"**Weights first committed in** `{(p.get('trained_at_commit') or 'unknown')[:12]}`  \n"
            f"**Reproduce**: `{p.get('command')}`  \n**Written with** {versions}  \n"
            f"**Scored on** {m.get('samples', '?'):,} fresh images, seed {m.get('seed', '?')}; "
            + "; ".join(f"{k}: {v}" for k, v in (m.get("estimators") or {}).items()))


def why_mig_is_low(runs: dict) -> str:
    """Which MIG this is, and what limits it for the runs on screen (their per-factor gaps, computed here)."""
    lines = ["**Which MIG this is**: disentanglement_lib's: posterior means binned in 20 equal-width bins per "
             "latent, plug-in MI with each of the 5 dSprites factors (shape included), on 10,000 fresh images. "
             "It is the mean over factors of (MI of the best latent − MI of the runner-up) / H(factor)."]
    gaps = {ref: run.metrics.get("mig_gaps") for ref, run in runs.items() if run.metrics.get("mig_gaps")}
    if gaps:
        names = factor_names(next(run for ref, run in runs.items() if ref in gaps))
        rows = ["| run | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        rows += [f"| {ref} | " + " | ".join(f"{g:.2f}" for g in gap) + " |" for ref, gap in gaps.items()]
        weakest = {ref: names[int(np.argmin(gap))] for ref, gap in gaps.items()}
        lines.append("**Each factor's gap** (the MIG is their mean): the weakest is "
                     + ", ".join(f"{name} for {ref}" for ref, name in weakest.items()) + ".\n\n" + "\n".join(rows))
    orientation = [gap[names.index("orientation")] for gap in gaps.values()] if gaps and "orientation" in names else []
    measured = (f"its gap here is at most {max(orientation):.2f}, " if orientation else "")
    lines.append("**Orientation rarely gets an axis of its own**: squares repeat every 90° and ellipses every 180°, so "
                 f"much of orientation cannot be read from the image; {measured}and a factor with no axis of its "
                 "own takes a fifth of the possible MIG with it.")
    lines.append("**The seed matters as much as the setting** (Locatello et al. 2019): the same configuration trained "
                 "with other seeds scores very differently; see the Pinned axes page and the seed spread of a sweep.")
    lines.append("**Papers report other numbers**: Chen et al.'s MIG estimates MI from samples of q(z|x) over all "
                 "737,280 images and leaves shape out; other repositories differ again. Compare numbers only when "
                 "they were computed the same way.")
    return "\n\n".join(lines)


def run_pictures(ref: str, run, start: int | None, kind: str, all_rows: bool) -> None:
    o = run.config.objective
    st.markdown(f"#### {ref}")
    st.caption(f"β = {o.beta:g} · {run.config.model.decoder} decoder · {o.schedule} schedule"
               + (f" · free bits {o.free_bits:g}" if o.free_bits else "")
               + (f" · total-correlation weight {o.tc_weight:g} (a β-TCVAE)" if o.tc_weight else "")
               + (f" · {run.config.train.labels} labels" if run.config.train.labels else ""))
    origin = provenance_text(ref)
    if origin:
        with st.popover("Where this run comes from"):
            st.markdown(origin)
    version = run_version(ref)
    slow = run.model.autoregressive
    with st.spinner(f"drawing {AR_SAMPLES} samples for each of the grid's codes from the autoregressive decoder "
                    "(a sequential decoder: this can take half a minute)…" if slow else "decoding the traversal grid…"):
        grid, values, labels, info = cached_grid(ref, version, start, kind, run)
    dims, hidden = shown_dims(run, all_rows)
    grid = grid.astype(np.float32)[dims]
    shown_labels = [labels[d] for d in dims]
    image = labelled_grid_image(grid, shown_labels)
    lo, hi = float(np.min(values[dims])), float(np.max(values[dims]))
    st.image(image, width="stretch",
             caption=f"traversals: each row sweeps one latent over the {kind} range ({RANGE_HELP[kind]}; here "
                     f"{lo:.1f} … {hi:.1f}){hidden}. {picture_note(run.model).capitalize()}.")
    with st.spinner("decoding the reconstructions…"):
        drawn = cached_reconstructions(ref, version, run).astype(np.float32)
    originals = dataset_images(list(RECON_INDICES), run)[:, 0]
    st.image(reconstruction_strip(originals, drawn), width="stretch",
             caption=("what the decoder draws from each image's code: " + (
                 f"{drawn.shape[1]} samples each. A decoder that reads z draws the image again; a collapsed one "
                 "draws the same sprites whatever the image" if drawn.shape[1] > 1 else "its pixel probabilities")))
    maps, totals = cached_usage(ref, version, run)
    st.image(usage_strip(originals, maps.astype(np.float32), totals), width="stretch",
             caption=f"where the decoder reads z: nats each pixel's prediction gains from the image's own code "
                     f"over codes from the prior (black 0, white ≥ {USAGE_VMAX:g}; below each, the image's total; "
                     f"median over 256 images: {run.metrics.get('z_usage', float('nan')):.1f} nats)")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    d1, d2 = st.columns(2)
    d1.download_button("PNG", buf.getvalue(), f"traversal-{ref.replace(':', '-')}.png", "image/png", key=f"png-{ref}")
    d2.download_button("GIF", lambda: grid_gif(grid, shown_labels), f"traversal-{ref.replace(':', '-')}.gif",
                       "image/gif", key=f"gif-{ref}")


def slow_scores(runs: dict) -> dict:
    """DCI, SAP and the FactorVAE score on demand, one run at a time with visible progress."""
    with_factors = [ref for ref, run in runs.items() if factor_names(run)]
    if not with_factors or not st.toggle("Also DCI, SAP and the FactorVAE score (fresh 5,000-image sample; "
                                         "tens of seconds per run the first time, then cached)", key="full_metrics"):
        return {}
    out = {}
    bar = st.progress(0.0, text="computing…")
    for i, ref in enumerate(with_factors):
        bar.progress(i / len(with_factors), text=f"run {i + 1} of {len(with_factors)} ({ref}): random-forest DCI, "
                                                 "SAP and the FactorVAE majority vote…")
        out[ref] = cached_full_metrics(ref, runs[ref])
    bar.progress(1.0, text=f"done: {len(with_factors)} run(s)")
    return out


def factor_views(runs: dict) -> None:
    """Per run: the factor × latent MI heatmap beside each informative latent's mean against each factor."""
    with_factors = {ref: run for ref, run in runs.items() if factor_names(run) and run.metrics.get("mi_matrix")}
    if not with_factors:
        return
    st.subheader("Which factor each latent follows")
    st.caption("Left: how much each latent knows about each factor (nats). Right: each informative latent's mean "
               "code on an exact grid of dSprites: against position (a map), scale and orientation (one line per "
               "shape). One factor per axis shows as one map or one line that moves, the others flat; position "
               "on a rotated pair of axes shows as a tilted map.")
    tabs = st.tabs(list(with_factors))
    for tab, (ref, run) in zip(tabs, with_factors.items()):
        with tab:
            names = factor_names(run)
            dims = dimension_names(run.metrics, names, len(run.metrics["mi_matrix"][0]))
            left, right = st.columns([2, 3])
            left.plotly_chart(mi_heatmap(run.metrics["mi_matrix"], names, f"factor × latent MI: {ref}", dims),
                              width="stretch", key=f"mi-{ref}")
            used, _ = shown_dims(run, all_rows=False)
            if not used_dims(run.metrics):
                right.info("No latent carries information: there is nothing to plot against the factors.")
                continue
            with st.spinner("encoding an exact grid of dSprites…"):
                figure = cached_latent_factors(ref, run_version(ref), tuple(used), tuple(dims), run)
            right.plotly_chart(figure, width="stretch", key=f"lf-{ref}")


#: Index-code MI this close to log N (nats) is read as saturated: the mixture estimate cannot exceed it.
CEILING_MARGIN = 0.5


def kl_split_view(runs: dict) -> None:
    """The final code's KL split three ways: which part of the KL β taxes, and which part mixes factors."""
    st.subheader("Where the KL goes")
    with st.spinner("splitting each run's KL…"):
        splits = {ref: cached_kl_split(ref, run) for ref, run in runs.items()}
    capped = [ref for ref, s in splits.items() if s["mi"] > s["upper_bound"] - CEILING_MARGIN]
    st.plotly_chart(kl_split_figure({f"{ref} †" if ref in capped else ref: s for ref, s in splits.items()}),
                    width="stretch", key="kl-split")
    if capped:
        st.caption(f"† Index-code MI at the estimator's ceiling (log {splits[capped[0]]['batch']:,} = "
                   f"{splits[capped[0]]['upper_bound']:.2f} nats: the sample cannot tell more images apart), so part "
                   "of this run's red bar is the estimator's, not the code's: its total correlation is overstated.")
    st.caption("The KL a β-VAE pays splits into three parts (Chen et al. 2018): what the code says about the image "
               "(index-code MI), how much its latents move together (**total correlation**: a factor spread over two "
               "axes, such as position rotated between posX and posY) and how far each latent's spread is from N(0, 1). "
               "β taxes all three alike, so it cannot tell a rotated code from an axis-aligned one; a β-TCVAE "
               "(Total-correlation weight on the Train page) charges the middle part extra. Estimated on "
               f"{next(iter(splits.values()))['batch']:,} evaluation images; the black tick is the exact KL the three "
               "parts add up to (up to sampling).")


def training_curves(runs: dict) -> None:
    st.subheader("Training curves")
    histories = {ref: run.history for ref, run in runs.items()}
    st.plotly_chart(curves_figure(histories), width="stretch", key="curves")
    entropy = DSPRITES_ENTROPY if all(run_dataset(run).name == "dsprites" for run in runs.values()) else None
    st.plotly_chart(rate_distortion_figure(histories, entropy), width="stretch", key="rd")
    for ref, run in runs.items():
        st.plotly_chart(kl_heatmap(run.history, f"per-dimension KL over training: {ref}"), width="stretch", key=f"klh-{ref}")


#: The sweep the project ships: the short-run recipe at β ∈ {1, 2, 4, 8, 16} × 5 seeds.
SHIPPED_SWEEP = "beta-spectrum"


def shipped_sweep_note(links: dict) -> None:
    """The seed spread behind each β, from the shipped sweep, with a link to see every seed."""
    path = sweeps.find_sweeps()[0].get(SHIPPED_SWEEP)
    text = seed_spread_by_beta(load_sweep(path).runs) if path is not None else ""
    if text:
        st.info(text)
        st.page_link(links["sweep"], label="Every seed, on the Sweep page", icon=":material/scatter_plot:",
                     query_params={"sweep": SHIPPED_SWEEP})

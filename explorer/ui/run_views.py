"""What Compare and the β ladder show for a set of runs: the table, the pictures, the factor plots, the curves.

Everything shown comes from each run's stored views (explorer.view_data): no model is loaded and
nothing is decoded unless a visitor asks for a traversal from another start image, which is drawn
in the background while the page says so. Pictures are laid out two runs to a row whatever the
number of runs, so a traversal tile stays large enough to tell a heart from a square at 1280 px.
"""
from __future__ import annotations

import io

import numpy as np
import streamlit as st

from ..code_ranges import RANGE_HELP
from ..grid_images import grid_gif, labelled_grid_image
from ..naming import dimension_names, row_labels, used_dims
from ..view_data import DEFAULT_RANGE, START_INDEX
from .background import background, show_pending
from .figures import curves_figure, kl_heatmap, kl_split_figure, mi_heatmap, rate_distortion_figure
from .figures_factors import latent_factor_figure
from .metrics_table import details_table, glossary, metrics_table
from . import sweeps
from .lessons import mig_blind_spot, mig_ranking_note, seed_spread_by_beta
from .run_texts import extra_note, provenance_text, sample_note, why_mig_is_low
from .runs import factor_names, load_sweep, run_version, views_for
from .tiles import USAGE_VMAX, reconstruction_strip, usage_strip

DSPRITES_ENTROPY = float(np.log(737_280))
#: With no informative latent (a collapsed run) the grid still shows this many, by KL, so the reader sees them flat.
FALLBACK_ROWS = 3


def load_runs(refs: list[str]) -> dict:
    """ref -> RunViews for every reference whose views are ready; a one-line error for each that cannot be
    shown, and a status (filled in when done) for each whose views are being computed."""
    runs, pending = {}, []
    for ref in refs:
        found = views_for(ref)
        if found.error:
            st.error(found.error)
        elif found.pending is not None:
            pending.append(found.pending)
        else:
            runs[ref] = found.views
    if pending:
        show_pending(pending)
    return runs


def shown_dims(run, all_rows: bool) -> tuple[list[int], str]:
    """The latent rows to draw, and a note on what was left out."""
    dims = len(run.metrics.get("kl_per_dim") or []) or run.latent_dim
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
    full = {ref: (run.extra or {}).get("scores", {}) for ref, run in runs.items()}
    st.table(metrics_table(runs, full))
    st.caption(sample_note(runs))
    with st.expander("What these numbers mean, and more of them"):
        st.markdown(glossary())
        st.dataframe(details_table(runs, factor_names, full), width="stretch")
        st.caption(extra_note(runs))
    if any(factor_names(run) for run in runs.values()):
        with st.expander("Why is my MIG low?"):
            st.markdown(why_mig_is_low(runs))
    grids = traversals(runs, start, kind)
    if start is not None:
        image = next((g["start_image"] for g in grids.values() if g.get("start_image") is not None), None)
        if image is not None:
            st.image(image, caption=f"start image #{start}", width=96, clamp=True)
    per_row = 1 if len(runs) == 1 else 2
    items = list(runs.items())
    for i in range(0, len(items), per_row):
        for col, (ref, run) in zip(st.columns(per_row), items[i:i + per_row]):
            with col:
                run_pictures(ref, run, grids.get(ref), kind, all_rows)
    details(runs)


def traversals(runs: dict, start: int | None, kind: str) -> dict:
    """ref -> {grid, values, samples, start_image} for the traversal on screen: the stored one for the default
    start and range; any other is drawn in the background (by the model process) while the page says so."""
    out, pending = {}, []
    for ref, run in runs.items():
        if (start, kind) == (START_INDEX, DEFAULT_RANGE):
            out[ref] = {"grid": run.traversal, "values": run.values, "samples": run.samples,
                        "start_image": run.start_image}
            continue
        from .run_models import traversal_work  # the model process: only for a traversal the views do not hold

        work, reason = traversal_work(ref, start, kind)
        if work is None:
            st.info(f"{ref}: {reason}. Its traversal starts from the stored image #{START_INDEX:,} over the data range.")
            out[ref] = {"grid": run.traversal, "values": run.values, "samples": run.samples, "start_image": None,
                        "fallback": True}
            continue
        start_text = "the prior mean" if start is None else f"image #{start:,}"
        task = background().request(f"traversal:{ref}:{run_version(ref)}:{start}:{kind}",
                                    f"Drawing {ref}'s traversal from {start_text} over the {kind} range "
                                    f"(loading the model; {'minutes' if run.autoregressive else 'seconds'})", work)
        if not task.done:
            pending.append(task)
        elif task.error:
            st.error(f"{ref}: could not draw the traversal: {task.error}")
        else:
            out[ref] = task.result
    if pending:
        show_pending(pending)
    return out


def run_pictures(ref: str, run, grid_view: dict | None, kind: str, all_rows: bool) -> None:
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
    dims, hidden = shown_dims(run, all_rows)
    if grid_view is not None:
        kind = DEFAULT_RANGE if grid_view.get("fallback") else kind
        labels = row_labels(run.metrics, factor_names(run))
        grid = np.asarray(grid_view["grid"], dtype=np.float32)[dims]
        values = np.asarray(grid_view["values"])
        shown_labels = [labels[d] for d in dims]
        image = labelled_grid_image(grid, shown_labels)
        lo, hi = float(np.min(values[dims])), float(np.max(values[dims]))
        st.image(image, width="stretch",
                 caption=f"traversals: each row sweeps one latent over the {kind} range ({RANGE_HELP[kind]}; here "
                         f"{lo:.1f} … {hi:.1f}){hidden}. {run.picture_note.capitalize()}.")
    drawn = np.asarray(run.recon, dtype=np.float32)
    originals = np.asarray(run.originals, dtype=np.float32) / 255.0
    st.image(reconstruction_strip(originals, drawn), width="stretch",
             caption=("what the decoder draws from each image's code: " + (
                 f"{drawn.shape[1]} samples each. A decoder that reads z draws the image again; a collapsed one "
                 "draws the same sprites whatever the image" if drawn.shape[1] > 1 else "its pixel probabilities")))
    st.image(usage_strip(originals, np.asarray(run.usage_maps, dtype=np.float32), run.usage_totals), width="stretch",
             caption=f"where the decoder reads z: nats each pixel's prediction gains from the image's own code "
                     f"over codes from the prior (black 0, white ≥ {USAGE_VMAX:g}; below each, the image's total; "
                     f"median over 256 images: {run.metrics.get('z_usage', float('nan')):.1f} nats)")
    if grid_view is not None:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        d1, d2 = st.columns(2)
        d1.download_button("PNG", buf.getvalue(), f"traversal-{ref.replace(':', '-')}.png", "image/png", key=f"png-{ref}")
        d2.download_button("GIF", lambda: grid_gif(grid, shown_labels), f"traversal-{ref.replace(':', '-')}.gif",
                           "image/gif", key=f"gif-{ref}")


def factor_views(runs: dict) -> None:
    """Per run: the factor × latent MI heatmap beside each informative latent's mean against each factor."""
    with_factors = {ref: run for ref, run in runs.items() if factor_names(run) and run.metrics.get("mi_matrix")}
    if not with_factors:
        st.info("None of these runs was trained on a dataset with known factors (dSprites), so there is nothing "
                "to set its latents against.")
        return
    ranking = mig_ranking_note(with_factors)
    if ranking:
        st.warning(ranking)
    st.caption("First the MI between each latent's posterior mean and each factor (nats; what MIG bins), and under "
               "it what each latent really carries (½·log(1 + Var μ / E σ²), grey at or below 0.1 nats). Then each "
               "informative latent's mean code on an exact grid of dSprites: against position (a map), scale and "
               "orientation (one line per shape). One factor per axis shows as one map or one line that moves, the others flat; position "
               "on a rotated pair of axes shows as a tilted map.")
    for tab, (ref, run) in zip(lazy_tabs(list(with_factors), "factor-tab"), with_factors.items()):
        if not tab.open:  # only the open tab's charts are built and sent: each is a Plotly chart the browser draws
            continue
        with tab:
            names = factor_names(run)
            dims = dimension_names(run.metrics, names, len(run.metrics["mi_matrix"][0]))
            plot = bool(used_dims(run.metrics)) and run.latent_factors is not None
            # the heatmap above the latent-vs-factor grid, each the page's width: readable at 1280 px with ten latents
            st.plotly_chart(mi_heatmap(run.metrics["mi_matrix"], names, f"factor × latent MI of the means: {ref}",
                                       dims, carried=run.metrics.get("informative_nats")),
                            width="stretch", key=f"mi-{ref}")
            blind = mig_blind_spot(run.metrics, names, dims)
            if blind:
                st.caption(blind)
            if not plot:
                st.info("No latent carries information: there is nothing to plot against the factors."
                        if not used_dims(run.metrics) else "This run's views hold no latent-vs-factor grid.")
                continue
            used, _ = shown_dims(run, all_rows=False)
            figure = cached_latent_factors(ref, run_version(ref), tuple(used), tuple(dims), run)
            st.plotly_chart(figure, width="stretch", key=f"lf-{ref}")


@st.cache_data(max_entries=12, show_spinner=False)
def cached_latent_factors(ref: str, version: str, dims: tuple[int, ...], labels: tuple[str, ...], _run):
    """The latent-vs-factor figure of the chosen latents, from the stored grid means, built once per run and rows."""
    return latent_factor_figure(_run.latent_factors, list(dims), list(labels), title="")


#: Index-code MI this close to log N (nats) is read as saturated: the mixture estimate cannot exceed it.
CEILING_MARGIN = 0.5


def kl_split_view(runs: dict) -> None:
    """The final code's KL split three ways: which part of the KL β taxes, and which part mixes factors."""
    splits = {ref: run.kl_split for ref, run in runs.items()}
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
    histories = {ref: run.history for ref, run in runs.items()}
    st.plotly_chart(curves_figure(histories), width="stretch", key="curves")
    entropy = DSPRITES_ENTROPY if all(run.dataset == "dsprites" for run in runs.values()) else None
    st.plotly_chart(rate_distortion_figure(histories, entropy), width="stretch", key="rd")
    st.caption("Each latent's KL over training, one tab per run:")  # tab labels are the runs alone: four fit 1280 px
    for tab, (ref, run) in zip(lazy_tabs(list(runs), "klh-tab"), runs.items()):
        if tab.open:
            tab.plotly_chart(kl_heatmap(run.history, f"per-dimension KL over training: {ref}"), width="stretch",
                             key=f"klh-{ref}")


#: The views under the pictures, one open at a time (``?section=<label>`` opens another): each is Plotly charts
#: that the browser draws, and drawing them all made a page's second view seconds long.
SECTIONS = {"Which factor each latent follows": factor_views, "Where the KL goes": kl_split_view,
            "Training curves": training_curves}


def details(runs: dict) -> None:
    """The section tabs; only the open tab's charts are built and sent."""
    tabs = st.tabs(list(SECTIONS), key="section", bind="query-params", on_change="rerun")
    for tab, draw in zip(tabs, SECTIONS.values()):
        if tab.open:
            with tab:
                draw(runs)


def lazy_tabs(labels: list[str], key: str):
    """Tabs whose closed bodies are not built: a click on a tab reruns the page (every view is stored, so a rerun
    is cheap), and the browser draws one tab's charts instead of all of them."""
    return st.tabs(labels, key=f"{key}:{','.join(labels)}", on_change="rerun")


#: The sweep the project ships: the short-run recipe at β ∈ {1, 2, 4, 8, 16} × 5 seeds.
SHIPPED_SWEEP = "beta-spectrum"


def shipped_sweep_runs():
    """The shipped sweep's table (one row per run), or None where this server has no such sweep."""
    path = sweeps.find_sweeps()[0].get(SHIPPED_SWEEP)
    return load_sweep(path).runs if path is not None else None


def shipped_sweep_note(links: dict) -> None:
    """The seed spread behind each β, from the shipped sweep, with a link to see every seed."""
    runs = shipped_sweep_runs()
    text = seed_spread_by_beta(runs) if runs is not None else ""
    if text:
        st.info(text)
        st.page_link(links["sweep"], label="Every seed, on the Sweep page", icon=":material/scatter_plot:",
                     query_params={"sweep": SHIPPED_SWEEP})

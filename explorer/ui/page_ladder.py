"""Page: the β ladder (Exercise 31.4.2): β = 1, 4, 12 and 50 side by side, with what their numbers say."""
from __future__ import annotations

import streamlit as st

from ..config import ModelConfig
from ..gallery_index import GalleryRecord
from .figures import ladder_figure
from .lessons import ladder_points, ladder_summary
from .run_views import shipped_sweep_note, show_runs
from .runs import gallery_index


def ladders() -> dict[str, dict[float, GalleryRecord]]:
    """The gallery's β-ladder records by decoder, then β; the default decoder's ladder first."""
    found: dict[str, dict[float, GalleryRecord]] = {}
    for e in gallery_index():
        if e.role == "beta-ladder":
            found.setdefault(e.config.model.decoder, {})[e.config.objective.beta] = e
    default = ModelConfig().decoder
    return dict(sorted(found.items(), key=lambda item: item[0] != default))


def ladder_page(links: dict | None = None) -> None:
    """``links``: page name -> st.Page, for the link to the shipped sweep (handed in by the navigation)."""
    st.title("The β ladder")
    st.markdown("Raising β makes every nat the code carries more expensive, so the encoder keeps only what pays "
                "for itself in reconstruction. The same configuration, trained at each β:")
    by_decoder = ladders()
    if not by_decoder:
        st.warning("The gallery has no β-ladder runs on this server.")
        return
    decoder = next(iter(by_decoder))
    if len(by_decoder) > 1:
        decoder = st.radio("Decoder", list(by_decoder), horizontal=True, key="ladderdec", bind="query-params",
                           help="the same ladder trained with each decoder; broadcast is the short-run recipe's")
    ladder = by_decoder[decoder]
    train = next(iter(ladder.values())).config.train
    budget = f"{train.steps:,} steps" if train.steps else f"{train.seconds:g} s"
    st.caption(f"Every run below: {decoder} decoder, seed {train.seed}, {budget} of {train.batch_size} images; "
               "only β differs.")
    more = st.toggle("Include the large-β run (β = 50)", value=True, key="ladder50", bind="query-params")
    betas = [b for b in sorted(ladder) if more or b != 50.0]
    points = ladder_points([ladder[b] for b in betas])
    left, right = st.columns([3, 2])
    left.plotly_chart(ladder_figure(points), width="stretch", key=f"ladder-{decoder}")
    right.info(ladder_summary(points))
    if links and decoder == ModelConfig().decoder:
        shipped_sweep_note(links)
    show_runs([ladder[b].ref for b in betas])

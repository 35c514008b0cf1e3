"""Page: the landing page. The two lessons, each with its measured picture and one click to its side-by-side view."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .figures import ladder_figure
from .lessons import beta_headline, collapse_summary, ladder_points, ladder_summary
from .page_ladder import ladders
from .run_views import shipped_sweep_note, shipped_sweep_runs
from .runs import gallery_index, views_for
from .tiles import reconstruction_strip

#: Images of the collapse picture: a square, an ellipse and two hearts in different places.
LESSON_IMAGES = 4


def lessons_page(links: dict) -> None:
    """``links``: page name -> st.Page, for the one-click links (handed in, so no page imports the navigation)."""
    st.title("β-VAE: disentanglement and posterior collapse, measured")
    st.markdown("Two lessons, each trained, measured and drawn from the shipped runs. Pick one to see it side by "
                "side; every other page lets you change the knobs yourself.")
    left, right = st.columns(2, gap="large")
    with left:
        beta_lesson(links)
    with right:
        collapse_lesson(links)
    st.divider()
    st.markdown("**Then:** train your own on **Train** (presets for both lessons), move single latents in the "
                "**Slider editor**, see what a few labels buy on **Pinned axes**, and read why on **About**.")


def beta_lesson(links: dict) -> None:
    st.subheader(beta_headline(shipped_sweep_runs()))
    by_decoder = ladders()
    if not by_decoder:
        st.warning("The gallery has no β-ladder runs on this server.")
        return
    decoder, ladder = next(iter(by_decoder.items()))
    points = ladder_points([ladder[b] for b in sorted(ladder)])
    st.plotly_chart(ladder_figure(points, height=280), width="stretch", key="lesson-ladder")
    sweep = shipped_sweep_runs()
    steps = sweep["steps"].dropna() if sweep is not None and "steps" in sweep else None
    bridge = (f" This curve is one seed per β; the shipped sweep trains the same recipe for {int(steps.median()):,} "
              "steps with several seeds per β:" if steps is not None and len(steps) else "")
    st.markdown(ladder_summary(points) + bridge)
    shipped_sweep_note(links)
    st.page_link(links["ladder"], label=f"See the β ladder side by side ({decoder} decoder)", icon=":material/stairs:",
                 query_params={"ladderdec": decoder})


def collapse_lesson(links: dict) -> None:
    st.subheader("2 · A decoder that can draw without the code ignores it; warm-up and free bits cure it")
    records = {e.role: e for e in gallery_index() if e.role in ("collapse", "cure")}
    if len(records) < 2:
        st.warning("The gallery lacks its collapse and cure runs on this server.")
        return
    cols = st.columns(2)
    for col, role in zip(cols, ("collapse", "cure")):
        found = views_for(records[role].ref)
        if found.views is None:
            col.error(found.error or f"{role}: its pictures are being computed; open Compare to follow")
            continue
        drawn = np.asarray(found.views.recon[:LESSON_IMAGES], dtype=np.float32)
        originals = np.asarray(found.views.originals[:LESSON_IMAGES], dtype=np.float32) / 255.0
        col.image(reconstruction_strip(originals, drawn), width="stretch",
                  caption=f"{role}: samples the decoder draws from each image's code")
    st.markdown(collapse_summary(records["collapse"], records["cure"]))
    st.page_link(links["compare"], label="See collapse and cure side by side",
                 icon=":material/compare:",
                 query_params={"runs": f"{records['collapse'].ref},{records['cure'].ref}", "section": "Training curves"})

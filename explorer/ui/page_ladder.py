"""Page: the β ladder (Exercise 31.4.2): β = 1, 4, 12 side by side with grids, active dims and MIG."""
from __future__ import annotations

import streamlit as st

from .page_compare import show_runs
from .runs import gallery_index


def ladder_page() -> None:
    st.title("The β ladder")
    st.markdown(
        "Raising β makes every nat the code carries more expensive. Watch the grids: at **β = 1** many dimensions "
        "are active and entangled; at **β = 4–12** fewer dimensions stay active and more rows change one factor "
        "(position, scale) at a time, while reconstructions blur; at very large β most dimensions switch off. "
        "Active units and MIG put numbers on it. All runs below share the standard conv decoder and settings.")
    ladder = {e["config"]["objective"]["beta"]: f"g:{e['name']}" for e in gallery_index() if e["role"] == "beta-ladder"}
    if not ladder:
        st.warning("The gallery has no β-ladder runs on this server (checkpoints/index.json).")
        return
    wanted = [ladder[b] for b in (1.0, 4.0, 12.0) if b in ladder]
    more = st.toggle("Add the large-β run (β = 50)", key="ladder50", bind="query-params")
    if more and 50.0 in ladder:
        wanted.append(ladder[50.0])
    show_runs(wanted, None)

"""Page: the β ladder (Exercise 31.4.2): β = 1, 4, 12 side by side with grids, active dims and MIG."""
from __future__ import annotations

import streamlit as st

from ..config import ModelConfig
from .page_compare import show_runs
from .runs import gallery_index


def ladders() -> dict[str, dict[float, dict]]:
    """The gallery's β-ladder records by decoder, then β; the default decoder's ladder first."""
    found: dict[str, dict[float, dict]] = {}
    for e in gallery_index():
        if e["role"] == "beta-ladder":
            found.setdefault(e["config"]["model"]["decoder"], {})[e["config"]["objective"]["beta"]] = e
    default = ModelConfig().decoder
    return dict(sorted(found.items(), key=lambda item: item[0] != default))


def ladder_page() -> None:
    st.title("The β ladder")
    st.markdown(
        "Raising β makes every nat the code carries more expensive. Watch the grids: at **β = 1** many dimensions "
        "are active and entangled; at **β = 4–12** fewer dimensions stay active and more rows change one factor "
        "(position, scale) at a time, while reconstructions blur; at very large β most dimensions switch off. "
        "Active units and MIG put numbers on it.")
    by_decoder = ladders()
    if not by_decoder:
        st.warning("The gallery has no β-ladder runs on this server (checkpoints/index.json).")
        return
    decoder = next(iter(by_decoder))
    if len(by_decoder) > 1:
        decoder = st.radio("Decoder", list(by_decoder), horizontal=True, key="ladderdec", bind="query-params",
                           help="the same ladder trained with each decoder; broadcast is the short-run recipe's")
    ladder = by_decoder[decoder]
    train = next(iter(ladder.values()))["config"]["train"]
    budget = f"{train['steps']:,} steps" if train.get("steps") else f"{train['seconds']:g} s"
    st.caption(f"Every run below: {decoder} decoder, seed {train['seed']}, {budget} of {train['batch_size']} images; "
               "only β differs.")
    wanted = [f"g:{ladder[b]['name']}" for b in (1.0, 4.0, 12.0) if b in ladder]
    more = st.toggle("Add the large-β run (β = 50)", key="ladder50", bind="query-params")
    if more and 50.0 in ladder:
        wanted.append(f"g:{ladder[50.0]['name']}")
    show_runs(wanted, None)

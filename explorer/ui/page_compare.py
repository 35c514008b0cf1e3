"""Page: runs side by side: the numbers, traversal grids, what the decoder draws, where it reads z, factor plots, curves."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ..code_ranges import RANGE_HELP, RANGE_KINDS
from ..view_data import START_INDEX
from .params import parse_number, parse_run_refs
from .run_views import show_runs
from .runs import available_runs, gallery_index

#: Opens on the collapse lesson: the same autoregressive decoder with and without the cure.
DEFAULT_RUNS = ("g:collapse", "g:cure")
_PICK, _WRITTEN = "runs_pick", "_runs_written"


def pick_runs(default: tuple[str, ...] = DEFAULT_RUNS) -> list[str]:
    """The runs to show: from the URL (shareable), else ``default``; chosen with a multiselect.

    The widget's value lives in session state and is seeded from the URL only when the URL changed
    from outside (a link, a page link); passing a URL-derived default on every rerun instead made
    Streamlit treat it as a new widget and drop every second change.
    """
    known = available_runs()
    raw = st.query_params.get("runs")
    if _PICK not in st.session_state or raw != st.session_state.get(_WRITTEN):
        from_url, notices = parse_run_refs(raw, known)
        for notice in notices:
            st.info(notice)
        st.session_state[_PICK] = from_url if raw else [r for r in default if r in known]
    chosen = st.multiselect("Runs to compare", list(known), key=_PICK, format_func=lambda r: known.get(r, r),
                            max_selections=4, help="gallery runs and the runs trained on this server")
    written = ",".join(chosen)
    if chosen:
        st.query_params["runs"] = written
    else:
        st.query_params.pop("runs", None)
    st.session_state[_WRITTEN] = written or None
    return chosen


def _seed(key: str, value) -> None:
    """A widget's first value comes from the link; after that the widget owns it (no default passed again)."""
    if key not in st.session_state:
        st.session_state[key] = value


def view_options() -> tuple[int | None, str, bool]:
    """Where traversals start, how far they sweep, and whether uninformative rows are drawn (all in the URL)."""
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1.4])  # the last holds 'all rows', its toggle and help whole at 1280 px
    raw = st.query_params.get("start")
    prior = raw in ("prior", "-1")
    index, notice = parse_number(None if prior else raw, 0, 737_279, START_INDEX, integer=True, name="start")
    if notice:
        st.info(notice)
    starts = ["an encoded image", "the prior mean (z = 0)"]
    _seed("start_mode", starts[int(prior)])
    mode = c1.radio("Traversals start from", starts, horizontal=True, key="start_mode")
    start = None
    if mode == starts[0]:
        _seed("start_index", index)
        start = int(c2.number_input("dSprites image index (0 … 737279)", 0, 737_279, key="start_index"))
        if start == START_INDEX:
            st.query_params.pop("start", None)
        else:
            st.query_params["start"] = str(start)
    else:
        st.query_params["start"] = "prior"
    kind = st.query_params.get("range")
    _seed("range_kind", kind if kind in RANGE_KINDS else "data")
    kind = c3.radio("Sweep range", RANGE_KINDS, horizontal=True, key="range_kind",
                    help=" · ".join(f"{k}: {v}" for k, v in RANGE_HELP.items()))
    if kind == "data":
        st.query_params.pop("range", None)
    else:
        st.query_params["range"] = kind
    _seed("all_rows", st.query_params.get("rows") == "all")
    all_rows = c4.toggle("all rows", key="all_rows", help="also draw the latent dimensions that carry no information")
    if all_rows:
        st.query_params["rows"] = "all"
    else:
        st.query_params.pop("rows", None)
    return start, kind, all_rows


def compare_page() -> None:
    st.title("Compare runs")
    st.caption("Up to four runs side by side: the numbers first, then for each run its traversals (one row per "
               "informative latent), what its decoder draws from real images' codes, and where the decoder reads z.")
    gallery_table()
    refs = pick_runs()
    if not refs:
        st.info("Pick one or more runs (gallery runs load instantly).")
        return
    show_runs(refs, *view_options())


def gallery_table() -> None:
    """The shipped gallery with its settings and headline metrics (measured on a fresh 10k sample)."""
    entries = gallery_index()
    if not entries:
        return
    with st.expander(f"The gallery: {len(entries)} pre-trained runs", expanded=False):
        rows = []
        for e in entries:
            o, m = e.config.objective, e.metrics
            rows.append({"run": e.ref, "title": e.title, "β": o.beta, "TC weight": o.tc_weight,
                         "decoder": e.config.model.decoder, "schedule": o.schedule, "free bits": o.free_bits,
                         "labels": e.config.train.labels, "steps": e.config.train.steps, "MIG": m.get("mig"),
                         "informative units": m.get("informative_units"), "KL": m.get("kl"), "I(x;z)": m.get("mi"),
                         "z-usage": m.get("z_usage"), "recon": m.get("recon"), "command": e.command})
        st.dataframe(pd.DataFrame(rows).set_index("run"), width="stretch")
        st.caption("Every run was scored on the same fresh 10,000 images; the last column is the exact command that "
                   "trains it again.")

"""Page: pinned axes. The seed lottery of the unsupervised β-VAE against a few hundred labels."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .figures import seed_spread_figure
from .lessons import seed_spread_summary
from .runs import gallery_index

ROLES = ("seed-spread", "pinned")  # the recipe's seeds without labels, and their twins with labels
#: The table's columns: short titles, so that all ten stand whole at 1280 px (the caption says what a share is).
SHARE = "MI"
TITLES = {"mig": "MIG", "dci_disentanglement": "DCI"}


def spread_points(entries: list) -> list[dict]:
    """One row per gallery run of the comparison: its seed, label budget and headline scores."""
    points = []
    for e in entries:
        if e.role not in ROLES:
            continue
        t, m = e.config.train, e.metrics
        point = {"run": e.ref, "seed": t.seed, "labels": t.labels, "steps": t.steps, "mig": m.get("mig"),
                 "dci_disentanglement": m.get("dci_disentanglement")}
        point.update({f"{SHARE} {k}": v for k, v in (m.get("pinned_mi") or {}).items()})
        points.append(point)
    return points


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """Scores as text with three decimals and "–" where a run has none (a column that mixes "–" with floats
    cannot be sent to the browser as one type, and raw floats print seventeen digits)."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = [("–" if pd.isna(v) else f"{v:.3f}") for v in out[column]]
    return out


def pinned_page(links: dict) -> None:
    """``links``: page name -> st.Page (handed in by the navigation, so no page imports it)."""
    st.title("Pinned axes")
    st.markdown(
        "Locatello et al. (2019) proved that without supervision no method can guarantee disentangled axes: which "
        "axes you get depends on the model's biases and on the **random seed**; they suggest a little supervision "
        "and numbers over seeds. Below, the short-run recipe trained with three seeds, once unsupervised and once "
        "with a few hundred labelled images that tie latent dimension *k* to factor *k* (a supervised term on the "
        "encoder's mean). Each dot is one seed, scored on a fresh 10,000-image sample.")
    points = spread_points(gallery_index())
    if not any(p["labels"] for p in points) or not any(not p["labels"] for p in points):
        st.warning("This server's gallery lacks the seed-spread or pinned runs; "
                   "train your own on the Train page with the label budget control.")
        return
    takeaway = seed_spread_summary(points)
    if takeaway:
        st.info(takeaway + " Labels also name each pinned axis, in every grid and slider.")
    st.plotly_chart(seed_spread_figure(points), width="stretch", key="spread")
    table = pd.DataFrame(points).set_index("run").sort_values(["labels", "seed"])
    steps = sorted({int(s) for s in table.pop("steps").dropna()})
    # a plain table: its cells wrap instead of scrolling a column out of sight
    st.table(readable(table).rename(columns=TITLES))
    trained = f" Every run trained {' or '.join(f'{s:,}' for s in steps)} steps." if steps else ""
    st.caption(f"{SHARE} *factor*: the share of the factor's entropy that its pinned dimension carries (1 = all of "
               f"it; – for runs without labels, which pin nothing). DCI: DCI disentanglement.{trained}")
    st.markdown("**Look for yourself:** the same seed with and without labels, traversal rows named by factor:")
    for seed in sorted({p["seed"] for p in points}):  # one link a line: side by side, three were cut at 1280 px
        pair = [p["run"] for p in sorted(points, key=lambda p: p["labels"]) if p["seed"] == seed]
        st.page_link(links["compare"], label=f"seed {seed}: {' vs '.join(pair)}", icon=":material/compare:",
                      query_params={"runs": ",".join(pair)})

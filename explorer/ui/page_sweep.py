"""Page: a sweep folder's seeds against its settings (Locatello et al.'s figure in miniature), live while it writes."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from .. import metric_registry as registry
from . import sweeps
from .figures_sweep import spread_sentence, strip_figure
from .runs import load_sweep

#: Seconds between looks at a sweep whose grid is incomplete (a look is a few file stats).
POLL_SECONDS = 5
#: A sweep with nothing written for this long is taken as stopped, so an abandoned one is not watched forever.
IDLE_SECONDS = 2 * 3600
#: The table's metric columns and their formats: the Compare page's metrics table's (explorer.metric_registry).
HEADLINE = {key: registry.printf(key) for key in registry.keys(registry.TABLE)}


def sweep_page(links: dict) -> None:
    """``links``: page name -> st.Page (handed in by the navigation, so no page imports it)."""
    st.title("Sweep: seeds against settings")
    st.markdown(
        "Locatello et al. (2019) trained thousands of models and found that the **random seed** moves "
        "disentanglement scores about as much as the settings do. A sweep trains one recipe over a grid of settings "
        "× seeds; below, every seed is one point, scored on the same fresh 10,000 images, and a line joins the "
        "medians. Run your own with `python -m explorer sweep --out sweeps/<name>`.")
    found, notes = sweeps.find_sweeps()
    for note in notes:
        st.caption(note)
    if not found:
        st.info("No sweep folder here yet: sweeps are read from `sweeps/<name>/` beside the app and "
                "`checkpoints/sweeps/`. Start one with `python -m explorer sweep --out sweeps/<name>`.")
        return
    left, right = st.columns(2)
    with left:
        name = _url_select("Sweep", list(found), "sweep", "sweep_pick",
                           help="a folder with a sweep.json, in sweeps/ beside the app or checkpoints/sweeps/")
    path = found[name]
    sweep = load_sweep(path)
    choices = sweeps.metric_choices(sweep) or {"mig": registry.label("mig")}
    with right:
        metric = _url_select("Metric", list(choices), "metric", "sweep_metric", format_func=choices.get)
    done = sweeps.progress(sweep)["done"]
    idle = time.time() - sweeps.newest_write(sweeps.signature(path)) > IDLE_SECONDS
    every = POLL_SECONDS if not done and not idle else None
    st.fragment(_live, run_every=every)(name, path, metric, choices[metric], links, every is not None)


def _url_select(label: str, options: list[str], param: str, key: str, **kw) -> str:
    """A selectbox seeded from ``?param=`` when the link changed from outside, written back to the URL."""
    raw, written = st.query_params.get(param), f"_{key}_written"
    if key not in st.session_state or raw != st.session_state.get(written) or st.session_state[key] not in options:
        if raw is not None and raw not in options:
            st.info(f"{param}={raw[:40]!r} from the link is not here; showing {options[0]!r}")
        st.session_state[key] = raw if raw in options else options[0]
    value = st.selectbox(label, options, key=key, **kw)
    st.query_params[param] = value
    st.session_state[written] = value
    return value


def _live(name: str, path, metric: str, label: str, links: dict, polling: bool) -> None:
    """Everything drawn from the folder's files; a fragment that re-reads them on a timer while runs are missing."""
    sweep = load_sweep(path)
    progress = sweeps.progress(sweep)
    if polling and progress["done"]:
        st.rerun()  # the whole page again, whose fragment is then declared without a timer: polling stops
    caption = sweeps.progress_caption(progress)
    if polling:
        caption += f" Watching the folder: new results appear within {POLL_SECONDS} s."
    elif not progress["done"] and progress["total"] is not None:
        caption += " Nothing was written for over two hours, so this page is not watching; reload to look again."
    st.caption(caption)
    for note in sweep.notes[:3]:
        st.warning(note)
    if len(sweep.notes) > 3:
        st.warning(f"… and {len(sweep.notes) - 3} more note(s) like these")
    x, groups = sweeps.x_and_groups(sweep)
    x_label = sweeps.axis_label(x) if x else "runs"
    points = sweeps.chart_points(sweep, metric)
    short = label.split(" (")[0]
    if points.empty:
        st.info(f"No completed run has a {short} yet: points appear here as runs finish.")
    else:
        fig = strip_figure(points, x_label, label, sweeps.x_scale(sweep.axes.get(x, [])) if x else "category",
                           group_title=", ".join(sweeps.axis_label(g) for g in groups))
        st.plotly_chart(fig, width="stretch", key="sweep-strip")
        sentence = spread_sentence(points, short, x_label)
        if sentence:
            st.info(sentence)
    _table(name, sweep)
    _compare_links(name, sweep, points, short, x_label, links)


def _table(name: str, sweep: sweeps.Sweep) -> None:
    """One row per run (grid points not yet answered included, as "missing"), and results.csv to download."""
    parts = [f for f in (sweep.runs, pd.DataFrame(sweeps.missing_rows(sweep))) if not f.empty]
    runs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if runs.empty:
        st.caption("No run folder has a result.json yet.")
        return
    runs["_order"] = [sweeps.point_of(sweep, r) for r in runs.to_dict("records")]
    runs = runs.sort_values("_order", kind="stable")
    cols = {a: sweeps.axis_label(a) for a in sweep.axes if a != "seed"} | {"seed": "seed", "status": "status"}
    cols |= {m: _short(m) for m in HEADLINE if m in runs}
    cols |= {"opens": "Compare", "weights": "weights", "key": "run"}
    if runs.get("reason", pd.Series(dtype=object)).fillna("").astype(str).str.strip().any():
        cols["reason"] = "why not completed"
    for axis in [a for a in [*sweep.axes, "seed"] if a in runs]:  # a column of mixed types cannot be drawn as is
        if not all(isinstance(v, (int, float)) for v in runs[axis].dropna()):
            runs[axis] = [None if v is None else sweeps.value_text(v) for v in runs[axis]]
    table = runs.reindex(columns=list(cols)).rename(columns=cols)
    table["weights"] = table["weights"].eq(True)
    table["Compare"] = table["Compare"].eq(True)
    fmt = {_short(m): st.column_config.NumberColumn(format=f, help=registry.label(m)) for m, f in HEADLINE.items()
           if m in runs}
    fmt |= {"Compare": st.column_config.CheckboxColumn(help="opens on Compare (its views are stored)"),
            "weights": st.column_config.CheckboxColumn(help="its weights are kept (the slider editor can load it)")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=fmt)
    st.caption("KL, I(x;z), z-usage and recon NLL in nats.")
    with st.expander("Train a run again: the command of each"):  # a column of its own pushed the table off 1280 px
        st.caption("Each run's settings as today's `train` flags. `train` computes on one thread, as the sweep did, "
                   "so on the same kind of CPU a command retrains its run's very weights (README, reproducibility).")
        commands = runs.reindex(columns=["key", "command"]).rename(columns={"key": "run"})
        st.dataframe(commands, hide_index=True, width="stretch",
                     column_config={"command": st.column_config.TextColumn(width="large")})
    st.download_button("Download results.csv", sweeps.results_csv(sweep), file_name=f"{name}-results.csv",
                       mime="text/csv", icon=":material/download:",
                       help="one row per run folder, in results.csv's columns, rebuilt from the result.json files")


def _short(key: str) -> str:
    """A metric's column title without its unit (the caption under the table gives it), to keep columns narrow."""
    return registry.label(key).replace(" (nats)", "")


def _compare_links(name: str, sweep: sweeps.Sweep, points: pd.DataFrame, label: str, x_label: str, links: dict) -> None:
    """Any run with views (or weights) one click from Compare, plus the contrasts the chart invites."""
    kept = [r for r in sweep.runs.to_dict("records") if r.get("opens")]
    if not kept:
        st.caption("This sweep kept neither weights nor views, so its runs cannot open on Compare; \"Train a run "
                   "again\", under the table, gives the command that trains each one again.")
        return
    st.markdown("**Open runs on Compare** (traversals, reconstructions and curves of the chosen runs)")
    kept.sort(key=lambda r: sweeps.point_of(sweep, r))
    options = {f"s:{name}/{r['key']}": sweeps.run_label(sweep, r) + f" [{r['status']}, {r['key']}]" for r in kept}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    ref = left.selectbox("A run of this sweep", list(options), format_func=options.get, key=f"sweep_run:{name}")
    right.page_link(links["compare"], label="Open on Compare", icon=":material/compare:", query_params={"runs": ref})
    among = "" if len(points) == 0 or points["opens"].all() else " (of the runs that open)"
    for text, keys in _contrasts(points[points["opens"]] if len(points) else points, label, x_label):
        st.page_link(links["compare"], label=text + among, icon=":material/compare:",
                     query_params={"runs": ",".join(f"s:{name}/{k}" for k in keys)})


def _contrasts(points: pd.DataFrame, label: str, x_label: str) -> list[tuple[str, list[str]]]:
    """The best and worst seed where seeds disagree most, and the median seed at (up to four) x values."""
    out = []
    cells = [c for _, c in points.groupby(["group", "x"], sort=True) if len(c) > 1]
    if cells:
        widest = max(cells, key=lambda c: c["y"].max() - c["y"].min())
        hi, lo = widest.loc[widest["y"].idxmax()], widest.loc[widest["y"].idxmin()]
        where = f"{x_label} = {hi['x_text']}" + ("" if hi["group"] == "all" else f", {hi['group']}")
        out.append((f"Best and worst seed at {where}: {label} {hi['y']:.2f} vs {lo['y']:.2f}", [hi["key"], lo["key"]]))
    if len(points):
        first = points[points["group"] == points["group"].iloc[0]]
        xs = sorted(first["x"].unique())
        if len(xs) > 1:
            chosen = [xs[round(i * (len(xs) - 1) / 3)] for i in range(4)] if len(xs) > 4 else xs
            keys, shown = [], []
            for x in dict.fromkeys(chosen):
                cell = first[first["x"] == x]
                keys.append(cell.loc[(cell["y"] - cell["y"].median()).abs().idxmin(), "key"])
                shown.append(cell["x_text"].iloc[0])
            group = "" if first["group"].iloc[0] == "all" else f" ({first['group'].iloc[0]})"
            at = f"each {x_label}{group}: {' → '.join(shown)}" if len(shown) == len(xs) else \
                f"{x_label} = {', '.join(shown)}{group} (Compare holds four)"
            out.append((f"The median seed at {at}", keys))
    return out

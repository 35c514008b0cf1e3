"""What the pages say and draw around the pictures: sentences from numbers, chart scales, row names, run picking."""
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer.config import ObjectiveConfig, RunConfig
from explorer.gallery_index import GalleryRecord
from explorer.naming import row_labels
from explorer.ui.figures import curves_figure, kl_heatmap, off_scale_range, rate_distortion_figure
from explorer.ui.lessons import collapse_summary, ladder_points, ladder_summary, seed_spread_summary


def _record(name, metrics, beta=1.0, role="beta-ladder"):
    return GalleryRecord(name, name, role, f"{name}.pt", RunConfig(objective=ObjectiveConfig(beta=beta)), metrics)


def _rung(beta, mig, recon, units, kl):
    return _record(f"b{beta:g}", {"mig": mig, "recon": recon, "informative_units": units, "kl": kl}, beta=beta)


def test_the_ladder_summary_says_what_its_numbers_show_and_changes_when_they_do():
    plateau = ladder_points([_rung(50, 0.27, 199, 3, 3.4), _rung(1, 0.23, 58, 5, 16.3), _rung(4, 0.32, 102, 3, 8.6)])
    assert [p["beta"] for p in plateau] == [1, 4, 50]
    text = ladder_summary(plateau)
    assert "58 → 102 → 199 nats: worse at every step" in text
    assert "best at β = 4, lower again beyond it" in text
    assert "the same 3 stay" in text and "switching off" in text and "switches dimensions off" not in text
    shedding = ladder_summary(ladder_points([_rung(1, 0.05, 110, 5, 16), _rung(4, 0.06, 118, 4, 9), _rung(50, 0.15, 267, 2, 3)]))
    assert "5 → 4 → 2" in shedding and "larger β switches dimensions off" in shedding
    assert "best at the largest β, 50" in shedding
    assert "lacks the numbers" in ladder_summary(ladder_points([_rung(1, None, 58, 5, 16), _rung(4, 0.3, 90, 3, 8)]))


def test_the_collapse_summary_reports_the_ratio_and_refuses_to_claim_a_lesson_the_numbers_do_not_show():
    collapse = _record("collapse", {"z_usage": 1.5, "informative_units": 0, "kl": 0.31, "mi": 0.28}, role="collapse")
    cure = _record("cure", {"z_usage": 54.4, "informative_units": 10, "kl": 9.4, "mi": 6.0}, role="cure")
    text = collapse_summary(collapse, cure)
    assert "saves 1.5 nats" in text and "54.4 nats (36× more)" in text and "draws without its code" in text
    weak = _record("cure", {**cure.metrics, "z_usage": 3.0}, role="cure")
    assert "differ less than the lesson expects" in collapse_summary(collapse, weak)


def test_the_pinned_takeaway_names_where_labels_help():
    points = [{"labels": 0, "mig": 0.317, "dci_disentanglement": 0.356}, {"labels": 0, "mig": 0.43, "dci_disentanglement": 0.41},
              {"labels": 300, "mig": 0.316, "dci_disentanglement": 0.464}, {"labels": 300, "mig": 0.43, "dci_disentanglement": 0.49}]
    text = seed_spread_summary(points)
    assert "MIG 0.373 without labels, 0.373 with them: no real change" in text
    assert "DCI disentanglement 0.383 without labels, 0.477 with them: better with labels" in text


def test_an_untrained_first_point_is_left_off_the_chart_scales_and_the_axis_says_so():
    history = {"step": [0, 200, 400, 600], "recon": [5000.0, 120.0, 110.0, 104.0], "kl": [3e6, 12.0, 10.0, 9.0],
               "eval_kl": [14.0, 12.0, 10.0, 9.0], "kl_per_dim": [[2e6, 1e6], [6.0, 0.1], [5.0, 0.1], [4.5, 0.1]]}
    lo, hi = off_scale_range([history["recon"]])
    assert 100 < lo < 104 and 120 < hi < 125
    assert off_scale_range([history["eval_kl"]]) is None  # nothing squashed: nothing clipped
    assert off_scale_range([[0, 3, 3, 3]]) is None  # informative units rising from 0: the rise is the point
    assert off_scale_range([[0.08, 4.0, 4.0]]) is None  # a KL weight that finished warming up before point two
    fig = curves_figure({"run": history})
    recon_axis = next(a for name, a in fig.layout.to_plotly_json().items() if name.startswith("yaxis")
                      and a.get("range") is not None)
    assert recon_axis["title"]["text"] == "first point off-scale"
    rd = rate_distortion_figure({"run": history})
    assert rd.layout.xaxis.range[1] < 13 and "off-scale" in rd.layout.xaxis.title.text
    heat = kl_heatmap(history, "kl")
    assert heat.data[0].zmax == pytest.approx(6.0) and "clipped" in heat.data[0].colorbar.title.text


def test_a_dimension_with_no_information_gets_no_factor_name_and_a_weak_pinned_one_says_so():
    metrics = {"kl_per_dim": [2.0, 0.01], "posterior_mean_variance": [0.5, 0.04],  # dim 1 passes Burda's 0.01
               "informative_nats": [1.2, 0.02], "mi_matrix": [[0.9, 0.0], [0.1, 0.2]]}
    assert row_labels(metrics, ("posX", "posY")) == ["z0 · posX · KL 2.0", "z1 · KL 0.0 · no information"]
    pinned = {**metrics, "pinned": {"0": "posX", "1": "posY"}, "informative_nats": [1.2, 0.17], "kl_per_dim": [2.0, 0.2]}
    assert row_labels(pinned, ("posX", "posY")) == ["z0 = posX (pinned) · KL 2.0", "z1 = posY (pinned) · KL 0.2 · carries little"]


def _picker(monkeypatch) -> AppTest:
    from explorer.ui import page_compare

    monkeypatch.setattr(page_compare, "available_runs", lambda: {f"g:r{i}": f"run {i}" for i in range(5)})

    def script():
        from explorer.ui.page_compare import pick_runs

        pick_runs(default=("g:r0",))

    return AppTest.from_function(script, default_timeout=30).run()


def test_runs_to_compare_keeps_every_change_in_a_row(monkeypatch):
    """Adding three runs and removing two, one click each: every change sticks (the picker used to drop every second)."""
    at = _picker(monkeypatch)
    seen = []
    for action, ref in (("select", "g:r1"), ("select", "g:r2"), ("select", "g:r3"), ("unselect", "g:r1"),
                        ("unselect", "g:r2")):
        getattr(at.multiselect[0], action)(ref).run()
        assert not at.exception
        seen.append(list(at.multiselect[0].value))
        assert at.query_params["runs"] == ",".join(seen[-1])
    assert seen == [["g:r0", "g:r1"], ["g:r0", "g:r1", "g:r2"], ["g:r0", "g:r1", "g:r2", "g:r3"],
                    ["g:r0", "g:r2", "g:r3"], ["g:r0", "g:r3"]]


def test_a_link_to_other_runs_replaces_the_picked_ones(monkeypatch):
    at = _picker(monkeypatch)
    assert at.multiselect[0].value == ["g:r0"]
    at.query_params["runs"] = "g:r3,g:r4"  # a page link arriving with other runs
    at.run()
    assert at.multiselect[0].value == ["g:r3", "g:r4"]


@pytest.fixture(autouse=True)
def _clear():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def test_the_seed_spread_behind_each_beta_is_measured_not_asserted():
    import pandas as pd

    from explorer.ui.lessons import seed_spread_by_beta

    rows = [(1, s, m) for s, m in enumerate((0.10, 0.12, 0.14))] + [(4, s, m) for s, m in enumerate((0.20, 0.45, 0.30))]
    runs = pd.DataFrame([{"beta": b, "seed": s, "status": "completed", "mig": m} for b, s, m in rows])
    text = seed_spread_by_beta(runs)
    assert "3 seeds" in text and "0.12 → 0.30 across β = 1 → 4" in text
    assert "at β = 4 the seeds span 0.20–0.45, wider than the whole change of the median across β (0.18)" in text
    calm = runs.assign(mig=[0.10, 0.11, 0.12, 0.40, 0.41, 0.42])
    assert "narrower than" in seed_spread_by_beta(calm)
    assert seed_spread_by_beta(runs[runs["beta"] == 1]) == ""  # one β: nothing to compare the spread with


def test_the_blind_spot_line_says_why_the_means_light_up_where_no_latent_carries_anything():
    from explorer.ui.lessons import mig_blind_spot, mig_ranking_note

    names = ("shape", "scale", "orientation", "posX", "posY")
    collapsed = {"mig": 0.022, "informative_units": 0, "informative_nats": [0.02, 0.04],
                 "mi_matrix": [[0.01, 0.0], [0.0, 0.0], [0.0, 0.0], [0.79, 0.2], [0.1, 0.3]]}
    text = mig_blind_spot(collapsed, names, ["z0", "z1"])
    assert "the most any carries is 0.04 nats" in text and "reaches 0.79 nats (z0, posX)" in text and "0.022" in text
    used = {**collapsed, "informative_nats": [2.0, 0.02], "informative_units": 1}
    assert "Greyed latents" in mig_blind_spot(used, names, ["z0", "z1"]) and "0.30 nats of MI (z1, posY)" in \
        mig_blind_spot(used, names, ["z0", "z1"])
    assert mig_blind_spot({**used, "informative_nats": [2.0, 2.0]}, names, ["z0", "z1"]) == ""  # nothing greyed
    cured = _record("cure", {"mig": 0.017, "informative_units": 10}, role="cure")
    note = mig_ranking_note({"g:collapse": _record("collapse", collapsed, role="collapse"), "g:cure": cured})
    assert note.startswith("MIG ranks g:collapse (0.022) above g:cure (0.017)")
    assert mig_ranking_note({"g:cure": cured}) == ""


def test_the_shipped_collapse_shows_the_blind_spot_and_its_cure_does_not_fall_for_it():
    """A known answer: the shipped collapsed run carries nothing (informative units 0) while its means' MI is high."""
    from pathlib import Path

    from explorer.gallery_index import read_index
    from explorer.ui.lessons import mig_blind_spot, mig_ranking_note
    from explorer.view_data import load_views

    root = Path(__file__).resolve().parents[1] / "checkpoints"
    runs = {f"g:{r.name}": load_views(root / r.views) for r in read_index(root) if r.role in ("collapse", "cure")}
    collapse, cure = runs["g:collapse"], runs["g:cure"]
    assert collapse.metrics["informative_units"] == 0 and max(map(max, collapse.metrics["mi_matrix"])) > 0.5
    names = ("shape", "scale", "orientation", "posX", "posY")
    assert mig_blind_spot(collapse.metrics, names, [f"z{d}" for d in range(10)]).startswith("No latent carries")
    assert cure.metrics["informative_units"] > 0
    assert ("MIG ranks g:collapse" in mig_ranking_note(runs)) == (collapse.metrics["mig"] > cure.metrics["mig"])


def test_each_run_keeps_one_colour_across_the_curves_and_the_rate_distortion_plane():
    from explorer.ui.figures import run_colour

    histories = {ref: {"step": [0, 10], "kl": [1.0, 2.0 + i], "recon": [90.0, 80.0 - i], "mig": [0.1, 0.2]}
                 for i, ref in enumerate(("g:collapse", "g:cure"))}
    curves, rd = curves_figure(histories), rate_distortion_figure(histories)
    for i, ref in enumerate(histories):
        assert {t.line.color for t in curves.data if t.name == ref} == {run_colour(i)}
        assert {t.line.color for t in rd.data if t.name == ref} == {run_colour(i)}


def test_the_about_pages_price_of_drawing_without_z_is_measured_and_the_13_5_nats_bound_is_on_i_x_z():
    """About's stated facts against the data: the average image (the best a factorised decoder can draw without z)
    costs AVERAGE_IMAGE_NLL nats per image on a fresh sample, and ln 737,280 bounds I(x; z), not the KL (the shipped
    β = 1 runs' KL exceeds it)."""
    from pathlib import Path

    import numpy as np

    from explorer.data import ProceduralDSprites
    from explorer.evaluation import draw_eval_sample
    from explorer.gallery_index import read_index
    from explorer.ui import page_about

    x = draw_eval_sample(ProceduralDSprites(), 5000, 3).images.reshape(5000, -1).astype(np.float64)
    p = x.mean(axis=0).clip(1e-6, 1 - 1e-6)
    measured = float(-(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1).mean())
    assert abs(measured - page_about.AVERAGE_IMAGE_NLL) < 15
    records = {r.name: r for r in read_index(Path(__file__).resolve().parents[1] / "checkpoints")}
    assert "against 58 for the β = 1 recipe" in page_about.without_z_fact(records)
    assert records["recipe-beta1"].metrics["kl"] > np.log(737_280)  # why the text bounds I(x; z), not the KL
    assert "I(x; z), is at most ln 737,280" in page_about.TEXT


def test_the_editor_promises_no_rotation_slider_the_shipped_runs_lack():
    """Its intro says rotation rarely gets a slider and that its gap is 0; the shipped runs' numbers must agree."""
    from pathlib import Path

    from explorer.gallery_index import read_index

    records = read_index(Path(__file__).resolve().parents[1] / "checkpoints")
    gaps = [r.metrics["mig_gaps"][2] for r in records if r.metrics.get("mig_gaps")]
    assert gaps and round(max(gaps), 2) <= 0.10  # orientation, factor 2: no shipped run gives it an axis of its own
    source = (Path(__file__).resolve().parents[1] / "explorer" / "ui" / "page_editor.py").read_text()
    assert "another rotates" not in source and "its MIG gap is 0.10 at most in the shipped runs" in source


def test_lesson_ones_headline_claims_only_what_the_seed_spread_allows():
    import pandas as pd

    from explorer.ui.lessons import beta_headline

    def table(values):
        return pd.DataFrame([{"beta": b, "seed": i, "status": "completed", "mig": m}
                             for b, migs in values for i, m in enumerate(migs)])

    wide = beta_headline(table([(1, [0.05, 0.12, 0.16]), (8, [0.04, 0.20, 0.33])]))
    assert "in the median seed" in wide and "the seed matters as much" in wide
    assert beta_headline(table([(1, [0.10, 0.11]), (8, [0.40, 0.41])])) == \
        "1 · Raising β buys one factor per axis, paid in reconstruction"
    assert "does not buy" in beta_headline(table([(1, [0.30, 0.31]), (8, [0.10, 0.11])]))
    assert beta_headline(None) == "1 · Raising β makes the code costlier, paid in reconstruction"



def test_kl_split_numbers_stay_level_and_a_part_too_narrow_for_its_number_has_it_beside_the_bar():
    """Plotly turns a number on its side (or shrinks it) to fit a narrow bar: the collapsed run's 0.28 nats read
    sideways beside a cured run's 9 nats."""
    from explorer.ui.figures import kl_split_figure

    splits = {"g:collapse": {"mi": 0.28, "tc": 0.0, "dim_kl": 0.03, "kl": 0.31},
              "g:cure": {"mi": 5.77, "tc": 3.0, "dim_kl": 0.66, "kl": 9.43}}
    fig = kl_split_figure(splits)
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars and all(t.textangle == 0 for t in bars)
    inside = {(t.name.split(":")[0], y): text for t in bars for y, text in zip(t.y, t.text)}
    mi = "index-code MI I(x; z)"
    assert inside[(mi, "g:cure")] == "5.77" and inside[(mi, "g:collapse")] == ""
    (note,) = [a for a in fig.layout.annotations if a.y == "g:collapse"]
    assert "0.28" in note.text and "0.03" in note.text and note.x >= 0.31
    assert not [a for a in fig.layout.annotations if a.y == "g:cure"]  # 0.66 of 9.43 is wide enough for its number


def test_the_mi_heatmaps_greyed_cells_keep_legible_numbers():
    """Greyed latents were a 75 % grey veil drawn over the heatmap, numbers included: the collapsed run's 0.79, the
    blind spot's evidence, read as faint 10 px text."""
    import numpy as np

    from explorer.ui.figures import mi_heatmap

    mi = [[0.02, 0.79, 0.5], [0.01, 0.1, 0.3]]
    fig = mi_heatmap(mi, ["posX", "posY"], "t", ["z0", "z1", "z2"], carried=[0.02, 0.03, 2.0])
    assert not [s for s in fig.layout.shapes if s.type == "rect"]  # no veil over the numbers
    heats = [t for t in fig.data if t.type == "heatmap"]
    assert all(t.textfont.size >= 12 for t in heats)
    blue, grey = heats
    assert grey.showscale is False and grey.z[0][1] == 0.79 and np.isnan(grey.z[0][2])  # z0, z1 greyed, z2 blue
    assert np.isnan(blue.z[0][1]) and blue.z[0][2] == 0.5


def test_the_pinned_chart_keeps_one_colour_per_label_budget_and_one_label_per_overlapping_seeds():
    from explorer.ui.figures import seed_spread_figure

    points = [{"seed": s, "labels": b, "mig": m, "dci_disentanglement": d}
              for s, b, m, d in [(0, 0, 0.317, 0.356), (1, 0, 0.43, 0.406), (2, 0, 0.235, 0.339),
                                 (0, 300, 0.316, 0.464), (1, 300, 0.245, 0.463), (2, 300, 0.327, 0.487)]]
    fig = seed_spread_figure(points)
    colours = {}
    for t in fig.data:
        colours.setdefault(t.name if t.name != "median" else None, set()).add(t.marker.color)
    assert colours["0 labels"] != colours["300 labels"] and len(colours["0 labels"]) == len(colours["300 labels"]) == 1
    dci_300 = next(t for t in fig.data if t.name == "300 labels" and t.xaxis == "x2")
    assert sorted(x.strip() for x in dci_300.text if x) == ["seed 2", "seeds 0, 1"]  # 0.463 and 0.464 share a label
    assert all(fig.layout[f"xaxis{i}"].range[1] >= 1.5 for i in ("", "2"))  # the last budget's names not cut

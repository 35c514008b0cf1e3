"""The Sweep page reads the folders a sweep engine writes (docs/sweeps.md), whatever state they are in."""
import hashlib
import json
import math
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from explorer.checkpoint import save_run
from explorer.config import ModelConfig, RunConfig, TrainConfig
from explorer.models import build_model
from explorer.run import Run
from explorer.ui import run_models, runs, sweeps
from explorer.views import write_checkpoint_views
from explorer.ui.figures_sweep import spread_sentence

AXES = {"beta": [1.0, 4.0, 16.0], "decoder": ["broadcast", "conv"], "seed": [0, 1, 2]}


@pytest.fixture(autouse=True)
def _roots(tmp_path, monkeypatch):
    """Sweeps come from tmp_path only (no shipped gallery either); caches are process-wide, so cleared."""
    monkeypatch.setattr(sweeps, "SWEEP_ROOTS", (tmp_path / "shipped", tmp_path / "sweeps"))
    monkeypatch.setattr(runs, "GALLERY_DIR", tmp_path / "no-gallery")
    monkeypatch.setattr(runs, "VIEWS_CACHE", tmp_path / "views-cache")  # views computed by the server go here
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _mig(beta: float, seed: int, decoder: str | None) -> float:
    return round(0.1 * math.log2(beta) + 0.05 * seed + (0.1 if decoder == "conv" else 0), 4)


def write_result(folder: Path, swept: dict, status: str = "completed", key: str | None = None,
                 checkpoint: str | None = None) -> str:
    """A result.json as the engine writes it; the key is made from the swept values unless given."""
    key = key or hashlib.sha256(json.dumps(swept, sort_keys=True).encode()).hexdigest()[:12]
    beta, seed = swept.get("beta", 1.0), swept.get("seed", 0)
    metrics = {} if status == "failed" else {
        "mig": _mig(beta, seed, swept.get("decoder")), "mig_gaps": [0.1, 0.5, 0.0, 0.4, 0.6], "informative_units": 3,
        "active_units": 3, "kl": 8.0 + beta, "mi": 7.5, "z_usage": 40.0, "recon": 100.0 + 2 * beta, "steps": 1600}
    reason = "" if status == "completed" else f"worker said {status}"
    body = {"version": 1, "key": key, "status": status, "reason": reason,
            "attempts": 1, "swept": swept, "config": {"train": {"seed": seed}}, "metrics": metrics,
            "command": f"python -m explorer train --beta {beta:g} --seed {seed}",
            "timings": {"train_seconds": 80.0}, "checkpoint": checkpoint}
    (folder / key).mkdir(parents=True, exist_ok=True)
    (folder / key / "result.json").write_text(json.dumps(body))
    return key


def write_sweep(root: Path, name: str = "demo", axes: dict = AXES, skip: int = 0, statuses: dict | None = None,
                csv: bool = True) -> Path:
    """sweep.json and one result.json per grid point (the last ``skip`` points missing), results.csv from them."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps({"version": 1, "axes": axes, "base": ["--steps", "1600"]}))
    grid = pd.MultiIndex.from_product(list(axes.values()), names=list(axes)).to_frame(index=False).to_dict("records")
    for i, swept in enumerate(grid[:len(grid) - skip]):
        write_result(folder, swept, (statuses or {}).get(i, "completed"))
    if csv:
        (folder / "results.csv").write_text(sweeps.results_csv(sweeps.read_sweep(folder)))
    return folder


def _page(query: dict | None = None) -> AppTest:
    def script():
        from explorer.ui.nav import pages
        from explorer.ui.page_sweep import sweep_page

        sweep_page(pages())

    at = AppTest.from_function(script, default_timeout=30)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def _chart(at) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def _points(spec: dict) -> dict[str, list]:
    """group -> y of every seed point (the marker-only traces)."""
    out = {}
    for trace in spec["data"]:
        if trace.get("mode") == "markers":
            out.setdefault(trace["name"], []).extend(trace["y"])
    return out


def test_the_page_lists_the_sweeps_and_draws_every_completed_seed_grouped_by_the_second_axis(tmp_path):
    write_sweep(tmp_path / "sweeps", "demo", statuses={4: "failed"})
    write_sweep(tmp_path / "shipped", "beta-spectrum", axes={"beta": [1.0, 2.0], "seed": [0, 1]})
    at = _page({"sweep": "demo"}).run()
    assert not at.exception
    assert at.selectbox(key="sweep_pick").options == ["demo", "beta-spectrum"]  # users' sweeps first
    spec = _chart(at)
    points = _points(spec)
    assert sorted(points) == ["broadcast", "conv"] and sum(map(len, points.values())) == 17  # 18 runs, one failed
    assert spec["layout"]["xaxis"]["type"] == "log"  # β from 1 to 16
    assert any(t["mode"] == "lines+markers" and t["name"] == "median (conv)" for t in spec["data"])
    hover = " ".join(t for tr in spec["data"] if tr.get("mode") == "markers" for t in tr["text"])
    assert "β = 4, decoder = conv, seed 2" in hover and "MIG = 0.4" in hover
    table = at.dataframe[0].value
    assert len(table) == 18 and list(table.columns[:4]) == ["β", "decoder", "seed", "status"]
    assert (table["status"] == "failed").sum() == 1
    assert at.query_params["sweep"] == "demo" and at.query_params["metric"] == "mig"
    # and the other sweep, from the selectbox: one axis, a linear β axis (1 to 2), one colour
    at.selectbox(key="sweep_pick").set_value("beta-spectrum").run()
    assert not at.exception and at.query_params["sweep"] == "beta-spectrum"
    spec = _chart(at)
    assert list(_points(spec)) == ["seeds"] and spec["layout"]["xaxis"]["type"] == "linear"


def test_the_metric_selectbox_redraws_the_chart_and_goes_into_the_link(tmp_path):
    write_sweep(tmp_path / "sweeps")
    at = _page().run()
    before = _points(_chart(at))
    metric = at.selectbox(key="sweep_metric")
    assert metric.options[:4] == ["MIG", "informative units", "active units", "KL (nats)"]
    assert "MIG gap: posX" in metric.options and "training time (s)" in metric.options
    metric.set_value("recon").run()
    assert not at.exception
    spec = _chart(at)
    assert spec["layout"]["yaxis"]["title"]["text"] == "recon NLL (nats)"
    assert sorted(_points(spec)["conv"]) == sorted(100.0 + 2 * b for b in AXES["beta"] for _ in AXES["seed"])
    assert _points(spec) != before and at.query_params["metric"] == "recon"
    assert "median recon NLL 102 → 108 → 132 across β" in at.info[0].value
    at2 = _page({"metric": "kl"}).run()  # a shared link opens on its metric
    assert at2.selectbox(key="sweep_metric").value == "kl"


def test_the_caption_counts_completed_failed_and_missing_runs_against_the_grid(tmp_path):
    write_sweep(tmp_path / "sweeps", skip=3, statuses={0: "failed", 5: "diverged"})
    at = _page().run()
    assert not at.exception
    caption = " ".join(c.value for c in at.caption)
    assert "Of the 18-run grid in sweep.json: 13 completed, 2 failed (1 diverged, 1 failed), 3 missing" in caption
    assert "Watching the folder" in caption
    assert (at.dataframe[0].value["status"] == "missing").sum() == 3


def test_a_corrupt_result_json_is_skipped_with_a_note_and_a_missing_results_csv_is_rebuilt(tmp_path):
    folder = write_sweep(tmp_path / "sweeps", csv=False, skip=1)
    (folder / "0badc0ffee00").mkdir()
    (folder / "0badc0ffee00" / "result.json").write_text('{"version": 1, "key": "0badc0ffee00", "status": "compl')
    at = _page().run()
    assert not at.exception
    assert any("0badc0ffee00" in w.value and "not valid JSON" in w.value for w in at.warning)
    assert sum(map(len, _points(_chart(at)).values())) == 17
    assert len(at.dataframe[0].value) == 18  # 17 rebuilt from result.json + 1 missing
    header = sweeps.results_csv(sweeps.read_sweep(folder)).splitlines()[0]
    assert header == ("key,beta,decoder,seed,status,attempts,mig,mig_gap_shape,mig_gap_scale,mig_gap_orientation,"
                      "mig_gap_posX,mig_gap_posY,informative_units,active_units,kl,mi,z_usage,recon,steps,train_seconds")


@pytest.mark.parametrize("case", ["no sweeps", "empty", "one axis", "seed only", "all failed", "bad sweep.json",
                                  "unknown in link"])
def test_odd_folders_never_raise(tmp_path, case):
    root = tmp_path / "sweeps"
    root.mkdir()
    if case == "empty":
        write_sweep(root, axes={"beta": [1.0, 2.0], "seed": [0]}, skip=2)
    elif case == "one axis":
        write_sweep(root, axes={"beta": [1.0, 2.0, 4.0]})  # no seed axis: the config's seed stands in
    elif case == "seed only":
        write_sweep(root, axes={"seed": [0, 1, 2]})
    elif case == "all failed":
        write_sweep(root, axes={"beta": [1.0], "seed": [0, 1]}, statuses={0: "failed", 1: "failed"})
    elif case == "bad sweep.json":
        write_sweep(root, axes={"beta": [1.0, 2.0], "seed": [0, 1]})
        (root / "demo" / "sweep.json").write_text("{")
    elif case == "unknown in link":
        write_sweep(root)
    at = _page({"sweep": "nope"} if case == "unknown in link" else None).run()
    assert not at.exception
    text = " ".join(e.value for e in [*at.info, *at.caption, *at.warning])
    expected = {"no sweeps": "No sweep folder here yet", "empty": "2 missing", "one axis": "3 completed",
                "seed only": "3 completed", "all failed": "No completed run has a MIG yet",
                "bad sweep.json": "the grid is unknown", "unknown in link": "sweep='nope' from the link is not here"}
    assert expected[case] in text
    if case in ("one axis", "seed only"):
        assert sum(map(len, _points(_chart(at)).values())) == 3


def test_a_sweep_run_opens_on_compare_and_one_without_weights_says_how_to_retrain_it(tmp_path):
    folder = write_sweep(tmp_path / "sweeps", axes={"beta": [1.0, 4.0], "seed": [0]})
    config = RunConfig(ModelConfig(latent_dim=3, decoder="conv"), train=TrainConfig(steps=2))
    torch.manual_seed(0)
    run = Run(config=config, model=build_model(config.model).eval(), status="completed",
              metrics={"kl_per_dim": [1.0, 1.0, 1.0], "steps": 2})
    kept = write_result(folder, {"beta": 2.0, "seed": 0}, key=config.key(), checkpoint="checkpoint.pt")
    save_run(run, folder / kept / "checkpoint.pt")
    write_checkpoint_views(folder / kept / "checkpoint.pt", extra=False)  # what a sweep worker stores beside its weights
    bare = write_result(folder, {"beta": 8.0, "seed": 0}, key="00000000beef", checkpoint="checkpoint.pt")  # file absent
    # the shipped sweep's seeds 1-4: views rebuilt without weights (explorer.sweep.rebuild); result.json names none
    bare_views = write_result(folder, {"beta": 4.0, "seed": 1})
    shutil.copy(folder / kept / "checkpoint.views.npz", folder / bare_views / "checkpoint.views.npz")
    assert runs.views_for(f"s:demo/{bare_views}").views is not None
    assert "kept only the views" in run_models.get_run(f"s:demo/{bare_views}")[1]
    shutil.rmtree(folder / bare_views)
    assert list(runs.available_runs()) == [f"s:demo/{kept}"]
    assert runs.available_runs()[f"s:demo/{kept}"] == f"sweep demo: β = 2, seed 0 [completed, {kept}]"
    loaded, reason = run_models.get_run(f"s:demo/{kept}")
    assert reason is None and loaded.config == config and runs.run_version(f"s:demo/{kept}")
    assert loaded.metrics["mig"] == _mig(2.0, 0, None)  # result.json fills in what the checkpoint lacks …
    assert loaded.metrics["steps"] == 2  # … and never overrides what it holds
    missing, reason = run_models.get_run(f"s:demo/{bare}")
    assert missing is None
    assert reason == (f"run {bare} needs retraining: its result.json records checkpoint.pt, which is missing; "
                      "retrain it with: python -m explorer train --beta 8 --seed 0")  # not "kept no weights": it did
    assert runs.views_for(f"s:demo/{bare}").error == reason  # Compare says the same
    # weights deleted or damaged beside their views: the sweep's own verdict, never "kept only the views"
    for damage, key in (("delete", "de1e7e000000"), ("garble", "9a4b1ed00000")):
        copy = write_result(folder, {"beta": 16.0, "seed": 0}, key=key, checkpoint="checkpoint.pt")
        for f in ("checkpoint.pt", "checkpoint.views.npz"):
            shutil.copy(folder / kept / f, folder / copy / f)
        if damage == "delete":
            (folder / copy / "checkpoint.pt").unlink()
        else:
            (folder / copy / "checkpoint.pt").write_bytes(b"not a checkpoint")
        st.cache_data.clear()
        shown = runs.views_for(f"s:demo/{copy}")
        assert shown.views is None and shown.pending is None  # no views computed from damaged weights
        assert shown.error.startswith(f"run {copy} needs retraining: ") and "kept only the views" not in shown.error
        assert run_models.get_run(f"s:demo/{copy}")[1] == shown.error
        shutil.rmtree(folder / copy)
    st.cache_data.clear()
    assert run_models.get_run("s:nope/abc")[1] == "there is no sweep called 'nope'"
    at = _page().run()
    assert not at.exception
    link = str(at.get("page_link")[0].proto)
    assert f"runs=s%3Ademo%2F{kept}" in link and "Open on Compare" in link

    def compare():
        from explorer.ui.page_compare import compare_page

        compare_page()

    cmp = AppTest.from_function(compare, default_timeout=60)
    cmp.query_params["runs"] = f"s:demo/{kept}"
    cmp.run()
    assert not cmp.exception
    assert cmp.multiselect[0].value == [f"s:demo/{kept}"] and len(cmp.get("image")) >= 2


def test_a_sweep_run_without_views_gets_them_computed_in_the_background_while_compare_says_so(tmp_path):
    folder = write_sweep(tmp_path / "sweeps", axes={"beta": [1.0], "seed": [0]})
    config = RunConfig(ModelConfig(latent_dim=3, decoder="conv"), train=TrainConfig(steps=2))
    torch.manual_seed(0)
    run = Run(config=config, model=build_model(config.model).eval(), status="completed",
              metrics={"kl_per_dim": [1.0, 1.0, 1.0], "steps": 2})
    key = write_result(folder, {"beta": 2.0, "seed": 0}, key=config.key(), checkpoint="checkpoint.pt")
    save_run(run, folder / key / "checkpoint.pt")  # written before views existed: no views file beside it

    def compare():
        from explorer.ui.page_compare import compare_page

        compare_page()

    cmp = AppTest.from_function(compare, default_timeout=60)
    cmp.query_params["runs"] = f"s:demo/{key}"
    cmp.run()
    assert not cmp.exception and not cmp.error
    (status,) = cmp.status
    assert "Computing what this page shows of checkpoint.pt" in status.label
    task = runs.views_for(f"s:demo/{key}").pending
    while not task.done:  # a child process computes them; the test waits for it, however slow the host
        time.sleep(0.2)
    assert task.error == ""
    cmp.run()  # what the page's polling fragment does in a browser
    assert not cmp.exception and not cmp.status and len(cmp.get("image")) >= 3
    assert not (folder / key / "checkpoint.views.npz").exists()  # computed into the server's cache, not the folder


def test_the_page_picks_up_a_result_written_after_the_first_render_and_stops_watching_when_complete(tmp_path):
    folder = write_sweep(tmp_path / "sweeps", axes={"beta": [1.0, 4.0], "seed": [0, 1]}, skip=2)
    at = _page().run()
    assert sum(map(len, _points(_chart(at)).values())) == 2
    write_result(folder, {"beta": 4.0, "seed": 0})  # the engine finishes one more run
    at.run()  # what the fragment's timer does in a browser
    assert not at.exception and sum(map(len, _points(_chart(at)).values())) == 3
    assert any("3 completed, 0 failed, 1 missing" in c.value for c in at.caption)
    write_result(folder, {"beta": 4.0, "seed": 1})
    at.run()
    caption = " ".join(c.value for c in at.caption)
    assert not at.exception and "4 completed, 0 failed, 0 missing." in caption and "Watching" not in caption


def test_the_sentence_says_whether_the_seed_spread_outweighs_the_change_across_beta():
    def frame(values):
        return pd.DataFrame([{"x": i, "x_text": f"{b:g}", "group": "all", "y": y, "key": f"k{i}{j}"}
                             for i, (b, ys) in enumerate(values) for j, y in enumerate(ys)])

    wide = spread_sentence(frame([(1, [0.07, 0.23, 0.43]), (2, [0.30, 0.32, 0.35])]), "MIG", "β")
    assert wide.startswith("median MIG 0.23 → 0.32 across β = 1 → 2")
    assert "(0.07–0.43 at β = 1) is wider than the whole change across β (0.09)" in wide
    narrow = spread_sentence(frame([(1, [0.10, 0.12]), (16, [0.50, 0.56])]), "MIG", "β")
    assert "(0.50–0.56 at β = 16) is narrower than the change across β (0.42): β, more than the seed" in narrow
    single = spread_sentence(frame([(1, [0.1]), (2, [0.2])]), "MIG", "β")
    assert "one seed per β" in single


def test_the_median_seed_link_opens_the_median_run_and_says_which_betas_it_holds():
    """The shipped sweep: five βs, five seeds; Compare holds four runs, so the link names the four βs it opens,
    and at each the seed whose score is the median (at β = 16 by MIG: not seed 0)."""
    from explorer.ui.page_sweep import _contrasts

    shipped = Path(__file__).resolve().parents[1] / "checkpoints" / "sweeps" / "beta-spectrum"
    sweep = sweeps.read_sweep(shipped)
    points = sweeps.chart_points(sweep, "mig")
    assert points["opens"].all()  # every shipped run opens on Compare (from its views)
    text, keys = _contrasts(points, "MIG", "β")[-1]
    assert text == "The median seed at β = 1, 2, 8, 16 (Compare holds four)"
    for key, beta in zip(keys, (1.0, 2.0, 8.0, 16.0)):
        cell = sweep.runs[sweep.runs["beta"] == beta]
        assert sweep.runs.set_index("key").loc[key, "mig"] == cell["mig"].median()
    assert sweep.runs.set_index("key").loc[keys[-1], "seed"] != 0


def test_every_shipped_run_shows_a_command_that_trains_its_settings_with_todays_defaults():
    """The shipped sweep's result.json files record commands written against the defaults of their day (no TC term,
    1,600 steps); the page shows each run's settings as today's flags, which parse back to the run's own key."""
    import shlex

    from explorer.flags import parse_train

    shipped = Path(__file__).resolve().parents[1] / "checkpoints" / "sweeps" / "beta-spectrum"
    sweep = sweeps.read_sweep(shipped)
    assert len(sweep.runs) == 25
    stale = 0
    for key, command in zip(sweep.runs["key"], sweep.runs["command"]):
        argv = shlex.split(command)
        assert argv[:4] == ["python", "-m", "explorer", "train"], command
        assert parse_train(argv[4:]).key() == key, command
        recorded = json.loads((shipped / key / "result.json").read_text())["command"]
        stale += parse_train(shlex.split(recorded)[4:]).key() != key
    assert stale == 25  # every recorded command now trains another model: the reason the page rewrites them

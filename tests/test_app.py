"""The dashboard's pages, driven headless with Streamlit's AppTest (no browser)."""
import threading
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer import gallery
from explorer.config import RunConfig
from explorer.jobs import JobManager
from explorer.run import Run
from explorer.ui import page_train, runs

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def tiny_gallery(app_gallery):
    return app_gallery  # conftest: b1, b4, r1 (broadcast), ar (collapse), cu (cure), s0 and its pinned twin p0


@pytest.fixture(autouse=True)
def _app_state(tiny_gallery, monkeypatch):
    """Caches are process-wide: clear them around every test, and point the app at the tiny gallery."""
    monkeypatch.setattr(runs, "GALLERY_DIR", tiny_gallery)
    shipped = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tiny_gallery.iterdir()}
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    # whatever a test clicked, the shipped gallery is read-only: nothing added, changed or deleted
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in tiny_gallery.iterdir()} == shipped


def _page(name):
    def script():
        import importlib

        module = importlib.import_module(f"explorer.ui.page_{PAGE}")  # noqa: F821 (PAGE is set below)
        import inspect

        from explorer.ui.nav import pages

        page = getattr(module, f"{PAGE}_page")  # noqa: F821
        page(pages()) if inspect.signature(page).parameters else page()  # pages that link get the table
    source = f"PAGE = {name!r}\n"
    return AppTest.from_string(source + _body(script), default_timeout=60)


def _body(fn):
    import inspect
    import textwrap

    return textwrap.dedent("\n".join(inspect.getsource(fn).splitlines()[1:]))


def test_entry_page_leads_with_the_two_lessons_each_one_click_from_its_view():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value.startswith("β-VAE: disentanglement and posterior collapse")
    headers = [h.value for h in at.subheader]
    assert headers[0].startswith("1 · Raising β") and headers[1].startswith("2 · A decoder that can draw without")
    links = {link.proto.label: str(link.proto) for link in at.get("page_link")}
    labels = list(links)
    assert any(label.startswith("See the β ladder") for label in labels[:-1])
    assert labels[-1].startswith("See collapse and cure side by side")
    assert "runs=g%3Aar%2Cg%3Acu" in links[labels[-1]]
    assert "Every seed, on the Sweep page" in labels  # lesson 1 shows the seeds behind its one-seed curve
    assert "seeds of the same recipe" in " ".join(i.value for i in at.info)
    assert len(at.get("image")) == 2  # what the collapsed and the cured decoder draw from the same images
    assert "Same autoregressive decoder" in " ".join(m.value for m in at.markdown)


def test_unknown_link_parameters_are_named_not_fatal():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["bogus"] = "1"
    at.query_params["beta"] = "nan"
    at.run()
    assert not at.exception
    assert "'bogus'" in at.sidebar.info[0].value


def test_link_values_a_control_does_not_offer_are_named_with_what_replaced_them():
    """Streamlit drops such values silently; the sidebar says which, and what the control uses instead."""
    def script():
        from explorer.ui.nav import pages
        from explorer.ui.page_train import train_page
        from explorer.ui.share import incoming_link_values, replaced_link_values_notice

        incoming = incoming_link_values()
        train_page(pages())
        replaced_link_values_notice(incoming)
    at = AppTest.from_string(_body(script), default_timeout=60)
    for key, value in {"seconds": "5", "beta": "5", "decoder": "bogus", "seed": "7", "fb": "0.5", "fbmode": "batch"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    (notice,) = at.sidebar.warning
    assert all(s in notice.value for s in ("seconds='5' → 60", "beta='5' → 4", "decoder='bogus' → broadcast"))
    assert "seed" not in notice.value and "fb" not in notice.value  # values the controls offer are taken quietly
    assert (at.number_input(key="seed").value, at.radio(key="fbmode").value) == (7, "batch")
    at.slider(key="seconds").set_value(120).run()
    assert not at.sidebar.warning  # said once, for the link as it arrived


def test_compare_shows_grids_metrics_and_downloads_for_linked_runs():
    at = _page("compare")
    at.query_params["runs"] = "g:b1,g:b4"
    at.run()
    assert not at.exception
    assert at.multiselect[0].value == ["g:b1", "g:b4"]
    assert len(at.get("image")) >= 7  # the start image, then per run a grid, its reconstructions and its z-usage map
    assert [b.label for b in at.get("download_button")].count("PNG") == 2
    gallery, details = at.dataframe
    assert list(gallery.value.index) == ["g:b1", "g:b4", "g:r1", "g:ar", "g:cu", "g:s0", "g:p0"] and "MIG" in gallery.value.columns
    assert list(details.value.index) == ["g:b1", "g:b4"] and "MIG gap posX" in details.value.columns
    table = at.table[0].value
    assert list(table.index) == ["g:b1", "g:b4"] and {"MIG", "informative units", "z-usage (nats)"} <= set(table.columns)
    text = " ".join(m.value for m in at.markdown)
    assert "mutual information gap" in text  # MIG is defined on screen
    assert "Each factor's gap" in text and "| g:b1 |" in text and "Chen et al." in text  # why it is low, per run


def test_unknown_run_and_bad_start_in_the_link_give_notices_not_errors():
    at = _page("compare")
    at.query_params["runs"] = "g:b1,g:nope,j:deadbeef"
    at.query_params["start"] = "1e308"
    at.run()
    assert not at.exception
    notices = " ".join(i.value for i in at.info)
    assert "g:nope" in notices and "j:deadbeef" in notices and "clamped" in notices
    assert at.multiselect[0].value == ["g:b1"]


def test_autoregressive_pictures_say_they_are_means_of_samples():
    at = _page("compare")
    at.query_params["runs"] = "g:ar"
    at.run()
    assert not at.exception
    captions = " ".join(str(img.proto) for img in at.get("image"))
    assert "mean of 4 samples" in captions and "samples each" in captions and "where the decoder reads z" in captions


def test_ladder_lays_out_the_gallery_betas_of_each_decoder_and_says_what_their_numbers_show():
    at = _page("ladder").run()
    assert not at.exception
    # the recipe's decoder (broadcast) comes first; its ladder here has only β = 1
    assert at.radio(key="ladderdec").options == ["broadcast", "conv"]
    shown = " ".join(m.value for m in at.markdown)
    assert "g:r1" in shown and "g:b1" not in shown
    at.radio(key="ladderdec").set_value("conv").run()
    assert not at.exception
    assert list(at.table[0].value.index) == ["g:b1", "g:b4"]
    assert "conv decoder" in at.caption[0].value
    assert at.info[0].value.startswith("As β rises 1 → 4, reconstruction NLL goes")


def test_pinned_page_sets_the_seed_spread_against_labels_and_links_each_pair():
    at = _page("pinned").run()
    assert not at.exception
    table = at.table[0].value  # a plain table: it wraps, where a data grid scrolled the posY column out of sight
    assert sorted(table["labels"]) == [0, 20] and "MI posX" in table.columns and "steps" not in table.columns
    shares = list(table["MI posX"])  # text with 3 decimals, "–" for the run without labels: one type per column
    assert "–" in shares and all(v == "–" or (len(v.split(".")[1]) == 3) for v in shares)
    assert all(len(v.split(".")[1]) == 3 for v in table["MIG"])
    assert len(at.get("plotly_chart")) == 1
    links = [link.proto.label for link in at.get("page_link")]
    assert links == ["seed 0: g:s0 vs g:p0"]
    assert "Every run trained 2 steps" in " ".join(c.value for c in at.caption)


def test_pinned_dimensions_carry_their_factor_names_in_grids_and_editor_sliders():
    at = _page("compare")
    at.query_params["runs"] = "g:p0"
    at.run()
    assert not at.exception
    heatmap = next(c for c in at.get("plotly_chart") if "latent MI" in c.proto.spec)  # the MI heatmap's title
    assert "z0 = posX (pinned)" in heatmap.proto.spec and "z1 = posY (pinned)" in heatmap.proto.spec
    at = _page("editor")
    at.query_params["run"] = "g:p0"
    at.run()
    assert not at.exception
    assert [s.label for s in at.slider][:2] == ["z0 = posX (pinned)", "z1 = posY (pinned)"]


def _instant_manager(monkeypatch) -> JobManager:
    """A one-slot job manager, behind the Train page, whose trainer returns at once."""
    trainer = _InstantTrainer()
    trainer.release.set()
    manager = JobManager(max_concurrent=1, trainer=trainer)
    monkeypatch.setattr(page_train, "job_manager", lambda: manager)
    return manager


def test_train_page_label_budget_and_pins_reach_the_submitted_config(monkeypatch):
    manager = _instant_manager(monkeypatch)
    at = _page("train")
    at.query_params["labels"] = "300"
    at.query_params["z"] = "3"  # fewer latents than factors: the default pins only the first three
    at.run()
    assert not at.exception
    assert at.multiselect(key="pin").value == ["shape", "scale", "orientation"]
    at.multiselect(key="pin").set_value(["posY", "scale"]).run()
    at.button[0].click().run()
    config = manager.jobs()[0].config
    assert config.train.labels == 300 and config.objective.pinned == ("posY", "scale")


def test_editor_refuses_a_bad_upload_with_one_line():
    at = _page("editor")
    at.query_params["run"] = "g:b1"
    at.run()
    at.radio[0].set_value("upload").run()
    at.file_uploader[0].upload("x.png", b"not an image at all", "image/png").run()
    assert not at.exception and "not a readable image" in at.error[0].value


class _InstantTrainer:
    def __init__(self):
        self.release = threading.Event()

    def __call__(self, config, on_progress=None, stop=None):
        run = Run(config=config, model=None)
        run.history = {"step": [0, 2], "eval_kl": [0.0, 1.5], "active_units": [0, 2], "mig": [0.0, 0.1], "kl_per_dim": [[], []]}
        on_progress(run, 1.0)
        self.release.wait(5)
        run.status = "completed"
        return run


def test_train_button_starts_a_background_job_and_a_second_user_is_told_busy(monkeypatch):
    trainer = _InstantTrainer()
    manager = JobManager(max_concurrent=1, trainer=trainer)
    monkeypatch.setattr(runs, "job_manager", lambda: manager)
    monkeypatch.setattr(page_train, "job_manager", lambda: manager)
    at = _page("train").run()
    assert not at.exception
    at.button[0].click().run()
    assert not at.exception and len(manager.jobs()) == 1
    job = manager.jobs()[0]
    assert at.query_params["job"] == job.id
    other = _page("train")
    other.query_params["seed"] = "7"
    other.run()
    other.button[0].click().run()
    assert "busy" in other.warning[0].value.lower()
    trainer.release.set()
    manager.wait(job.id, 5)
    assert manager.get(job.id).state == "completed"



def test_autoregressive_runs_from_the_train_page_use_the_pace_collapse_was_measured_with(monkeypatch):
    manager = _instant_manager(monkeypatch)
    at = _page("train")
    at.query_params["decoder"] = "pixelcnn8"
    at.run()
    assert not at.exception
    assert at.slider(key="warmup").value == 0.3  # the cure's warm-up, not the recipe's 10 %
    at.button[0].click().run()
    config = manager.jobs()[0].config
    assert (config.train.batch_size, config.train.lr, config.train.lr_decay_start, config.train.log_every) == (16, 1e-3, 1.0, 40)
    assert config.objective.warmup_fraction == 0.3 and config.objective.free_bits == 0  # free bits stay the user's choice


def test_compare_splits_each_runs_kl_and_the_parts_add_up_to_it():
    at = _page("compare")
    at.query_params["runs"] = "g:b1,g:b4"
    at.run()
    assert not at.exception and not any("stack" in c.proto.spec for c in at.get("plotly_chart"))  # one section at a time
    at.query_params["section"] = "Where the KL goes"  # its tab, as a link opens it
    at.run()
    assert not at.exception
    chart = next(c for c in at.get("plotly_chart") if "stack" in c.proto.spec)
    import json
    spec = json.loads(chart.proto.spec)
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert [t["name"].split(":")[0] for t in bars] == ["index-code MI I(x; z)", "total correlation", "dimension-wise KL"]
    for ref in ("g:b1", "g:b4"):
        split = runs.views_for(ref).views.kl_split  # stored with the run when the gallery was built
        assert split["mi"] + split["tc"] + split["dim_kl"] == pytest.approx(split["kl_mc"])
        row = [y.rstrip(" †") for y in bars[0]["y"]].index(ref)
        beside = " ".join(a["text"] for a in spec["layout"].get("annotations", []) if a["y"].rstrip(" †") == ref)
        shown = []
        for t in bars:  # each part's number: on its bar, or (a part too narrow for it) written after the bar
            value = t["customdata"][row]
            assert t["text"][row] == value or (t["text"][row] == "" and f">{value}<" in beside), (ref, t["name"])
            shown.append(float(value))
        assert shown == pytest.approx([split["mi"], split["tc"], split["dim_kl"]], abs=0.006)  # labels round to 0.01


def test_each_run_says_when_it_is_a_beta_tcvae():
    at = _page("compare")
    at.query_params["runs"] = "g:b1"  # built with today's default: a β-TCVAE
    at.run()
    assert not at.exception
    weight = RunConfig().objective.tc_weight
    assert runs.views_for("g:b1").views.config.objective.tc_weight == weight > 0
    captions = [c.value for c in at.caption if c.value.startswith("β = ")]
    assert len(captions) == 1 and f"total-correlation weight {weight:g} (a β-TCVAE)" in captions[0]
    assert f"TC {weight:g}" in at.table[0].value.loc["g:b1", "setting"]  # the table's setting names it too


def test_a_traversal_from_another_image_is_drawn_in_the_background_while_compare_says_so():
    """Only this view loads the model: the page shows a status, a background thread draws, a rerun shows it."""
    from explorer.ui.background import background

    at = _page("compare")
    at.query_params["runs"] = "g:b1"
    at.query_params["start"] = "123"
    at.run()
    assert not at.exception and not at.error
    (status,) = at.status
    assert "Drawing g:b1's traversal from image #123" in status.label
    for task in list(background()._tasks.values()):
        while not task.done:  # however slow the host: the test waits on the work, not on a clock
            threading.Event().wait(0.1)
        assert task.error == ""
    at.run()  # what the polling fragment does in a browser
    assert not at.exception and not at.status
    captions = " ".join(str(img.proto) for img in at.get("image"))
    assert "start image #123" in captions and "traversals: each row sweeps" in captions

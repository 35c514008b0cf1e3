"""The Train page: one-click presets, the step budget, progress between history points, the too-short warning.

Driven with AppTest against a JobManager whose trainer is a stand-in (no training happens here),
so every test is fast and its states can be held still and looked at.
"""
import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer.config import ModelConfig, ObjectiveConfig
from explorer.gallery import ENTRIES
from explorer.jobs import JobManager
from explorer.run import HISTORY_KEYS, Run
from explorer.ui import page_train, train_presets as tp

SCRIPT = "from explorer.ui.nav import pages\nfrom explorer.ui.page_train import train_page\ntrain_page(pages())\n"


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


class FakeTrainer:
    """Reports like explorer.trainer.train (history points, every step, phases) without training; with
    ``hold`` it stops in the training and evaluating phases until the test releases it."""

    def __init__(self, hold: bool = False):
        self.configs = []
        self.reached = {p: threading.Event() for p in ("training", "evaluating")}
        self.go = {p: threading.Event() for p in ("training", "evaluating")}
        if not hold:
            for event in self.go.values():
                event.set()

    def __call__(self, config, on_progress=None, stop=None, on_step=None):
        self.configs.append(config)
        total = config.train.steps or 100
        run = Run(config=config, model=None)
        on_step(0, 0.0, "preparing")
        for step in range(0, total + 1, max(1, total // 4)):  # five history points
            warm = min(1.0, step / max(1, total * 0.1))
            row = {"step": step, "kl_weight": config.objective.beta * warm if step else None,
                   "recon": 2800.0 / (1 + step / 50) if step else None, "eval_kl": 1.0, "active_units": 3, "mig": 0.1,
                   "kl_per_dim": [0.5, 0.5]}
            for key in HISTORY_KEYS:
                run.history[key].append(row.get(key))
            on_progress(run, step / total)
        on_step(0, 0.0, "training")
        on_step(total // 5, 0.2, "training")
        self.reached["training"].set()
        self.go["training"].wait(10)
        on_step(total, 1.0, "evaluating")
        self.reached["evaluating"].set()
        self.go["evaluating"].wait(10)
        run.status, run.metrics = "completed", {"steps": total, "recon": 2800.0 / (1 + total / 50)}
        return run


def _page(monkeypatch, trainer=None, **params):
    manager = JobManager(max_concurrent=1, trainer=trainer or FakeTrainer())
    monkeypatch.setattr(page_train, "job_manager", lambda: manager)
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run(), manager


def _train(at, manager):
    """Press Train and return the configuration the job manager was given."""
    at.button[0].click().run()
    assert not at.exception
    return manager.jobs()[-1].config


def _progress_text(at) -> str:
    return at.get("progress")[0].proto.text


@pytest.mark.parametrize("name", ["recipe", "collapse", "cure"])
def test_each_preset_sets_the_controls_in_one_click(monkeypatch, name):
    at, manager = _page(monkeypatch, decoder="conv", beta="12", fb="0.5", seed="3")  # somewhere else first
    at.segmented_control(key="preset").set_value(name).run()
    assert not at.exception
    want = tp.presets()[name].values()
    got = {"decoder": at.selectbox(key="decoder").value, "beta": at.select_slider(key="beta").value,
           "schedule": at.selectbox(key="schedule").value, "fb": at.select_slider(key="fb").value,
           "fbmode": at.radio(key="fbmode").value, "budget": at.radio(key="budget").value,
           "steps": at.select_slider(key="steps").value, "seed": at.number_input(key="seed").value,
           "z": at.slider(key="z").value}
    assert got == {k: want[k] for k in got}
    if want["schedule"] == "linear":
        assert at.slider(key="warmup").value == want["warmup"]
    assert at.segmented_control(key="preset").value is None  # a button: clicking it again applies it again
    assert tp.presets()[name].label in at.info[0].value
    config = _train(at, manager)
    if name == "recipe":
        assert (config.model.decoder, config.objective.beta, config.objective.schedule,
                config.objective.warmup_fraction) == (ModelConfig().decoder, ObjectiveConfig().beta,
                                                      ObjectiveConfig().schedule, ObjectiveConfig().warmup_fraction)
        assert (config.train.steps, config.train.seconds) == (tp.DEFAULT_STEPS, None)
    else:  # one click reproduces the gallery's run exactly
        gallery = next(e.config for e in ENTRIES if e.name == name)
        assert config.key() == gallery.key()


def test_the_preset_line_says_what_each_does_and_how_long_it_takes(monkeypatch):
    at, _ = _page(monkeypatch)
    line = next(c.value for c in at.caption if "Collapse on demand" in c.value)
    assert all(p.label in line for p in tp.presets().values())
    assert f"{tp.DEFAULT_STEPS:,} steps" in line and "estimated" in line


def test_an_old_seconds_link_selects_the_seconds_budget(monkeypatch):
    at, manager = _page(monkeypatch, seconds="30")
    assert not at.exception
    assert at.radio(key="budget").value == "seconds" and at.slider(key="seconds").value == 30
    config = _train(at, manager)
    assert (config.train.steps, config.train.seconds) == (None, 30.0)
    rate = tp.ROUGH_STEPS_PER_SECOND["broadcast"]  # nothing measured yet: the estimate paces the history
    assert (config.train.log_every, config.train.eval_samples) == tp.pacing(int(30 * rate), 200, 2000)


def test_a_steps_link_trains_that_many_steps(monkeypatch):
    at, manager = _page(monkeypatch, steps="400")
    assert at.radio(key="budget").value == "steps"
    config = _train(at, manager)
    assert (config.train.steps, config.train.seconds) == (400, None)


@pytest.mark.parametrize("steps", tp.STEP_BUDGETS)
def test_history_points_scale_with_the_step_budget(monkeypatch, steps):
    at, manager = _page(monkeypatch, steps=str(steps))
    config = _train(at, manager)
    assert config.train.log_every == min(200, max(tp.MIN_LOG_EVERY, steps // tp.HISTORY_POINTS))
    points = steps // config.train.log_every + 1
    assert points >= tp.HISTORY_POINTS
    # logging more often than the recipe's pace: the smaller sample
    assert config.train.eval_samples == (1000 if config.train.log_every < 200 else 2000)


def test_pacing_keeps_the_measured_pace_of_long_runs_and_bounds_short_ones():
    assert tp.pacing(1600, 40, 2000) == (40, 2000)  # the gallery's autoregressive pace, unchanged
    assert tp.pacing(8000, 200, 2000) == (200, 2000)  # the recipe's own pace for the gallery's budget
    assert tp.pacing(800, 40, 2000) == (40, 2000)
    assert tp.pacing(400, 200, 2000) == (40, 1000)
    assert tp.pacing(20, 200, 2000) == (tp.MIN_LOG_EVERY, 1000)
    assert tp.pacing(20, 4, 64) == (4, 64)  # never sparser than the pace asked for


def test_progress_shows_every_step_then_the_final_evaluation(monkeypatch):
    trainer = FakeTrainer(hold=True)
    at, manager = _page(monkeypatch, trainer=trainer)
    config = _train(at, manager)
    assert trainer.reached["training"].wait(10)
    at.run()
    assert _progress_text(at).startswith(f"Training… step {tp.DEFAULT_STEPS // 5:,} of {tp.DEFAULT_STEPS:,} (20 %)")
    assert at.button(key=f"cancel-{manager.jobs()[0].id}")
    trainer.go["training"].set()
    assert trainer.reached["evaluating"].wait(10)
    at.run()
    assert _progress_text(at) == (f"Evaluating the final model on {config.train.eval_samples:,} images "
                                  "(MIG, active units, I(x;z), reconstruction on 500)…")
    trainer.go["evaluating"].set()
    assert manager.wait(manager.jobs()[0].id, 10).state == "completed"
    at.run()
    assert _progress_text(at).startswith("Finished: run ") and f"{tp.DEFAULT_STEPS:,} steps" in _progress_text(at)


def test_the_curves_are_rebuilt_only_when_a_history_point_arrives(monkeypatch):
    built = []
    real = page_train.curves_figure
    monkeypatch.setattr(page_train, "curves_figure", lambda h: built.append(1) or real(h))
    at, manager = _page(monkeypatch)
    _train(at, manager)
    manager.wait(manager.jobs()[0].id, 10)
    at.run()
    at.run()  # two more ticks, nothing new
    assert len(built) <= 2 and len(at.get("plotly_chart")) == 1  # the running view and the finished one at most
    before = len(built)
    at.run()
    assert len(built) == before


@pytest.mark.parametrize("steps, warned", [(100, True), (1600, False)])
def test_a_run_too_short_to_mean_anything_says_so(monkeypatch, steps, warned):
    at, manager = _page(monkeypatch, trainer=FakeTrainer(), steps=str(steps))
    _train(at, manager)
    manager.wait(manager.jobs()[0].id, 10)
    at.run()
    warnings = [w.value for w in at.warning if "Too short" in w.value]
    assert bool(warnings) == warned
    if warned:
        assert "only 100 steps" in warnings[0]
        assert "the gallery trained its broadcast runs for 8,000 steps of 16" in warnings[0]


def test_too_short_names_a_weight_that_never_reached_beta_and_an_unchanged_reconstruction():
    config = tp.presets()["recipe"].config
    history = {"step": [0, 800, 1600], "kl_weight": [None, 1.0, 2.0], "recon": [None, 300.0, 290.0]}
    reasons = tp.too_short_reasons(config, history, {"steps": 1600})
    assert len(reasons) == 2 and "reached 2 of β = 4" in reasons[0] and "300 → 290" in reasons[1]


def test_the_schedule_help_names_the_options_as_the_control_does():
    from explorer.config import SCHEDULE_HELP, knob_of

    assert tuple(SCHEDULE_HELP) == knob_of("schedule").choices
    for name, text in SCHEDULE_HELP.items():
        assert text.startswith(name) and text in knob_of("schedule").help


def test_a_preset_click_is_not_reported_as_a_link_value_the_controls_refused(monkeypatch):
    """The app compares the link as a run found it with the controls (explorer.ui.share); a preset changes
    the controls server-side, so the page reruns once to let that comparison see the preset's URL."""
    manager = JobManager(max_concurrent=1, trainer=FakeTrainer())
    monkeypatch.setattr(page_train, "job_manager", lambda: manager)
    script = ("from explorer.ui.nav import pages\nfrom explorer.ui.page_train import train_page\n"
              "from explorer.ui.share import incoming_link_values, replaced_link_values_notice\n"
              "incoming = incoming_link_values()\ntrain_page(pages())\nreplaced_link_values_notice(incoming)\n")
    at = AppTest.from_string(script, default_timeout=60)
    at.query_params.update({"decoder": "conv", "beta": "12.0", "seconds": "30"})
    at.run()
    assert not at.sidebar.warning
    at.segmented_control(key="preset").set_value("collapse").run()
    assert not at.exception and not at.sidebar.warning
    assert at.selectbox(key="decoder").value == "pixelcnn8" and at.info  # applied, and said so after the rerun


class _ScoredTrainer(FakeTrainer):
    """Closes with final scores that differ from its last history point, as a real run's do (other images)."""

    def __call__(self, config, on_progress=None, stop=None, on_step=None):
        run = super().__call__(config, on_progress, stop, on_step)
        run.metrics.update({"mig": 0.403, "kl": 6.22, "active_units": 4, "informative_units": 3})
        return run


def test_a_finished_run_shows_its_final_scores_the_numbers_compare_shows(monkeypatch):
    """One run, one number per metric: once done, the page shows the closing scores (what Compare shows for
    j:<id>) and names their sample, not the last history point's (MIG 0.1 on the history sample)."""
    at, manager = _page(monkeypatch, trainer=_ScoredTrainer())
    _train(at, manager)
    manager.wait(manager.jobs()[0].id, 10)
    at.run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["MIG"] == "0.403" and shown["raw KL (nats)"] == "6.22" and shown["informative units"] == "3"
    assert any("the numbers Compare shows for this run" in c.value for c in at.caption)

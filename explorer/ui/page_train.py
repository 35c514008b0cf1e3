"""Page: pick a configuration with point-and-click controls and train a short run in the background."""
from __future__ import annotations

import streamlit as st

from ..cli import train_config
from ..config import ModelConfig, ObjectiveConfig, RunConfig, TrainConfig
from ..data.dsprites_grid import FACTOR_NAMES
from ..gallery import AR, CURE
from ..jobs import Busy
from ..models import DECODERS
from . import train_presets as tp
from .figures import curves_figure
from .nav import pages
from .runs import MAX_TRAININGS, job_manager

BETAS = [0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 50.0, 100.0]
SCHEDULE_HELP = {
    "constant": "constant: β from the first step",
    "linear": "linear warm-up: the KL weight ramps from 0 to β, so the decoder learns to read z before it is charged",
    "cyclical": "cyclical (Fu et al. 2019): ramps repeat M times, each over the first R of its cycle",
    "capacity": "capacity (Burgess et al. 2018): γ·|KL − C| with C rising, releasing information gradually",
}
MAX_SECONDS = 300
LABEL_BUDGETS = [0, 30, 100, 300, 1000, 3000]


def controls() -> RunConfig:
    """The configuration widgets; every one is bound to the URL, so a link reopens the same settings."""
    d_model, d_obj, d_train = ModelConfig(), ObjectiveConfig(), TrainConfig()
    c1, c2, c3 = st.columns(3)
    with c1:
        dataset = st.selectbox("Dataset", ["dsprites", "mnist", "fashion-mnist"], key="dataset", bind="query-params",
                               help="dSprites has known factors, so MIG can be measured; MNIST sets need local files and have no factors")
        beta = st.select_slider("β (KL weight, log scale)", BETAS, value=d_obj.beta, key="beta", bind="query-params",
                                help="higher β: more disentangled axes, blurrier reconstructions, fewer active dims")
        latent = st.slider("Latent dimensions", 2, 16, d_model.latent_dim, key="z", bind="query-params",
                           help="unused dimensions show up as inactive (prior-like)")
    with c2:
        # no format_func: a bound widget's URL value must be the plain option name
        decoder = st.selectbox("Decoder strength", list(DECODERS), index=list(DECODERS).index(d_model.decoder), key="decoder",
                               bind="query-params",
                               help="factorised decoders cannot draw a sprite without z, so they never collapse at β=1; "
                                    "autoregressive (pixelcnn) ones see earlier pixels and can ignore z: collapse")
        st.caption(DECODERS[decoder][2])
        # an autoregressive run starts from how its collapse and cure were measured
        ar_run = autoregressive_defaults() if decoder.startswith("pixelcnn") else None
        schedule = st.selectbox("KL schedule", list(SCHEDULE_HELP), index=list(SCHEDULE_HELP).index(d_obj.schedule),
                                key="schedule", bind="query-params", help=" · ".join(SCHEDULE_HELP.values()))
        extra = {}
        if schedule == "linear":
            # (the cure's 30 % warm-up for an autoregressive run, not the recipe's 10 %)
            warmup = (ar_run.objective if ar_run else d_obj).warmup_fraction
            extra["warmup_fraction"] = st.slider("Warm-up fraction of the run", 0.05, 1.0, warmup, 0.05,
                                                 key="warmup", bind="query-params", help="how long the KL weight takes to reach β")
        elif schedule == "cyclical":
            extra["cycles"] = st.slider("Cycles M", 1, 10, d_obj.cycles, key="cycles", bind="query-params",
                                        help="how many times the weight restarts from 0")
            extra["ramp_fraction"] = st.slider("Ramp fraction R", 0.1, 1.0, d_obj.ramp_fraction, 0.05, key="ramp",
                                               bind="query-params", help="part of each cycle spent ramping up")
        elif schedule == "capacity":
            extra["capacity_max"] = st.slider("Final capacity C (nats)", 1.0, 50.0, 25.0, 1.0, key="cap", bind="query-params",
                                              help="the KL the objective aims for at the end")
            extra["gamma"] = st.select_slider("γ", [10.0, 30.0, 100.0, 300.0, 1000.0], value=100.0, key="gamma",
                                              bind="query-params", help="how hard the KL is held at C")
    with c3:
        free_bits = st.select_slider("Free bits λ (nats per dim)", [0.0, 0.1, 0.25, 0.5, 1.0, 2.0], value=0.0, key="fb",
                                     bind="query-params", help="each dimension's first λ nats are free: protects the code from "
                                                               "collapse, but then the KL curve stops being a collapse signal")
        mode = st.radio("Free-bits variant", ["sample", "batch"], horizontal=True, key="fbmode", bind="query-params",
                        help="sample: clamp every (image, dim) cell (the textbook's); batch: clamp each dim's batch mean (Kingma et al.)")
        steps, seconds = budget_controls(decoder, (ar_run.train if ar_run else d_train).batch_size)
        seed = st.number_input("Seed", 0, 10_000, 0, key="seed", bind="query-params",
                               help="disentanglement varies a lot between seeds (Locatello et al. 2019)")
        labels = st.select_slider("Labelled images (pinned axes)", LABEL_BUDGETS, value=0, key="labels",
                                  bind="query-params", disabled=dataset != "dsprites",
                                  help="0 = the unsupervised β-VAE. Otherwise this many images carry their factor values, "
                                       "and latent dim k is pulled towards the k-th pinned factor on them")
        pinned = ()
        if labels and dataset == "dsprites":
            # no max_selections: changing it would reset the user's pins; too many pins are refused at Train instead
            pinned = st.multiselect("Pinned factors (dims 0, 1, … in this order)", list(FACTOR_NAMES),
                                    list(FACTOR_NAMES[: int(latent)]), key="pin", bind="query-params",
                                    help="each chosen factor gets its own latent dimension, named after it everywhere")
            if not pinned:
                st.caption("No factor pinned, so the labels are not used: this trains the unsupervised β-VAE.")
                labels = 0
    pace = ar_run.train if ar_run else d_train
    expected = steps or seconds * tp.steps_per_second(job_manager().pace(decoder, pace.batch_size), decoder)[0]
    log_every, eval_samples = tp.pacing(int(expected), pace.log_every, pace.eval_samples)
    return RunConfig(
        model=ModelConfig(latent_dim=int(latent), decoder=decoder),
        objective=ObjectiveConfig(beta=float(beta), schedule=schedule, free_bits=float(free_bits), free_bits_mode=mode,
                                  pinned=tuple(pinned), **extra),
        train=TrainConfig(dataset=dataset, steps=steps, seconds=seconds, seed=int(seed),
                          labels=int(labels) if dataset == "dsprites" else 0,
                          batch_size=pace.batch_size, lr=pace.lr, lr_decay_start=pace.lr_decay_start,
                          log_every=log_every, eval_samples=eval_samples),
    )


def budget_controls(decoder: str, batch_size: int) -> tuple[int | None, float | None]:
    """(steps, seconds), one of them None. Steps train the same model on any host; seconds are kept
    for old links, and a link that names ``seconds`` opens on that budget."""
    if "budget" not in st.session_state and "seconds" in st.query_params and "budget" not in st.query_params:
        st.session_state["budget"] = "seconds"
    budget = st.radio("Budget", ["steps", "seconds"], horizontal=True, key="budget", bind="query-params",
                      help="steps: the same link trains the same model anywhere; seconds: wall-clock time, "
                           "so a busier or faster server trains a different model")
    pace = job_manager().pace(decoder, batch_size)
    if budget == "steps":
        steps = st.select_slider("Training budget (steps)", tp.STEP_BUDGETS, value=tp.DEFAULT_STEPS, key="steps",
                                 bind="query-params", help="optimiser steps of one batch each")
        secs, measured = tp.expected_seconds(steps, pace, decoder)
        if measured:
            which = "the running" if pace.get("live") else "an earlier"
            st.caption(f"≈ {tp.duration(secs)} on this server ({pace['rate']:.1f} steps/s measured by {which} "
                       f"{decoder} run here{'' if pace.get('live') else ', final evaluation included'})")
        else:
            st.caption(f"{tp.duration(secs, rough=True)}: a rough estimate for {decoder} on a quiet 2-core CPU, "
                       "until a run here measures it")
        return int(steps), None
    seconds = st.slider("Training budget (seconds)", 10, MAX_SECONDS, 60, 10, key="seconds", bind="query-params",
                        help="wall-clock training time on the server's CPU")
    rate, measured = tp.steps_per_second(pace, decoder)
    st.caption(f"≈ {seconds * rate:,.0f} steps ({'measured here' if measured else 'rough estimate'}); "
               "another host trains a different number: a step budget repeats exactly")
    return None, float(seconds)


def preset_picker() -> None:
    """One click puts a preset's values into the controls (in a callback: before the widgets exist)."""
    options = tp.presets()
    st.segmented_control("Presets", list(options), format_func=lambda k: options[k].label, key="preset",
                         on_change=_apply_preset, help="sets the controls below; then press Train")
    lines = []
    for preset in options.values():
        t, m = preset.config.train, preset.config.model
        secs, measured = tp.expected_seconds(t.steps, job_manager().pace(m.decoder, t.batch_size), m.decoder)
        when = tp.duration(secs) + " here" if measured else tp.duration(secs, rough=True) + ", estimated"
        lines.append(f"**{preset.label}**: {preset.summary} ({t.steps:,} steps, {when}).")
    st.caption("  \n".join(lines))
    applied = st.session_state.get("preset_applied")
    if applied:
        st.info(f"{options[applied].label}: the controls below are set. Press Train.", icon=":material/tune:")


def _apply_preset() -> None:
    name = st.session_state.get("preset")
    if name:
        st.session_state.update(tp.presets()[name].values())
        st.session_state["preset_applied"] = name
        st.session_state["preset_sync"] = True
    st.session_state["preset"] = None  # a button, not a mode: the next click applies again


def autoregressive_defaults() -> RunConfig:
    """The gallery's cured autoregressive run (``explorer.gallery.AR`` + ``CURE``), read from the one place that
    states it: its batch, learning rate and logging are how collapse and cure were measured, and its warm-up is
    the one the cure needs."""
    return train_config([*AR, *CURE])


def train_page() -> None:
    st.title("Train a short run")
    st.caption("Runs on this server's CPU in the background: switching pages or reloading does not stop it, "
               f"and a link with its job re-attaches. At most {MAX_TRAININGS} training run(s) at a time.")
    preset_picker()
    config = controls()
    if st.session_state.pop("preset_sync", False):
        # the controls have now written the preset into the URL; one more run lets the link notices
        # (explorer.ui.share) compare against that URL, not the one from before the click
        st.rerun()
    st.session_state.pop("preset_applied", None)
    if st.button("Train", type="primary"):
        try:
            job = job_manager().submit(config)
            st.session_state["job"] = job.id
            st.query_params["job"] = job.id
        except Busy as exc:
            st.warning(str(exc))
        except ValueError as exc:
            st.error(f"This configuration cannot train: {exc}")
    job_id = st.session_state.get("job") or st.query_params.get("job")
    if job_id:
        progress_panel(job_id)


@st.fragment(run_every=1.0)
def progress_panel(job_id: str) -> None:
    """Ticks every second: the bar and step count are cheap and always redrawn; the curves only change
    when a history point arrives."""
    snap = job_manager().snapshot(job_id)
    if snap is None:
        st.info(f"Run {job_id} is not on this server any more (runs trained here live only while the server runs).")
        return
    st.progress(min(snap["fraction"], 1.0), text=tp.progress_line(snap))
    if snap["state"] == "running":
        if st.button("Cancel", key=f"cancel-{job_id}"):
            job_manager().cancel(job_id)
    elif snap["error"]:
        (st.error if snap["state"] == "failed" else st.warning)(snap["error"])
    else:
        st.success("Done: the run has joined this server's list.")
        st.page_link(pages()["compare"], label="Compare this run", icon=":material/compare:", query_params={"runs": f"j:{job_id}"})
        st.page_link(pages()["editor"], label="Edit images with this run", icon=":material/tune:", query_params={"run": f"j:{job_id}"})
    hist = snap["history"]
    if snap["done"] and snap["state"] in ("completed", "cancelled"):
        reasons = tp.too_short_reasons(snap["config"], hist, snap["metrics"])
        if reasons:
            st.warning(f"Too short to mean much: {'; '.join(reasons)}. Metrics this early describe the start of "
                       f"training, not the settings ({tp.gallery_budget(snap['config'].model.decoder)}).")
    if hist.get("step"):
        last = {k: v[-1] for k, v in hist.items() if v and not isinstance(v[-1], list)}
        cols = st.columns(5)
        cols[0].metric("step (last point)", last.get("step", 0))
        cols[1].metric("raw KL (nats)", f"{last.get('eval_kl', 0):.2f}")
        cols[2].metric("active units", last.get("active_units", 0))
        cols[3].metric("informative units", last.get("informative_units", "–"))
        cols[4].metric("MIG", f"{last['mig']:.3f}" if last.get("mig") is not None else "–")
        st.plotly_chart(live_figure(snap), width="stretch", key=f"live-{job_id}")


def live_figure(snap: dict):
    """The curves figure, rebuilt only when the history grew: the fragment ticks far more often."""
    job_id, hist = snap["id"], snap["history"]
    stamp = (job_id, snap["started"], len(hist["step"]))
    cached = st.session_state.get("live_figure")
    if cached is None or cached[0] != stamp:
        cached = (stamp, curves_figure({job_id: hist}))
        st.session_state["live_figure"] = cached
    return cached[1]

"""Page: pick a configuration with point-and-click controls and train a short run in the background."""
from __future__ import annotations

import streamlit as st

from .. import recipes
from ..config import DECODER_HELP, FACTOR_NAMES, ModelConfig, ObjectiveConfig, RunConfig, TrainConfig, knob_of
from ..jobs import Busy
from ..protocols import FINAL
from . import train_presets as tp
from .figures import curves_figure
from .runs import MAX_TRAININGS, gallery_index, job_manager


def _slider(name: str, value=None, **kw):
    """A slider over a knob's range, labelled, explained and bound to the URL by the knob (explorer.config)."""
    k = knob_of(name)
    kind = int if isinstance(k.step, int) else float
    default = value if value is not None else getattr(_DEFAULTS[name], name)
    return st.slider(k.label, kind(k.lo), kind(k.hi), kind(default), kind(k.step), key=k.url, bind="query-params",
                     help=k.help, **kw)


def _options(name: str, value=None, **kw):
    """A select slider over a knob's options."""
    k = knob_of(name)
    default = value if value is not None else getattr(_DEFAULTS[name], name)
    return st.select_slider(k.label, list(k.options), value=default, key=k.url, bind="query-params", help=k.help, **kw)


def _choice(name: str, widget=st.selectbox, **kw):
    """A selectbox or radio over a knob's choices (the plain names: a bound widget's URL value is the option)."""
    k = knob_of(name)
    options = list(k.choices)
    return widget(k.label, options, index=options.index(getattr(_DEFAULTS[name], name)), key=k.url,
                  bind="query-params", help=k.help, **kw)


_DEFAULTS = {**{n: ModelConfig() for n in ("latent_dim", "decoder")},
             **{n: ObjectiveConfig() for n in ("beta", "schedule", "warmup_fraction", "cycles", "ramp_fraction",
                                               "capacity_max", "gamma", "free_bits", "free_bits_mode", "tc_weight")},
             **{n: TrainConfig() for n in ("dataset", "seconds", "seed", "labels")}}


def controls() -> RunConfig:
    """The configuration widgets; every one is bound to the URL, so a link reopens the same settings."""
    d_train = TrainConfig()
    c1, c2, c3 = st.columns(3)
    with c1:
        dataset = _choice("dataset")
        beta = _options("beta")
        latent = _slider("latent_dim")
    with c2:
        decoder = _choice("decoder")
        st.caption(DECODER_HELP[decoder])
        # an autoregressive run starts from how its collapse and cure were measured
        ar_run = recipes.cure() if recipes.is_autoregressive(RunConfig(ModelConfig(decoder=decoder))) else None
        schedule = _choice("schedule")
        extra = {}
        if schedule == "linear":
            # (the cure's 30 % warm-up for an autoregressive run, not the recipe's 10 %)
            extra["warmup_fraction"] = _slider("warmup_fraction", ar_run.objective.warmup_fraction if ar_run else None)
        elif schedule == "cyclical":
            extra["cycles"] = _slider("cycles")
            extra["ramp_fraction"] = _slider("ramp_fraction")
        elif schedule == "capacity":
            extra["capacity_max"] = _slider("capacity_max")
            extra["gamma"] = _options("gamma")
        if schedule != "capacity":
            extra["tc_weight"] = float(_options("tc_weight"))
            if extra["tc_weight"] > 0:
                st.caption("With a total-correlation weight this trains a **β-TCVAE** (Chen et al. 2018), not a plain "
                           "β-VAE: the part of the KL that mixes factors across axes is charged extra (estimated "
                           f"against the batch and the last {ObjectiveConfig().tc_bank} posteriors seen).")
    with c3:
        free_bits = _options("free_bits")
        mode = _choice("free_bits_mode", widget=st.radio, horizontal=True)
        steps, seconds = budget_controls(decoder, (ar_run.train if ar_run else d_train).batch_size)
        k = knob_of("seed")
        seed = st.number_input(k.label, int(k.lo), int(k.hi), 0, key=k.url, bind="query-params", help=k.help)
        labels = _options("labels", disabled=dataset != "dsprites")
        pinned = ()
        if labels and dataset == "dsprites":
            # no max_selections: changing it would reset the user's pins; too many pins are refused at Train instead
            k = knob_of("pinned")
            pinned = st.multiselect(k.label, list(FACTOR_NAMES), list(FACTOR_NAMES[: int(latent)]), key=k.url,
                                    bind="query-params", help=k.help)
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
    """(steps, seconds), one of them None. Steps train the same model however busy the host; seconds are kept
    for old links, and a link that names ``seconds`` opens on that budget."""
    if "budget" not in st.session_state and "seconds" in st.query_params and "budget" not in st.query_params:
        st.session_state["budget"] = "seconds"
    budget = st.radio("Budget", ["steps", "seconds"], horizontal=True, key="budget", bind="query-params",
                      help="steps: the same link trains the same model however busy this server is; seconds: wall-clock time, "
                           "so a busier or faster server trains a different model")
    pace = job_manager().pace(decoder, batch_size)
    if budget == "steps":
        steps = _options("steps", tp.DEFAULT_STEPS)
        secs, measured = tp.expected_seconds(steps, pace, decoder)
        if measured:
            which = "the running" if pace.get("live") else "an earlier"
            st.caption(f"≈ {tp.duration(secs)} on this server ({pace['rate']:.1f} steps/s measured by {which} "
                       f"{decoder} run here{'' if pace.get('live') else ', final evaluation included'})")
        else:
            st.caption(f"{tp.duration(secs, rough=True)}: a rough estimate for {decoder} on a quiet 2-core CPU, "
                       "until a run here measures it")
        return int(steps), None
    seconds = _slider("seconds", 60)
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


def train_page(links: dict) -> None:
    """``links``: page name -> st.Page, for the links to a finished run (handed in by the navigation)."""
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
        progress_panel(job_id, links)
        live_curves(job_id)


#: Seconds between redraws of the live numbers and curves. A redraw re-renders every Plotly panel in the
#: watching browser, which on a small server shares the cores the training runs on (bench.app_speed).
CURVES_EVERY = 5.0


@st.fragment(run_every=1.0)
def progress_panel(job_id: str, links: dict) -> None:
    """Ticks every second: the bar, the step count and, at the end, the links; nothing heavy."""
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
        st.page_link(links["compare"], label="Compare this run", icon=":material/compare:", query_params={"runs": f"j:{job_id}"})
        st.page_link(links["editor"], label="Edit images with this run", icon=":material/tune:", query_params={"run": f"j:{job_id}"})
    if snap["done"] and snap["state"] in ("completed", "cancelled"):
        reasons = tp.too_short_reasons(snap["config"], snap["history"], snap["metrics"])
        if reasons:
            st.warning(f"Too short to mean much: {'; '.join(reasons)}. Metrics this early describe the start of "
                       f"training, not the settings ({tp.gallery_budget(snap['config'].model.decoder, [r.config for r in gallery_index()])}).")


@st.fragment(run_every=CURVES_EVERY)
def live_curves(job_id: str) -> None:
    """The last history point's numbers and the curves so far, every few seconds."""
    snap = job_manager().snapshot(job_id)
    if snap is None:
        return
    hist = snap["history"]
    if hist.get("step"):
        last = {k: v[-1] for k, v in hist.items() if v and not isinstance(v[-1], list)}
        final = snap["metrics"] if snap["done"] and snap["metrics"].get("mig") is not None else None
        t = snap["config"].train
        cols = st.columns(5)
        if final:  # the closing scores: the very numbers Compare shows for this run
            cols[0].metric("steps", final.get("steps", last.get("step", 0)))
            values = (final.get("kl"), final.get("active_units"), final.get("informative_units"), final.get("mig"))
            st.caption(f"Final scores on the run's evaluation sample ({t.eval_samples:,} images, seed "
                       f"{FINAL.for_seed(t.seed).seed}): the numbers Compare shows for this run. The curves below are "
                       "measured at each history point on the run's history sample.")
        else:
            cols[0].metric("step (last point)", last.get("step", 0))
            values = (last.get("eval_kl"), last.get("active_units"), last.get("informative_units"), last.get("mig"))
        kl, active, informative, mig = values
        cols[1].metric("raw KL (nats)", f"{kl:.2f}" if kl is not None else "–")
        cols[2].metric("active units", active if active is not None else "–")
        cols[3].metric("informative units", informative if informative is not None else "–")
        cols[4].metric("MIG", f"{mig:.3f}" if mig is not None else "–")
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

"""The Train page's one-click presets, the arithmetic of its budget and the words of its progress panel.

No Streamlit here: the rules are plain functions, so they are tested without a browser and the
page keeps only the widgets. Preset values come from where the runs are defined (``explorer.config``
for the recipe, ``explorer.recipes`` for collapse and its cure, as the gallery trains them), never restated.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import recipes
from ..config import ModelConfig, RunConfig, TrainConfig, knob_of

#: The step budgets the page offers (explorer.config's knob); a step budget trains the same model however busy the host.
STEP_BUDGETS = knob_of("steps").options
#: The recipe preset's budget (and the page's default): the default step budget (explorer.config).
DEFAULT_STEPS = TrainConfig().steps
#: History points a page run aims for, so its live curves have a shape.
HISTORY_POINTS = 10
#: A log point encodes the whole evaluation sample, so points closer than this would spend more of a
#: short run evaluating than training.
MIN_LOG_EVERY = 8
#: The evaluation sample of a run that logs more often than its pace was set for: half the default
#: sample halves each log point's cost, and still gives MIG a thousand codes.
SHORT_EVAL_SAMPLES = 1000
#: Fewer steps than this and no number a run reports means much.
TOO_FEW_STEPS = 300
#: Rough steps per second of each decoder at batch 16 on a quiet 2-core CPU (logging included),
#: shown as an estimate until a run on this server measures the real rate.
ROUGH_STEPS_PER_SECOND = {"mlp": 35.0, "conv": 28.0, "broadcast": 24.0, "pixelcnn1": 15.0, "pixelcnn2": 10.0,
                          "pixelcnn4": 7.0, "pixelcnn8": 6.0}


@dataclass(frozen=True)
class Preset:
    label: str
    summary: str  # one line: what it does and what it shows
    config: RunConfig

    def values(self) -> dict:
        """Widget key -> value: what a click on this preset puts into the page's controls."""
        m, o, t = self.config.model, self.config.objective, self.config.train
        values = {"dataset": t.dataset, "beta": float(o.beta), "z": int(m.latent_dim), "decoder": m.decoder,
                  "schedule": o.schedule, "fb": float(o.free_bits), "fbmode": o.free_bits_mode, "seed": int(t.seed),
                  "tc": float(o.tc_weight),
                  "labels": int(t.labels), "budget": "steps", "steps": int(t.steps)}
        if o.schedule == "linear":
            values["warmup"] = float(o.warmup_fraction)
        return values


def presets() -> dict[str, Preset]:
    """The recipe (``explorer.config``'s defaults) and the gallery's collapse and cure, keyed by short name."""
    recipe = recipes.short_run(steps=DEFAULT_STEPS)
    collapse, cure = recipes.collapse(), recipes.cure()
    r, c, k = recipe.objective, collapse.objective, cure.objective
    return {
        "recipe": Preset("The short-run recipe", f"{recipe.model.decoder} decoder, β = {r.beta:g}, "
                         f"{r.warmup_fraction * 100:g} % KL warm-up, total-correlation weight {r.tc_weight:g}, so "
                         "a β-TCVAE (the defaults); shows each axis pushed towards one factor: MIG rises, traversals "
                         "separate", recipe),
        "collapse": Preset("Collapse on demand", f"the strongest autoregressive decoder ({collapse.model.decoder}) "
                           f"at β = {c.beta:g}, {c.schedule} schedule, no free bits; shows posterior collapse: "
                           "KL near 0, no informative unit, the decoder draws without z", collapse),
        "cure": Preset("Its cure", f"the same decoder with a {k.warmup_fraction * 100:g} % KL warm-up and "
                       f"{k.free_bits:g} nat of free bits per dim ({k.free_bits_mode}); shows the code kept in use: "
                       "every unit informative", cure),
    }


def pacing(steps: int, pace_log_every: int, pace_eval_samples: int) -> tuple[int, int]:
    """(log_every, eval_samples) for a page run of about ``steps`` steps.

    About ``HISTORY_POINTS`` points, never sparser than the pace the settings were measured with
    (so the gallery's collapse and cure keep theirs), never closer than ``MIN_LOG_EVERY``; a run that
    logs more often than its pace uses the smaller evaluation sample, so logging does not eat it.
    """
    log_every = max(1, min(pace_log_every, max(MIN_LOG_EVERY, steps // HISTORY_POINTS)))
    eval_samples = pace_eval_samples if log_every >= pace_log_every else min(pace_eval_samples, SHORT_EVAL_SAMPLES)
    return log_every, eval_samples


def expected_seconds(steps: float, pace: dict | None, decoder: str) -> tuple[float, bool]:
    """(seconds, measured): the job manager's measured pace on this server, else the rough table."""
    if pace:
        return steps / pace["rate"] + pace.get("eval_seconds", 0.0), True
    return steps / ROUGH_STEPS_PER_SECOND.get(decoder, 10.0), False


def steps_per_second(pace: dict | None, decoder: str) -> tuple[float, bool]:
    if pace:
        return pace["rate"], True
    return ROUGH_STEPS_PER_SECOND.get(decoder, 10.0), False


def duration(seconds: float, rough: bool = False) -> str:
    """'45 s', '2 min 10 s', '12 min' ('about 1 min' when ``rough``): precise enough to plan by, no more."""
    if rough:
        return f"about {max(10, round(seconds, -1)):.0f} s" if seconds < 60 else f"about {round(seconds / 60)} min"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" if minutes >= 10 or not rest else f"{minutes} min {rest} s"


def progress_line(snap: dict) -> str:
    """The progress bar's text: the phase, the step count and what the job is doing right now."""
    t = snap["config"].train
    pct = f"{min(snap['fraction'], 1.0) * 100:.0f} %"
    state, phase, step = snap["state"], snap["phase"], snap["step"]
    if state != "running":
        label = {"completed": "Finished", "cancelled": "Cancelled", "diverged": "Stopped", "failed": "Failed"}[state]
        steps = snap["metrics"].get("steps", step)
        took = f" in {duration(snap['finished'] - snap['started'])}" if snap.get("finished") else ""
        trained = snap["metrics"].get("seconds")
        pace = f" ({steps / trained:.1f} steps/s while training)" if trained and steps else ""
        return f"{label}: run {snap['id']}, {steps:,} steps{took}{pace}"
    if phase == "evaluating":
        return (f"Evaluating the final model on {t.eval_samples:,} images (MIG, active units, I(x;z), "
                f"reconstruction on {min(500, t.eval_samples):,})…")
    if phase == "drawing":
        return ("Drawing what the pages will show: traversals, reconstructions, where the decoder reads z, the "
                "latent-vs-factor grid and the KL split (once, so that Compare opens this run at once)…")
    if phase != "training":
        return (f"Preparing run {snap['id']}: drawing the {t.eval_samples:,}-image evaluation sample and "
                "measuring the untrained model…")
    if t.steps is not None:
        text = f"Training… step {step:,} of {t.steps:,} ({pct})"
        if snap.get("rate") and step:
            text += f", about {duration((t.steps - step) / snap['rate'])} left"
        return text
    return f"Training… step {step:,}, {pct} of {t.seconds:g} s"


def too_short_reasons(config: RunConfig, history: dict, metrics: dict) -> list[str]:
    """Why a finished run's numbers mean little: too few steps, β never reached, reconstruction unchanged."""
    reasons = []
    steps = metrics.get("steps") or (history.get("step") or [0])[-1]
    if steps < TOO_FEW_STEPS:
        reasons.append(f"it trained only {steps:,} steps")
    o = config.objective
    weights = [w for w in history.get("kl_weight", []) if w is not None]
    if o.schedule != "capacity" and o.beta > 0 and weights and max(weights) < 0.99 * o.beta:
        reasons.append(f"the KL weight only reached {max(weights):.2g} of β = {o.beta:g}")
    recon = [r for r in history.get("recon", []) if r is not None]
    if len(recon) >= 2 and recon[-1] > 0.8 * recon[0]:
        reasons.append(f"the reconstruction barely improved ({recon[0]:,.0f} → {recon[-1]:,.0f} nats)")
    return reasons


def gallery_budget(decoder: str, configs: list[RunConfig]) -> str:
    """What the gallery (``configs``, from its index: no torch) trained with this decoder (or its nearest kind)."""
    nearest = "pixelcnn8" if decoder.startswith("pixelcnn") else ModelConfig().decoder
    same = [c for c in configs if c.model.decoder == decoder] or [c for c in configs if c.model.decoder == nearest]
    c = max(same, key=lambda c: c.train.steps or 0)
    return f"the gallery trained its {c.model.decoder} runs for {c.train.steps:,} steps of {c.train.batch_size} images"

"""The settings of a run: typed, saved in every checkpoint, and the one place each knob is described.

Every field carries its knob in ``metadata``: help text, CLI flag, URL key, widget range and the
condition under which it does anything (``applies``). The CLI parser (explorer.flags), the Train
page's controls and the link keys are derived from it. A field that does not apply (cycles without
the cyclical schedule, β under the capacity objective, label settings without labels, the width of
an autoregressive decoder on a factorised one) is inert: ``normalised()`` resets it, and a run's
identity (``key()``) hashes the normalised settings, so two runs that train the same model are one.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable

from .knobs import DECODER_HELP, Knob, knob, knobs

SCHEDULES = ("constant", "linear", "cyclical", "capacity")
FREE_BITS_MODES = ("sample", "batch")
ENCODER_INITS = ("he", "torch")
DATASETS = ("dsprites", "mnist", "fashion-mnist")
DECODER_NAMES = tuple(DECODER_HELP)
#: dSprites' factors in the original order (explorer.data.dsprites_grid.FACTOR_NAMES; a test checks they agree).
FACTOR_NAMES = ("shape", "scale", "orientation", "posX", "posY")
SCHEDULE_HELP = {
    "constant": "constant: β from the first step",
    "linear": "linear warm-up (Bowman et al. 2016): the KL weight ramps from 0 to β, so the decoder learns to read z "
              "before it is charged",
    "cyclical": "cyclical (Fu et al. 2019): ramps repeat M times, each over the first R of its cycle",
    "capacity": "capacity (Burgess et al. 2018): γ·|KL − C| with C rising, releasing information gradually",
}


def _pixelcnn(c) -> bool:
    return c.model.decoder.startswith("pixelcnn")


def _schedule(name: str) -> Callable[[Any], bool]:
    return lambda c: c.objective.schedule == name


def _warmup_floor_binds(c) -> bool:
    """The floor in steps changes the warm-up only under a step budget it exceeds a fraction of."""
    o, steps = c.objective, c.train.steps
    return o.schedule == "linear" and bool(steps) and o.warmup_steps > o.warmup_fraction * steps


def _labelled(c) -> bool:
    return c.train.labels > 0


@dataclass
class ModelConfig:
    latent_dim: int = knob(10, "number of latent dimensions: unused ones carry no information", flag="--latent-dim",
                           url="z", label="Latent dimensions", lo=2, hi=16, step=1)
    #: The default is the fast short-run recipe's (docs/recipe.md).
    decoder: str = knob("broadcast", "decoder strength: factorised decoders cannot draw a sprite without z, so they "
                        "never collapse at β = 1; autoregressive (pixelcnn) ones see earlier pixels and can ignore z",
                        flag="--decoder", url="decoder", label="Decoder strength", choices=DECODER_NAMES)
    #: 16 keeps the autoregressive decoders trainable on a CPU.
    ar_channels: int = knob(16, "width of the autoregressive decoders", flag="--ar-channels", applies=_pixelcnn)
    #: "he" reads the image from the first steps; "torch" (PyTorch's default) leaves μ nearly constant early on.
    coord_conv: bool = knob(False, "CoordConv encoder: two coordinate channels beside the image, so position is "
                            "easy to read", flag="--coord-conv")
    encoder_init: str = knob("he", "encoder weight init: he (the recipe) or torch (PyTorch's default)",
                             flag="--encoder-init", choices=ENCODER_INITS)


@dataclass
class ObjectiveConfig:
    """β-VAE objective: Bernoulli NLL summed over pixels + weight · KL summed over latents."""

    beta: float = knob(4.0, "KL weight β: higher buys one factor per axis and costs reconstruction", flag="--beta",
                       url="beta", label="β (KL weight, log scale)",
                       options=(0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 25.0, 50.0, 100.0),
                       applies=lambda c: c.objective.schedule != "capacity")
    #: linear by default: at β > 1 a constant weight can kill the code before the decoder learns to read it.
    schedule: str = knob("linear", "KL weight schedule: " + "; ".join(SCHEDULE_HELP.values()), flag="--schedule",
                         url="schedule", label="KL schedule", choices=SCHEDULES)
    #: 10 %: with the He-initialised encoder a short warm-up suffices (docs/recipe.md, the screens).
    warmup_fraction: float = knob(0.1, "linear: fraction of the run the warm-up takes", flag="--warmup-fraction",
                                  url="warmup", label="Warm-up fraction of the run", lo=0.05, hi=1.0, step=0.05,
                                  applies=_schedule("linear"))
    #: 150: at 200 steps the TC term, charged after a 20-step warm-up, cost seeds their third unit (docs/recipe.md);
    #: below 10 % of any budget from 1,600 steps up, so the default run is untouched.
    warmup_steps: int = knob(150, "linear: with a step budget, the warm-up lasts at least this many steps (or the "
                             "whole run), so a small budget still gives the decoder time to learn to read z",
                             flag="--warmup-steps", applies=_warmup_floor_binds)
    warmup_start: float = knob(0.0, "linear: starting weight as a fraction of β", flag="--warmup-start",
                               applies=_schedule("linear"))
    cycles: int = knob(4, "cyclical: number of cycles M (the weight restarts from 0 each time)", flag="--cycles",
                       url="cycles", label="Cycles M", lo=1, hi=10, step=1, applies=_schedule("cyclical"))
    ramp_fraction: float = knob(0.5, "cyclical: fraction R of each cycle spent ramping", flag="--ramp-fraction",
                                url="ramp", label="Ramp fraction R", lo=0.1, hi=1.0, step=0.05,
                                applies=_schedule("cyclical"))
    capacity_max: float = knob(25.0, "capacity: the KL C in nats the objective aims for at the end",
                               flag="--capacity-max", url="cap", label="Final capacity C (nats)", lo=1.0, hi=50.0,
                               step=1.0, applies=_schedule("capacity"))
    capacity_fraction: float = knob(1.0, "capacity: fraction of the run over which C rises",
                                    flag="--capacity-fraction", applies=_schedule("capacity"))
    gamma: float = knob(100.0, "capacity: weight γ on |KL − C| (how hard the KL is held at C)", flag="--gamma",
                        url="gamma", label="γ", options=(10.0, 30.0, 100.0, 300.0, 1000.0),
                        applies=_schedule("capacity"))
    free_bits: float = knob(0.0, "free bits λ in nats per latent dim (0 = off): protects the code from collapse, "
                            "but then the KL curve stops being a collapse signal", flag="--free-bits", url="fb",
                            label="Free bits λ (nats per dim)", options=(0.0, 0.1, 0.25, 0.5, 1.0, 2.0))
    free_bits_mode: str = knob("sample", "sample: clamp every (image, dim) cell (the textbook's); batch: clamp each "
                               "dim's batch-mean KL (Kingma et al. 2016)", flag="--free-bits-mode", url="fbmode",
                               label="Free-bits variant", choices=FREE_BITS_MODES,
                               applies=lambda c: c.objective.free_bits > 0)
    #: The default short run is a β-TCVAE (bench/results/default_run.md); the gallery's β ladder keeps 0.
    tc_weight: float = knob(24.0, "extra weight on the total correlation (β-TCVAE, Chen et al. 2018; 0 = the plain "
                            "β-VAE): penalises the rotated, mixed codes that β alone is indifferent to",
                            flag="--tc-weight", url="tc", label="Total-correlation weight (β-TCVAE)",
                            options=(0.0, 1.0, 2.0, 6.0, 12.0, 24.0, 50.0),
                            applies=lambda c: c.objective.schedule != "capacity")
    #: 512: at batch 16 the batch alone mixes too few posteriors for the TC to see the rotation (docs/recipe.md).
    tc_bank: int = knob(512, "posteriors from earlier batches added to the batch's own when estimating the total "
                        "correlation (0 = the batch alone, Chen et al.'s estimate)", flag="--tc-bank",
                        applies=lambda c: c.objective.tc_weight > 0 and c.objective.schedule != "capacity")
    #: Pinned axes (explorer.supervision): factor names tied to latent dims 0, 1, … (empty = every factor).
    pinned: tuple[str, ...] = knob((), "factors pinned to latent dims 0, 1, … when --labels > 0 (default: all, in "
                                   "the dataset's order: " + ",".join(FACTOR_NAMES) + ")", flag="--pin", url="pin",
                                   label="Pinned factors (dims 0, 1, … in this order)", choices=FACTOR_NAMES,
                                   applies=_labelled)
    label_weight: float = knob(10.0, "weight of the pinned-axes term", flag="--label-weight", applies=_labelled)

    def __post_init__(self):
        if isinstance(self.pinned, str):  # "posX,posY" from a CLI flag or a link
            self.pinned = tuple(p.strip() for p in self.pinned.split(",") if p.strip())
        self.pinned = tuple(self.pinned)  # a checkpoint stores it as a list


@dataclass
class TrainConfig:
    dataset: str = knob("dsprites", "dsprites (procedural, has factors), mnist or fashion-mnist (local files, no "
                        "factors)", flag="--dataset", url="dataset", label="Dataset", choices=DATASETS)
    npz_path: str | None = knob(None, "use the original dSprites .npz at this path instead of rendering", flag="--npz",
                                applies=lambda c: c.train.dataset == "dsprites")
    data_root: str = knob("data", "folder holding MNIST/FashionMNIST files", flag="--data-root",
                          applies=lambda c: c.train.dataset != "dsprites")
    download: bool = knob(False, "allow torchvision to download MNIST/FashionMNIST", flag="--download",
                          applies=lambda c: c.train.dataset != "dsprites")
    #: 16: on this CPU a step costs about as much per image at any batch size, so small batches buy steps.
    batch_size: int = knob(16, "images per step", flag="--batch-size")
    lr: float = knob(2e-3, "Adam learning rate", flag="--lr")
    #: From this fraction of the run on, the learning rate falls linearly to 0 (1.0 = constant).
    lr_decay_start: float = knob(0.5, "fraction of the run after which the learning rate falls linearly to 0 "
                                 "(1 = constant)", flag="--lr-decay-start")
    #: Budget: steps or wall-clock seconds; steps wins if both are set.
    #: A step budget by default: the same settings and thread count train the same weights, busy or not. The default
    #: is long enough for the total-correlation term to turn a diagonal posX/posY pair onto two axes, which
    #: half of it does not do for every seed (bench/results/default_run_seeds_300.md).
    steps: int | None = knob(3200, "budget in optimiser steps (a busy host trains the same model, only slower)", flag="--steps",
                             url="steps", label="Training budget (steps)",
                             options=(100, 200, 400, 800, 1600, 3200))
    seconds: float | None = knob(None, "budget in seconds of training instead of steps (a busier or faster host "
                                 "trains a different model)", flag="--seconds", url="seconds",
                                 label="Training budget (seconds)", lo=10, hi=300, step=10,
                                 applies=lambda c: c.train.steps is None)
    seed: int = knob(0, "random seed (weights, batches, evaluation sample); disentanglement varies a lot between "
                     "seeds (Locatello et al. 2019)", flag="--seed", url="seed", label="Seed", lo=0, hi=10_000, step=1)
    #: Each history point encodes the evaluation sample, so at batch 16 a shorter interval eats the run.
    log_every: int = knob(200, "record a history point every N steps", flag="--log-every")
    eval_samples: int = knob(2000, "size of the fixed evaluation sample behind the history", flag="--eval-samples")
    grad_clip: float = knob(0.0, "clip the gradient norm (0 = off)", flag="--grad-clip")
    labels: int = knob(0, "labelled images that pin latent dims to factors (0 = the unsupervised β-VAE); dSprites "
                       "only", flag="--labels", url="labels", label="Labelled images (pinned axes)",
                       options=(0, 30, 100, 300, 1000, 3000))
    label_batch: int = knob(4, "labelled images in every training batch", flag="--label-batch", applies=_labelled)
    threads: int = knob(1, "torch threads the training computes with (another count trains another model)", flag="--threads")


def knob_of(name: str) -> Knob:
    """The Knob of a field, by name, in whichever part of the config holds it."""
    for dc in (ModelConfig, ObjectiveConfig, TrainConfig):
        if name in knobs(dc):
            return knobs(dc)[name]
    raise KeyError(name)


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        """Plain JSON-like values (tuples become lists), as saved in checkpoints and the gallery index."""
        d = asdict(self)
        d["objective"]["pinned"] = list(self.objective.pinned)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        """Rebuild from a saved dict, ignoring unknown keys (newer files) and keeping defaults for missing ones."""
        def build(dc, part):
            names = {f.name for f in fields(dc)}
            values = {**_BEFORE_THE_FIELD.get(part, {}), **(d.get(part) or {})}
            return dc(**{k: v for k, v in values.items() if k in names})

        return cls(model=build(ModelConfig, "model"), objective=build(ObjectiveConfig, "objective"),
                   train=build(TrainConfig, "train"))

    def normalised(self) -> "RunConfig":
        """The same run with every inert field at its default (and whole numbers in float fields as floats)."""
        parts = {}
        for name, dc in (("model", ModelConfig), ("objective", ObjectiveConfig), ("train", TrainConfig)):
            part, reset = getattr(self, name), {}
            for f in fields(dc):
                k = f.metadata.get("knob")
                value = getattr(part, f.name)
                if k is not None and k.applies is not None and not k.applies(self):
                    reset[f.name] = f.default
                elif isinstance(f.default, float) and isinstance(value, int) and not isinstance(value, bool):
                    reset[f.name] = float(value)  # β = 12 and β = 12.0 are one run
            parts[name] = replace(part, **reset)
        return RunConfig(**parts)

    def key(self) -> str:
        """A short content key: runs that train the same model (inert fields aside) share it."""
        d = self.normalised().to_dict()
        for part, legacy in _KEY_LEGACY.items():  # a field added later leaves the keys of runs without it alone
            for name, value in legacy.items():
                k = knob_of(name)
                if d[part].get(name) == value or (k.applies is not None and not k.applies(self)):
                    del d[part][name]
        blob = json.dumps(d, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def validate(self) -> None:
        """Raise ValueError with a one-line reason for settings that cannot train."""
        m, o, t = self.model, self.objective, self.train
        checks = [
            (m.decoder in DECODER_NAMES, f"unknown decoder {m.decoder!r}; choose from {', '.join(DECODER_NAMES)}"),
            (1 <= m.latent_dim <= 128, "latent_dim must be between 1 and 128"),
            (1 <= m.ar_channels <= 256, "ar_channels must be between 1 and 256"),
            (m.encoder_init in ENCODER_INITS, f"encoder_init must be one of {', '.join(ENCODER_INITS)}"),
            (o.schedule in SCHEDULES, f"unknown schedule {o.schedule!r}; choose from {', '.join(SCHEDULES)}"),
            (o.free_bits_mode in FREE_BITS_MODES, f"free_bits_mode must be one of {', '.join(FREE_BITS_MODES)}"),
            (_finite(o.beta) and o.beta >= 0, "beta must be a finite number ≥ 0"),
            (_finite(o.free_bits) and o.free_bits >= 0, "free_bits must be a finite number ≥ 0"),
            (_finite(o.tc_weight) and o.tc_weight >= 0, "tc_weight must be a finite number ≥ 0"),
            (isinstance(o.warmup_steps, int) and 0 <= o.warmup_steps <= 1_000_000,
             "warmup_steps must be a whole number from 0 to 1,000,000"),
            (isinstance(o.tc_bank, int) and 0 <= o.tc_bank <= 100_000, "tc_bank must be a whole number from 0 to 100,000"),
            (0 < o.warmup_fraction <= 1 and 0 <= o.warmup_start <= 1, "warm-up fraction must be in (0, 1], start in [0, 1]"),
            (o.cycles >= 1 and 0 < o.ramp_fraction <= 1, "cycles must be ≥ 1 and ramp_fraction in (0, 1]"),
            (_finite(o.capacity_max) and o.capacity_max >= 0 and 0 < o.capacity_fraction <= 1,
             "capacity_max must be ≥ 0 and capacity_fraction in (0, 1]"),
            (_finite(o.gamma) and o.gamma >= 0, "gamma must be a finite number ≥ 0"),
            (t.dataset in DATASETS, f"unknown dataset {t.dataset!r}; choose from {', '.join(DATASETS)}"),
            (1 <= t.batch_size <= 4096, "batch_size must be between 1 and 4096"),
            (_finite(t.lr) and t.lr > 0, "lr must be a positive finite number"),
            (type(t.threads) is int and 1 <= t.threads <= 256, "threads must be a whole number from 1 to 256"),
            (_finite(t.lr_decay_start) and 0 <= t.lr_decay_start <= 1, "lr_decay_start must be in [0, 1]"),
            (t.steps is not None or t.seconds is not None, "give a budget: steps or seconds"),
            (t.steps is None or t.steps >= 1, "steps must be ≥ 1"),
            (t.seconds is None or (_finite(t.seconds) and t.seconds > 0), "seconds must be a positive number"),
            (t.log_every >= 1, "log_every must be ≥ 1"),
            (t.eval_samples >= 2, "eval_samples must be ≥ 2"),
            (isinstance(t.labels, int) and t.labels >= 0, "labels must be a whole number ≥ 0"),
            (t.labels == 0 or (isinstance(t.label_batch, int) and 1 <= t.label_batch <= t.batch_size),
             "label_batch must be a whole number between 1 and batch_size"),
            (_finite(o.label_weight) and o.label_weight >= 0, "label_weight must be a finite number ≥ 0"),
            (t.labels == 0 or t.dataset == "dsprites", "labels need ground-truth factors: only dsprites has them"),
            (t.labels == 0 or len(o.pinned or FACTOR_NAMES) <= m.latent_dim,
             "cannot pin more factors than there are latent dimensions (with no --pin, all five are pinned)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        if t.dataset == "dsprites":  # names and repeats: the same rule the labelled pool applies
            pinned_factors(o.pinned, FACTOR_NAMES)


def pinned_factors(pinned, factor_names) -> tuple[str, ...]:
    """The pinned factor names in dimension order; an empty choice means every factor, in the dataset's order."""
    names = tuple(pinned) if pinned else tuple(factor_names or ())
    unknown = [n for n in names if n not in (factor_names or ())]
    if unknown:
        raise ValueError(f"cannot pin {', '.join(map(repr, unknown))}: the factors are {', '.join(factor_names or ()) or 'none'}")
    if len(set(names)) != len(names):
        raise ValueError("each factor can be pinned once")
    return names


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and x == x and abs(x) != float("inf")


#: Fields added after files were saved, with the value those older files were trained with
#: (a missing key must not silently take today's default); ``threads``: a sweep's (a CLI run's was not recorded).
_BEFORE_THE_FIELD = {"model": {"encoder_init": "torch"}, "objective": {"tc_weight": 0.0, "tc_bank": 0, "warmup_steps": 0},
                     "train": {"lr_decay_start": 1.0, "threads": 1}}
#: Fields added after run keys were given out (links, job ids, sweep folders), at the value every run had
#: before: a run at that value keeps the key it always had.
_KEY_LEGACY = {"model": {"coord_conv": False}, "objective": {"tc_weight": 0.0, "tc_bank": 0, "warmup_steps": 0},
               "train": {"threads": 1}}

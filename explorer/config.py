"""Dataclass configs for a run; saved inside every checkpoint so a file describes itself."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

SCHEDULES = ("constant", "linear", "cyclical", "capacity")
FREE_BITS_MODES = ("sample", "batch")
ENCODER_INITS = ("he", "torch")


@dataclass
class ModelConfig:
    latent_dim: int = 10
    #: A name from ``explorer.models.DECODERS`` (factorised: mlp, conv, broadcast; autoregressive:
    #: pixelcnnN). The default is the fast short-run recipe's (README, "The short-run recipe").
    decoder: str = "broadcast"
    #: Width of the autoregressive decoders' masked convolutions (16 keeps them trainable on a CPU).
    ar_channels: int = 16
    #: Encoder weight init: "he" (the recipe: the code is used from the first steps) or "torch"
    #: (PyTorch's default, which leaves the posterior mean nearly constant early on; bench.init).
    encoder_init: str = "he"


@dataclass
class ObjectiveConfig:
    """β-VAE objective: Bernoulli NLL summed over pixels + weight · KL summed over latents."""

    beta: float = 4.0
    #: linear warm-up by default: at β > 1 a constant weight often kills the code before the
    #: decoder learns to read it (measured: β = 8 from step 0 ends at KL 0 in 60 s).
    schedule: str = "linear"
    #: linear warm-up (Bowman et al. 2016): weight rises from warmup_start·β to β over this fraction of the run.
    #: 10 %: with the He-initialised encoder the code is read from the first steps, so a short
    #: warm-up suffices and leaves more of a short run at full β (README screens: 20 % and 10 % tie at 2,800 steps).
    warmup_fraction: float = 0.1
    warmup_start: float = 0.0
    #: cyclical (Fu et al. 2019): `cycles` cycles, each ramping over its first `ramp_fraction`.
    cycles: int = 4
    ramp_fraction: float = 0.5
    #: controlled capacity (Burgess et al. 2018): gamma·|KL − C|, C rising 0 → capacity_max nats
    #: over capacity_fraction of the run.
    capacity_max: float = 25.0
    capacity_fraction: float = 1.0
    gamma: float = 100.0
    #: free bits λ in nats per latent dimension (0 = off); "sample" clamps every (sample, dim)
    #: cell (the seed's variant), "batch" clamps each dim's batch-mean KL (Kingma et al. 2016).
    free_bits: float = 0.0
    free_bits_mode: str = "sample"
    #: Pinned axes (explorer.supervision): factor names tied to latent dims 0, 1, … for the
    #: labelled images (empty = every factor, in the dataset's order), and the weight of that term.
    pinned: tuple[str, ...] = ()
    label_weight: float = 10.0

    def __post_init__(self):
        if isinstance(self.pinned, str):  # "posX,posY" from a CLI flag or a link
            self.pinned = tuple(p.strip() for p in self.pinned.split(",") if p.strip())
        self.pinned = tuple(self.pinned)  # a checkpoint stores it as a list


@dataclass
class TrainConfig:
    dataset: str = "dsprites"
    npz_path: str | None = None
    data_root: str = "data"
    download: bool = False
    #: 16, not the papers' 64: on this CPU a step costs about as much per image at any batch size,
    #: and a 120 s run is limited by its number of steps, so small batches buy 3x the steps and
    #: reach MIG 0.27 where batch 64 reaches 0.11 (README, "The short-run recipe"; 8 was worse).
    batch_size: int = 16
    lr: float = 2e-3
    #: From this fraction of the run on, the learning rate falls linearly to 0 at the end
    #: (1.0 = constant). A batch-16 iterate is noisy; decaying over the second half lets a short
    #: run settle: reconstruction 102–109 nats against 114–121, MIG a little higher (README).
    lr_decay_start: float = 0.5
    #: Budget: a number of steps (deterministic) or of wall-clock seconds; steps wins if both are set.
    steps: int | None = None
    seconds: float | None = 120.0
    seed: int = 0
    #: Record a history point every this many steps (and at the end). Each one encodes the
    #: evaluation sample, so at batch 16 a shorter interval would eat a quarter of the run.
    log_every: int = 200
    #: Size of the fixed evaluation sample behind the history's active units, MI and MIG.
    eval_samples: int = 2000
    #: Gradient-norm clipping (0 = off).
    grad_clip: float = 0.0
    #: Labelled images for the pinned axes (0 = the unsupervised β-VAE), and how many of them
    #: replace images in every training batch.
    labels: int = 0
    label_batch: int = 4


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

    def validate(self) -> None:
        """Raise ValueError with a one-line reason for settings that cannot train."""
        from .data.dsprites_grid import FACTOR_NAMES
        from .models import DECODERS
        from .supervision import pinned_factors

        m, o, t = self.model, self.objective, self.train
        checks = [
            (m.decoder in DECODERS, f"unknown decoder {m.decoder!r}; choose from {', '.join(DECODERS)}"),
            (1 <= m.latent_dim <= 128, "latent_dim must be between 1 and 128"),
            (1 <= m.ar_channels <= 256, "ar_channels must be between 1 and 256"),
            (m.encoder_init in ENCODER_INITS, f"encoder_init must be one of {', '.join(ENCODER_INITS)}"),
            (o.schedule in SCHEDULES, f"unknown schedule {o.schedule!r}; choose from {', '.join(SCHEDULES)}"),
            (o.free_bits_mode in FREE_BITS_MODES, f"free_bits_mode must be one of {', '.join(FREE_BITS_MODES)}"),
            (_finite(o.beta) and o.beta >= 0, "beta must be a finite number ≥ 0"),
            (_finite(o.free_bits) and o.free_bits >= 0, "free_bits must be a finite number ≥ 0"),
            (0 < o.warmup_fraction <= 1 and 0 <= o.warmup_start <= 1, "warm-up fraction must be in (0, 1], start in [0, 1]"),
            (o.cycles >= 1 and 0 < o.ramp_fraction <= 1, "cycles must be ≥ 1 and ramp_fraction in (0, 1]"),
            (_finite(o.capacity_max) and o.capacity_max >= 0 and 0 < o.capacity_fraction <= 1, "capacity_max must be ≥ 0 and capacity_fraction in (0, 1]"),
            (_finite(o.gamma) and o.gamma >= 0, "gamma must be a finite number ≥ 0"),
            (1 <= t.batch_size <= 4096, "batch_size must be between 1 and 4096"),
            (_finite(t.lr) and t.lr > 0, "lr must be a positive finite number"),
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


#: Fields added after files were saved, with the value those older files were trained with
#: (a missing key must not silently take today's default).
_BEFORE_THE_FIELD = {"model": {"encoder_init": "torch"}, "train": {"lr_decay_start": 1.0}}


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and x == x and abs(x) != float("inf")

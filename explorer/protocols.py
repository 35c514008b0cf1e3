"""The named samples every number is measured on: how many images, drawn with which seed, for what.

A metric means little without its sample, and five call sites each choosing their own made the
same run score differently in the CLI, the app and the gallery. Each use names its protocol here;
the images are always drawn by ``explorer.evaluation.draw_eval_sample`` (a stream of their own,
never the training batches).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Protocol:
    name: str
    samples: int | None  # None: the run's own eval_samples
    seed: int
    purpose: str

    def sample(self, samples: int | None = None) -> dict:
        """The protocol as a views file names a number's sample: ``{"name", "samples", "seed"}`` (``samples``
        for a protocol whose size is the run's own)."""
        return {"name": self.name, "samples": self.samples if samples is None else samples, "seed": self.seed}

    def for_seed(self, run_seed: int) -> "Protocol":
        """The same protocol offset by a run's seed (each seed of a sweep gets its own fresh images)."""
        return Protocol(self.name, self.samples, self.seed + run_seed, self.purpose)


#: The final scores a training reports (the history uses the run's own eval_samples, drawn with its seed).
FINAL = Protocol("final", None, 1, "what train() reports at the end, on the run's eval_samples; offset by its seed")
#: The shipped gallery's index and the app's tables.
GALLERY = Protocol("gallery", 10_000, 12345, "the gallery index and every table the app shows")
#: Benchmarks: a fresh sample per seed, never the run's history sample.
FRESH = Protocol("fresh", 10_000, 1000, "bench scores; offset by the run's seed")
#: What a sweep's recorded numbers are called where they are shown (their size and seed are in result.json).
SWEEP_FRESH = "sweep (fresh)"
#: ``python -m explorer eval`` without --samples/--seed.
CLI = Protocol("cli", 10_000, 0, "python -m explorer eval")
#: The slower scores (DCI, SAP, FactorVAE) Compare computes on request.
EXTRA = Protocol("extra", 5000, 7, "DCI, SAP and the FactorVAE score on Compare")
#: The KL split into index-code MI, total correlation and dimension-wise KL on Compare (O(N²) in the sample).
SPLIT = Protocol("kl-split", 2000, 11, "the KL decomposition of a run's final code on Compare")
#: How far traversal rows and editor sliders sweep (explorer.code_ranges).
RANGES = Protocol("ranges", 2000, 0, "traversal and slider ranges")

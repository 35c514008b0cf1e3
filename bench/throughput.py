"""Training throughput of the standard Burgess β-VAE: our training step against a plain loop.

Run: ``python -m bench.throughput [--seconds 8 --rounds 3]``. Both loops train the same
architecture (Burgess encoder + conv decoder, 10 latents) on freshly rendered dSprites
batches, alternating in rounds so machine noise hits both; the medians and their ratio are
reported, plus the renderer's own rate, where the training step spends its time, and the
arithmetic ceiling (``bench.flops``): FLOP per image against this CPU's fp32 matrix-product rate.

- reference: the textbook loop: batch 64, NCHW tensors, Adam 1e-3, nothing else.
- explorer: ``explorer.trainer.train`` as the app and CLI run it (channels-last tensors,
  history logging and evaluation included), with the same Burgess encoder + conv decoder
  at the same batch of 64.
- recipe: the short run's own step (broadcast decoder, default batch), in optimiser steps
  per second, the rate that decides how far a 120 s run gets.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from explorer.config import ModelConfig, RunConfig, TrainConfig
from explorer.data import ProceduralDSprites
from explorer.models import build_model
from explorer.objective import vae_loss
from explorer.trainer import train

from .common import publish, row, to_markdown
from .flops import gemm_ceiling, training_flops


def reference_rate(seconds: float, batch_size: int = 64, seed: int = 0) -> float:
    """Images/s of the plain loop."""
    torch.manual_seed(seed)
    data, rng = ProceduralDSprites(), np.random.default_rng(seed)
    config = RunConfig()
    model = build_model(config.model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    images, start = 0, None
    for step in range(10**9):
        if step == 3:  # the first steps warm up oneDNN
            start, images = time.perf_counter(), 0
        x = torch.from_numpy(data.images(data.sample_indices(batch_size, rng)))
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar, config.objective, 0.0).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        images += batch_size
        if start is not None and time.perf_counter() - start >= seconds:
            return images / (time.perf_counter() - start)


def explorer_rate(seconds: float, log_every: int | None = None, batch_size: int = 64, decoder: str = "conv") -> float:
    """Images/s of the real trainer (its own clock: training wall time, logging included).

    The defaults compare like with like: the Burgess architecture at the reference's batch of 64.
    """
    cfg = RunConfig(model=ModelConfig(decoder=decoder), train=TrainConfig(seconds=seconds, batch_size=batch_size))
    if log_every:
        cfg.train.log_every = log_every
    run = train(cfg, final_eval=False)
    return run.metrics["images"] / run.metrics["seconds"]


def render_rate(n: int = 4096, repeats: int = 5) -> float:
    data, rng = ProceduralDSprites(), np.random.default_rng(0)
    idx = data.sample_indices(n, rng)
    data.images(idx[:64])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        data.images(idx)
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def profile_step(batch_size: int, steps: int = 10) -> str:
    """Top operators of the explorer training step (torch.profiler, self CPU time)."""
    from torch.profiler import ProfilerActivity, profile

    config = RunConfig(model=ModelConfig(decoder="conv"), train=TrainConfig(batch_size=batch_size))
    model = build_model(config.model).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data, rng = ProceduralDSprites(), np.random.default_rng(0)

    def step():
        x = torch.from_numpy(data.images(data.sample_indices(batch_size, rng))).contiguous(memory_format=torch.channels_last)
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar, config.objective, 0.0).loss
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10)


def roofline_rows(per_image: float, ceiling: float, reference: float, ours: float) -> list[dict]:
    """The arithmetic bound: what each loop sustains against the CPU's measured fp32 matrix-product rate."""
    def share(rate):
        return f"{rate * per_image / 1e9:.0f} GFLOP/s"
    return [
        row("arithmetic of one training step (forward + both gradients)", f"{per_image / 1e6:.1f} MFLOP/image", "bench.flops"),
        row("fp32 matrix product (2048², same threads)", f"{ceiling / 1e9:.0f} GFLOP/s", "this CPU's best case"),
        row("ceiling: images/s if every FLOP ran at that rate", f"{ceiling / per_image:.0f} img/s", "vs reference",
            ceiling / per_image / reference),
        row("plain reference loop sustains", share(reference), "share of the ceiling", reference * per_image / ceiling),
        row("explorer trainer sustains", share(ours), "share of the ceiling", ours * per_image / ceiling),
        row("the 2.5x target would need", share(2.5 * reference), "share of the ceiling", 2.5 * reference * per_image / ceiling),
    ]


def run(seconds: float = 8.0, rounds: int = 3) -> tuple[list[dict], str]:
    recipe = TrainConfig()
    ref, ours, ours_nolog, steps = [], [], [], []
    for _ in range(rounds):
        ref.append(reference_rate(seconds))
        ours.append(explorer_rate(seconds))
        ours_nolog.append(explorer_rate(seconds, log_every=10**9))
        steps.append(explorer_rate(seconds, batch_size=recipe.batch_size, decoder=ModelConfig().decoder) / recipe.batch_size)
    r, o, on, st = (statistics.median(v) for v in (ref, ours, ours_nolog, steps))
    rendered = render_rate()
    batch = 64
    per_image = training_flops(build_model(ModelConfig(decoder="conv")), torch.zeros(64, 1, 64, 64))["per_image"]
    ceiling = gemm_ceiling()
    rows = [
        row("plain reference loop (Burgess β-VAE, batch 64, NCHW)", f"{r:.0f} img/s", f"median of {rounds} × {seconds:g} s"),
        row(f"explorer trainer, same architecture (batch {batch}, channels-last, logging + eval included)", f"{o:.0f} img/s", "vs reference", o / r),
        row("explorer trainer, no history logging", f"{on:.0f} img/s", "vs reference", on / r),
        row("target", "2.5x", "vs reference", (o / r) / 2.5),
        row("dSprites renderer", f"{rendered:.0f} img/s", "vs trainer's consumption", rendered / o),
        row(f"short-run recipe (broadcast decoder, batch {recipe.batch_size}, logging + eval included)", f"{st:.1f} steps/s",
            "vs reference steps/s", st / (r / batch)),
        *roofline_rows(per_image, ceiling, r, o),
    ]
    return rows, profile_step(batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows, profile = run(args.seconds, args.rounds)
    table = to_markdown(rows)
    print(table)
    print(profile)
    body = f"{table}\n\nWhere the explorer step spends its time (torch.profiler):\n\n```\n{profile}\n```"
    publish("throughput", "Training throughput", "bench.throughput", argv, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

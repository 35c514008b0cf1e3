"""Training throughput of the standard Burgess β-VAE: our training step against a plain loop.

Run: ``python -m bench.throughput [--seconds 8 --rounds 3]``. Both loops train the same
architecture (Burgess encoder + conv decoder, 10 latents) on freshly rendered dSprites
batches, alternating in rounds so machine noise hits both; the medians and their ratio are
reported, plus the renderer's own rate and where the training step spends its time.

- reference: the textbook loop: batch 64, NCHW tensors, Adam 1e-3, nothing else.
- explorer: ``explorer.trainer.train`` as the app and CLI run it (channels-last tensors,
  history logging and evaluation included), at the default batch size, with the same
  Burgess encoder + conv decoder (not the recipe's broadcast decoder).
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


def explorer_rate(seconds: float, log_every: int | None = None) -> float:
    """Images/s of the real trainer (its own clock: training wall time, logging included)."""
    cfg = RunConfig(model=ModelConfig(decoder="conv"), train=TrainConfig(seconds=seconds))  # the Burgess architecture
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


def run(seconds: float = 8.0, rounds: int = 3) -> tuple[list[dict], str]:
    ref, ours, ours_nolog = [], [], []
    for _ in range(rounds):
        ref.append(reference_rate(seconds))
        ours.append(explorer_rate(seconds))
        ours_nolog.append(explorer_rate(seconds, log_every=10**9))
    r, o, on = statistics.median(ref), statistics.median(ours), statistics.median(ours_nolog)
    rendered = render_rate()
    batch = TrainConfig().batch_size
    rows = [
        row("plain reference loop (Burgess β-VAE, batch 64, NCHW)", f"{r:.0f} img/s", f"median of {rounds} × {seconds:g} s"),
        row(f"explorer trainer, same architecture (batch {batch}, channels-last, logging + eval included)", f"{o:.0f} img/s", "vs reference", o / r),
        row("explorer trainer, no history logging", f"{on:.0f} img/s", "vs reference", on / r),
        row("target", "2.5x", "vs reference", (o / r) / 2.5),
        row("dSprites renderer", f"{rendered:.0f} img/s", "vs trainer's consumption", rendered / o),
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

"""One training function for the CLI, the app and the benchmarks.

``train(config, on_progress=None, stop=None) -> Run``: deterministic for a given seed and
step budget, stoppable between steps, and safe: a non-finite loss or gradient stops the
run with a reason and restores the last good weights, so nothing corrupt is ever saved.
``on_progress`` sees each history point; the optional ``on_step`` sees every step and each
phase, cheaply (no evaluation, no history row), so a progress bar can move between points.
``device`` (explorer.device) is where it trains; the returned model is always on the CPU.
"""
from __future__ import annotations

import copy
import math
import threading
import time
from typing import Callable

import numpy as np
import torch

from .config import RunConfig
from .data import ImageDataset, load_dataset
from .device import describe
from .evaluation import code_diagnostics, draw_eval_sample, encode, evaluate
from .models import build_model
from .objective import loss_for
from .protocols import FINAL
from .run import Run
from .schedules import lr_factor
from .supervision import LabelledPool, label_loss, pinned_dims
from .threads import computing_with

ProgressFn = Callable[[Run, float], None]
StopFn = Callable[[], bool]
#: ``on_step(step, fraction, phase)``, phase one of PHASES; called after every step, so keep it cheap.
StepFn = Callable[[int, float, str], None]
PHASES = ("preparing", "training", "evaluating")


def train(config: RunConfig, on_progress: ProgressFn | None = None, stop: StopFn | None = None,
          dataset: ImageDataset | None = None, final_eval: bool = True, on_step: StepFn | None = None,
          device=None) -> Run:
    """Train a β-VAE as ``config`` says; ``on_progress(run, fraction)`` is called at every log point,
    ``on_step(step, fraction, phase)`` at every step and when the phase changes. ``device``: a torch.device
    (explorer.device.resolve; None: the CPU); it is recorded in ``run.metrics["device"]``. It computes with
    the run's own thread count (explorer.threads) and leaves the caller's as it was."""
    config.validate()
    with computing_with(config.train.threads):
        return _train(config, on_progress, stop, dataset, final_eval, on_step, device)


def _train(config: RunConfig, on_progress, stop, dataset, final_eval, on_step, device) -> Run:
    device = torch.device("cpu") if device is None else torch.device(device)
    t = config.train
    if on_step is not None:
        on_step(0, 0.0, "preparing")  # loading data, drawing the evaluation sample, scoring the untrained model
    if dataset is None:
        dataset = load_dataset(t.dataset, t.npz_path, t.data_root, t.download)
    model, gen = _seeded_model(config, device)
    rng = np.random.default_rng(t.seed)
    params = list(model.parameters())
    # one kernel per operation over all the weights rather than a Python loop over them: the same arithmetic
    # element for element, so the same weights, with less per-step overhead (bench.step_cost)
    optimizer = torch.optim.Adam(params, lr=t.lr, foreach=True)
    loss = loss_for(config.objective, t.steps)
    run = Run(config=config, model=model)
    eval_sample = draw_eval_sample(dataset, t.eval_samples, t.seed)
    pool = LabelledPool.draw(dataset, t.labels, config.objective.pinned, t.seed) if t.labels else None
    pinned = pinned_dims(config, dataset.factor_names)

    acc = _Accumulator()
    good_state = copy.deepcopy(model.state_dict())
    step, start = 0, time.perf_counter()
    elapsed = 0.0

    def progress() -> float:
        if t.steps is not None:
            return step / t.steps
        return elapsed / t.seconds

    def log_point() -> None:
        nonlocal good_state
        mu, logvar = encode(model, eval_sample.images)
        diag = code_diagnostics(mu, logvar, eval_sample.factors, seed=t.seed, pinned=pinned,
                                factor_names=dataset.factor_names)
        row = acc.means()
        row.update(
            step=step, images=step * t.batch_size, seconds=elapsed,
            eval_kl=diag["kl"], active_units=diag["active_units"], informative_units=diag["informative_units"],
            mi=diag["mi"], mig=diag.get("mig"), index_code_mi=diag["index_code_mi"],
            total_correlation=diag["total_correlation"], dimwise_kl=diag["dimwise_kl"],
        )
        if pinned:
            row["pinned_mi"] = diag["pinned_mi"]
        for key, values in run.history.items():
            values.append(row.get(key))
        acc.reset()
        good_state = copy.deepcopy(model.state_dict())
        model.train()
        if on_progress is not None:
            on_progress(run, min(progress(), 1.0))

    def report(phase: str) -> None:
        if on_step is not None:
            on_step(step, min(progress(), 1.0), phase)

    log_point()  # the untrained starting point, so every curve begins at step 0
    model.train()
    report("training")
    while progress() < 1.0:
        if stop is not None and stop():
            run.status, run.reason = "cancelled", f"stopped by the user after {step} steps"
            break
        indices = dataset.sample_indices(t.batch_size, rng)
        if pool is not None:  # the first images of the batch come from the labelled pool
            indices[: t.label_batch], targets = pool.sample(t.label_batch)
        x = torch.from_numpy(dataset.images(indices)).to(device)
        x = x.contiguous(memory_format=torch.channels_last)
        logits, mu, logvar, z = model.forward_with_code(x, generator=gen)
        parts = loss(logits, x, mu, logvar, progress(), z=z)
        if pool is not None:
            parts.label = label_loss(mu[: t.label_batch], targets.to(device))
            parts.loss = parts.loss + config.objective.label_weight * parts.label
        if not torch.isfinite(parts.loss):
            _diverged(run, model, good_state, step, "the loss became non-finite")
            break
        optimizer.zero_grad(set_to_none=True)
        parts.loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip if t.grad_clip > 0 else math.inf)
        if not torch.isfinite(grad_norm):
            _diverged(run, model, good_state, step, "the gradient became non-finite")
            break
        lr = t.lr * lr_factor(t.lr_decay_start, progress())
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        step += 1
        elapsed = time.perf_counter() - start
        acc.add(parts, lr)
        if not _all_finite(params):
            _diverged(run, model, good_state, step, "the weights became non-finite (is the learning rate too high?)")
            break
        if step % t.log_every == 0 or progress() >= 1.0:
            log_point()
        report("training")

    if run.status == "running":
        run.status = "completed"
    if run.status == "cancelled" and acc.count:  # the steps since the last log point still get their row
        log_point()
    # back to the standard layout, so the returned model computes exactly what its saved checkpoint will
    model.to(memory_format=torch.contiguous_format)
    if final_eval:
        report("evaluating")
        run.metrics = evaluate(model, dataset, n=t.eval_samples, seed=FINAL.for_seed(t.seed).seed,
                               recon_samples=min(500, t.eval_samples),
                               pinned=pinned)
    model.to("cpu")  # a checkpoint, the views and a training child's pipe all take CPU weights
    run.metrics.update(steps=step, seconds=elapsed, images=step * t.batch_size, status=run.status,
                       device=describe(device))
    model.eval()
    return run


#: Seeding torch's global generator and building the model must not interleave with another training's.
_BUILD_LOCK = threading.Lock()


def _seeded_model(config: RunConfig, device):
    """(model, generator): the weights drawn from the seed, and a generator of the training's own that
    continues the seed's stream exactly where initialisation left it (so a lone training draws the same
    numbers as ever, and two at once cannot reseed each other).

    Both are made on the CPU whatever the device: the weights start the same, and the reparameterisation
    noise is drawn on the CPU and copied over (explorer.models.vae), one stream per seed on every device."""
    with _BUILD_LOCK:
        torch.manual_seed(config.train.seed)
        # channels-last convolutions run faster on this CPU's oneDNN kernels (bench/throughput)
        model = build_model(config.model).to(device=device, memory_format=torch.channels_last)
        gen = torch.Generator()
        gen.set_state(torch.get_rng_state())
    return model, gen


def _all_finite(params: list[torch.Tensor]) -> bool:
    """Whether every weight is finite. One norm per tensor in a single call is the cheap test (a non-finite weight
    makes its norm non-finite); only a non-finite norm, which finite but enormous weights could also give, is
    confirmed element by element."""
    if bool(torch.isfinite(torch.stack(torch._foreach_norm(params))).all()):
        return True
    return all(bool(torch.isfinite(p).all()) for p in params)


def _diverged(run: Run, model, good_state: dict, step: int, why: str) -> None:
    model.load_state_dict(good_state)
    run.status = "diverged"
    run.reason = f"{why} at step {step + 1}; the weights of the last good log point were kept"


class _Accumulator:
    """Running means of the training-batch numbers between two log points."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.sums: dict[str, float] = {}
        self.kl_dims = None
        self.last: dict = {}

    def add(self, parts, lr: float) -> None:
        self.count += 1
        for key, value in (("loss", parts.loss.item()), ("recon", parts.recon.item()), ("kl", parts.kl.item()),
                           ("kl_penalised", parts.kl_penalised.item())):
            self.sums[key] = self.sums.get(key, 0.0) + value
        if parts.label is not None:
            self.sums["label_loss"] = self.sums.get("label_loss", 0.0) + parts.label.item()
        dims = parts.kl_per_dim.cpu().numpy().astype(float)
        self.kl_dims = dims if self.kl_dims is None else self.kl_dims + dims
        self.last = {"kl_weight": parts.weight, "capacity": parts.capacity, "lr": lr}

    def means(self) -> dict:
        if not self.count:
            return {}
        out = {k: v / self.count for k, v in self.sums.items()}
        out["kl_per_dim"] = [float(v) for v in self.kl_dims / self.count]
        out.update(self.last)
        return out

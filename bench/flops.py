"""How much arithmetic a training step is, and how much this CPU can do: the throughput ceiling.

A β-VAE step is almost all convolution and dense-layer arithmetic, so images/s is bounded by
(FLOP/s the CPU sustains) / (FLOP per image). ``training_flops`` counts the multiply-adds of
every Conv2d, ConvTranspose2d and Linear layer with forward hooks and triples them for the
step (forward, gradient of the weights, gradient of the input; the last is skipped where the
input needs no gradient, as for the first encoder layer). ``gemm_ceiling`` measures the same
threads on a large fp32 matrix product, the best case for this CPU's vector units.
"""
from __future__ import annotations

import statistics
import time

import torch
from torch import nn


def _forward_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    if isinstance(module, nn.Conv2d):  # every output value sums Cin/groups · kh · kw products
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.ConvTranspose2d):  # every input value is spread to Cout/groups · kh · kw outputs
        kh, kw = module.kernel_size
        return inputs[0].numel() * (module.out_channels // module.groups) * kh * kw
    return 0


def training_flops(model: nn.Module, x: torch.Tensor) -> dict:
    """FLOP (2 per multiply-add) of one forward + backward pass of ``model`` on the batch ``x``."""
    forward, backward = [0], [0]

    def hook(module, inputs, output):
        macs = _forward_macs(module, inputs, output)
        forward[0] += macs
        backward[0] += macs * (2 if inputs[0].requires_grad else 1)  # weight grad (+ input grad)

    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        with torch.enable_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    total = 2 * (forward[0] + backward[0])
    return {"forward": 2 * forward[0], "step": total, "per_image": total / x.shape[0]}


def gemm_ceiling(n: int = 2048, repeats: int = 10) -> float:
    """Sustained fp32 FLOP/s of an n×n matrix product on torch's current threads (median)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times)

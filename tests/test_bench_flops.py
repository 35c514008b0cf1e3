"""The throughput ceiling's FLOP count (bench.flops) against counts done by hand."""
import pytest
import torch
from torch import nn

from bench.flops import training_flops


@pytest.mark.parametrize("layer, shape, macs", [
    (nn.Linear(3, 4), (5, 3), 5 * 4 * 3),
    (nn.Conv2d(1, 2, 3), (1, 1, 5, 5), 2 * 3 * 3 * 9),             # 18 outputs, 9 products each
    (nn.Conv2d(4, 6, 3, groups=2), (1, 4, 5, 5), 6 * 3 * 3 * 2 * 9),  # each output sees Cin/groups channels
    (nn.ConvTranspose2d(2, 1, 4, 2, 1), (1, 2, 3, 3), 2 * 3 * 3 * 16),  # each input spreads to 16 outputs
])
def test_forward_multiply_adds(layer, shape, macs):
    counts = training_flops(layer, torch.zeros(shape))
    assert counts["forward"] == 2 * macs
    # the input needs no gradient: forward + weight gradient only
    assert counts["step"] == 2 * (2 * macs)


def test_transposed_conv_costs_what_its_adjoint_conv_costs():
    conv, tconv = nn.Conv2d(3, 5, 4, 2, 1), nn.ConvTranspose2d(5, 3, 4, 2, 1)
    x = torch.zeros(2, 3, 16, 16)
    y = conv(x)
    assert training_flops(tconv, torch.zeros_like(y))["forward"] == training_flops(conv, x)["forward"]


def test_input_gradient_counted_only_where_needed():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    counts = training_flops(model, torch.zeros(1, 3))
    first, second = 12, 8
    assert counts["step"] == 2 * (first * 2 + second * 3)
    assert counts["per_image"] == counts["step"]

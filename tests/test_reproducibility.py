"""The reproducibility promise the README, docs/knobs.md and the Train page make, and no more: the same settings
and the same number of torch threads train the same weights, bit for bit; another thread count splits the
arithmetic differently, so no text may promise the same weights 'on any host'."""
from pathlib import Path

import pytest
import torch

from explorer.config import ModelConfig, RunConfig, TrainConfig
from explorer.trainer import train

ROOT = Path(__file__).resolve().parents[1]
#: every text that states what a step budget reproduces
PROMISES = ("README.md", "docs/knobs.md", "docs/cli.md", "explorer/config.py", "explorer/ui/page_train.py",
            "explorer/ui/train_presets.py")


def _weights(threads: int) -> dict:
    """A small broadcast-decoder run (the default decoder, wide enough for torch to split its work over threads)."""
    config = RunConfig(ModelConfig(latent_dim=4), train=TrainConfig(batch_size=16, steps=12, seconds=None,
                                                                    log_every=6, eval_samples=64, seed=3))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        run = train(config, final_eval=False)
    finally:
        torch.set_num_threads(before)
    return {k: v.clone() for k, v in run.model.state_dict().items()}


@pytest.mark.parametrize("threads", [1, 2])
def test_the_same_settings_and_thread_count_train_the_same_weights_bit_for_bit(threads):
    first, again = _weights(threads), _weights(threads)
    assert first.keys() == again.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_no_text_promises_the_same_weights_on_any_host():
    for name in PROMISES:
        text = " ".join((ROOT / name).read_text().split()).lower()
        assert "any host" not in text and "anywhere" not in text, name
    said = " ".join((ROOT / "README.md").read_text().split())
    assert "the same number of torch threads" in said  # … and it says what is reproduced

"""The reproducibility promise the README, docs/knobs.md and the Train page make, and no more: the same settings,
the thread count among them (``--threads``, default 1), train the same weights bit for bit, whatever the host's
own thread count; another thread count splits the arithmetic differently, so it is another run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from explorer.config import ModelConfig, RunConfig, TrainConfig
from explorer.flags import to_argv
from explorer.trainer import train

ROOT = Path(__file__).resolve().parents[1]
#: every text that states what a step budget reproduces
PROMISES = ("README.md", "docs/knobs.md", "docs/cli.md", "explorer/config.py", "explorer/ui/page_train.py",
            "explorer/ui/train_presets.py")


def _config(threads: int) -> RunConfig:
    """A small broadcast-decoder run (the default decoder, wide enough for torch to split its work over threads)."""
    return RunConfig(ModelConfig(latent_dim=4), train=TrainConfig(batch_size=16, steps=12, seconds=None, log_every=6,
                                                                  eval_samples=64, seed=3, threads=threads))


#: Trains ``_config(threads)`` in a fresh interpreter and prints a digest of its weights.
_CHILD = """
import hashlib, json, sys
sys.path.insert(0, {tests!r})
from test_reproducibility import _config
from explorer.trainer import train
run = train(_config({threads}), final_eval=False)
digest = hashlib.sha256()
for name, tensor in sorted(run.model.state_dict().items()):
    digest.update(tensor.contiguous().numpy().tobytes())
print(json.dumps(digest.hexdigest()))
"""


def _digest_on_a_host_with(host_threads: int, threads: int) -> str:
    """The weights' digest of a run trained where torch's own default is ``host_threads`` threads."""
    env = {**os.environ, "OMP_NUM_THREADS": str(host_threads), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _CHILD.format(tests=str(ROOT / "tests"), threads=threads)], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("threads", [1, 2])
def test_the_same_settings_train_the_same_weights_whatever_the_hosts_own_thread_count(threads):
    assert _digest_on_a_host_with(1, threads) == _digest_on_a_host_with(2, threads)


def test_a_run_computes_with_its_own_thread_count_and_gives_the_caller_back_its_own():
    before = torch.get_num_threads()
    seen = set()
    try:
        torch.set_num_threads(1)
        train(_config(2), final_eval=True, on_step=lambda *_: seen.add(torch.get_num_threads()))
        assert seen == {2}
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_another_thread_count_is_another_run_and_says_so_in_its_command():
    one, two = _config(1), _config(2)
    assert one.key() != two.key()
    assert "--threads" not in to_argv(one) and to_argv(two)[-2:] == ["--threads", "2"]
    # a file saved before the setting existed reads as one thread, and keeps the key it was given
    saved = one.to_dict()
    del saved["train"]["threads"]
    assert RunConfig.from_dict(saved).train.threads == 1 and RunConfig.from_dict(saved).key() == one.key()


def test_a_shipped_sweep_run_keeps_the_key_its_folder_was_given():
    results = sorted((ROOT / "checkpoints" / "sweeps").glob("*/*/result.json"))
    assert results
    for path in results[:5]:
        record = json.loads(path.read_text())
        assert RunConfig.from_dict(record["config"]).key() == record["key"] == path.parent.name


def test_bad_thread_counts_are_refused_in_one_line():
    for bad in (0, -1, 1000, 1.5, True):
        with pytest.raises(ValueError, match="threads must be a whole number from 1 to 256"):
            _config(bad).validate()


def test_no_text_promises_more_than_the_settings_reproduce():
    for name in PROMISES:
        text = " ".join((ROOT / name).read_text().split()).lower()
        assert "any host" not in text and "anywhere" not in text, name
    said = " ".join((ROOT / "README.md").read_text().split())
    assert "`--threads`" in said and "the same kind of CPU" in said  # … and it says what is reproduced

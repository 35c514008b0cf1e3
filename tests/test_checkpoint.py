"""Checkpoints: self-describing, atomic, and refused cleanly when unusable or hostile."""
import os
import pickle
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from explorer.checkpoint import CheckpointError, load_run, save_run
from explorer.trainer import train
from helpers import tiny_config


@pytest.fixture(scope="module")
def run():
    return train(tiny_config(steps=3))


def test_round_trip_keeps_config_weights_history_and_metrics(run, tmp_path):
    path = save_run(run, tmp_path / "r.pt")
    back = load_run(path)
    assert back.config == run.config
    assert back.history == run.history
    assert back.metrics["kl"] == pytest.approx(run.metrics["kl"])
    for a, b in zip(run.model.state_dict().values(), back.model.state_dict().values()):
        assert torch.equal(a, b)
    x = torch.zeros(1, 1, 64, 64)
    assert torch.equal(run.model.encode_mean(x), back.model.encode_mean(x))


def test_no_temporary_files_are_left_behind(run, tmp_path):
    save_run(run, tmp_path / "r.pt")
    save_run(run, tmp_path / "r.pt")  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["r.pt"]


def test_a_failed_write_leaves_the_old_file_intact(run, tmp_path, monkeypatch):
    path = save_run(run, tmp_path / "r.pt")
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_run(run, path)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["r.pt"]


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask022", "umask077"])
def test_save_leaves_the_umask_alone_and_gives_the_default_mode(run, tmp_path, monkeypatch, umask):
    """Setting the umask, even for a moment, changes the mode of files other threads create meanwhile."""
    real_umask = os.umask

    def forbidden(mask):
        raise AssertionError("save_run changed the process umask")

    old = real_umask(umask)
    try:
        monkeypatch.setattr(os, "umask", forbidden)
        paths = [tmp_path / f"r{i}.pt" for i in range(4)]
        with ThreadPoolExecutor(4) as pool:   # runs are saved from worker threads
            list(pool.map(lambda p: save_run(run, p), paths))
    finally:
        real_umask(old)
    # As readable as any file the user writes: what open() would give under this umask.
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o666 & ~umask] * len(paths)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)


def _bad_files(tmp_path, run):
    good = save_run(run, tmp_path / "good.pt").read_bytes()
    (tmp_path / "random.pt").write_bytes(os.urandom(2048))
    (tmp_path / "truncated.pt").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    (tmp_path / "text.pt").write_text("hello\n")
    with open(tmp_path / "pickle.pt", "wb") as f:
        pickle.dump({"format": "beta-vae-explorer/checkpoint"}, f, protocol=4)
    (tmp_path / "folder.pt").mkdir()
    return ["random.pt", "truncated.pt", "empty.pt", "foreign.pt", "missing.pt", "text.pt", "pickle.pt", "folder.pt"]


def test_unusable_files_give_one_line_errors(run, tmp_path, recwarn):
    """In our words (issue 26): not torch's cut-off text advising to turn weights_only off, nor 'KeyError: 101'
    for a text file, nor a warning about pickle protocols."""
    for name in _bad_files(tmp_path, run):
        with pytest.raises(CheckpointError) as err:
            load_run(tmp_path / name)
        message = str(err.value)
        assert "\n" not in message and name in message
        assert "weights_only" not in message.lower() and "KeyError" not in message and "torch." not in message
    assert not [w for w in recwarn if "pickle" in str(w.message)]


def test_mismatched_and_nan_weights_are_refused(run, tmp_path):
    payload = torch.load(save_run(run, tmp_path / "good.pt"), weights_only=True)
    payload["config"]["model"]["latent_dim"] = 7  # weights were trained for 3 latents
    torch.save(payload, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="does not match"):
        load_run(tmp_path / "mismatch.pt")
    payload = torch.load(tmp_path / "good.pt", weights_only=True)
    next(iter(payload["state_dict"].values())).fill_(float("nan"))
    torch.save(payload, tmp_path / "nan.pt")
    with pytest.raises(CheckpointError, match="NaN"):
        load_run(tmp_path / "nan.pt")


class _Payload:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))  # would create a file if unpickled


def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path):
    target = tmp_path / "pwned"
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"format": "beta-vae-explorer/checkpoint", "x": _Payload(str(target))}, f)
    torch.save({"format": "beta-vae-explorer/checkpoint", "x": _Payload(str(target))}, tmp_path / "evil2.pt")
    for name in ("evil.pt", "evil2.pt"):
        with pytest.raises(CheckpointError):
            load_run(tmp_path / name)
    assert not target.exists()


def test_a_file_saved_before_a_field_existed_loads_with_what_it_was_trained_with():
    """A missing key means "trained before this knob existed", not "today's default"."""
    from explorer.config import RunConfig

    old = RunConfig().to_dict()
    del old["model"]["encoder_init"], old["train"]["lr_decay_start"]
    config = RunConfig.from_dict(old)
    assert config.model.encoder_init == "torch" and config.train.lr_decay_start == 1.0
    assert RunConfig.from_dict(RunConfig().to_dict()) == RunConfig()  # present keys always win


def test_the_recorded_versions_are_the_libraries_own_and_reading_them_imports_neither():
    import subprocess
    import sys

    import sklearn
    import torchvision

    from explorer.checkpoint import versions

    v = versions()
    assert v["torchvision"] == torchvision.__version__ and v["scikit-learn"] == sklearn.__version__
    probe = ("import sys; from explorer.checkpoint import versions; versions(); "
             "print(sorted(m for m in ('torchvision', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

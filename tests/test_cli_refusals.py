"""Every refusal of train, eval, traverse, data, views and gallery is one line on stderr and exit code 2 (issue 26).

In-process calls of the CLI's ``main`` (a subprocess would import torch once per case). Refusals of an output
path come before any work: the trainer is replaced by one that fails the test if it is called.
"""
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from explorer import trainer
from explorer.checkpoint import load_run, save_run
from explorer.cli import main
from explorer.outputs import default_out
from explorer.flags import parse_train

TINY = ["--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2", "--quiet", "--steps", "2"]
HAS_PROC = Path("/proc/self").is_dir()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A trained tiny run, a shipped-looking copy that no longer matches its index, and files that are no checkpoint."""
    root = tmp_path_factory.mktemp("refusals")
    assert main(["train", *TINY, "--out", str(root / "run.pt")]) == 0
    (root / "afile").write_text("not a folder\n")
    (root / "text.pt").write_text("hello\n")
    (root / "empty.pt").write_bytes(b"")
    (root / "folder.pt").mkdir()
    (root / "truncated.pt").write_bytes((root / "run.pt").read_bytes()[:500])
    with open(root / "pickle.pt", "wb") as f:
        pickle.dump({"format": "beta-vae-explorer/checkpoint"}, f, protocol=4)
    shipped = root / "shipped"
    shipped.mkdir()
    shutil.copy(root / "run.pt", shipped / "a.pt")
    index = {"runs": [{"name": "a", "file": "a.pt", "config": {}, "provenance": {"sha256": "0" * 64}}]}
    (shipped / "index.json").write_text(json.dumps(index))
    (root / "damaged").mkdir()
    (root / "damaged" / "index.json").write_text("{not json")
    return root


@pytest.fixture
def no_training(monkeypatch):
    """A refusal must come before the first training step."""
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the command should have been refused first")
    monkeypatch.setattr(trainer, "train", refuse)


def refused(argv, capsys) -> str:
    """Run the CLI; assert exit code 2 and exactly one non-empty line on stderr, which is returned."""
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 2, argv
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip() and err.endswith("\n"), err
    assert "Traceback" not in err and "weights_only" not in err
    return lines[0]


def out_problems(root: Path, name: str) -> dict:
    """Output paths no command can write: a folder as the file, a path under a file, a special file (a named
    pipe, which a write would block on), /proc."""
    folder, pipe = root / f"folder-{name}", root / f"pipe-{name}"
    folder.mkdir(exist_ok=True)
    if not pipe.exists():
        os.mkfifo(pipe)
    cases = {"a folder": folder, "under a file": root / "afile" / name, "a special file": pipe}
    if HAS_PROC:
        cases["/proc"] = Path("/proc") / name
        cases["under /proc"] = Path("/proc/self") / "nope" / name
    return cases


def _read_only(root: Path) -> Path:
    ro = root / "read-only"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o500)
    return ro


needs_permissions = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                                       reason="root writes into read-only folders (the /proc cases cover a refusing folder)")


# --- train ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["a folder", "under a file", "a special file", "/proc", "under /proc"])
def test_train_refuses_an_unwritable_out_before_the_first_step(folder, case, capsys, no_training):
    cases = out_problems(folder, "x.pt")
    if case not in cases:
        pytest.skip("no /proc here")
    assert "--out" in refused(["train", *TINY, "--out", cases[case]], capsys)


@needs_permissions
def test_train_refuses_a_read_only_folder_before_the_first_step(folder, capsys, no_training):
    assert "cannot be written" in refused(["train", *TINY, "--out", _read_only(folder) / "x.pt"], capsys)


@pytest.mark.parametrize("existing, words", [("run.pt", "holds another run"), ("text.pt", "not a checkpoint of this run")])
def test_train_never_replaces_another_file_without_force(folder, existing, words, capsys, no_training):
    before = (folder / existing).read_bytes()
    line = refused(["train", *TINY, "--latent-dim", "4", "--out", folder / existing], capsys)
    assert words in line and "--force" in line
    assert (folder / existing).read_bytes() == before


def test_train_replaces_the_same_run_and_with_force_another(folder, tmp_path, capsys):
    out = tmp_path / "r.pt"
    shutil.copy(folder / "run.pt", out)
    assert main(["train", *TINY, "--out", str(out)]) == 0  # the same settings: its retraining may replace it
    assert main(["train", *TINY, "--latent-dim", "4", "--out", str(out), "--force"]) == 0
    assert load_run(out).config.model.latent_dim == 4


def test_the_default_out_is_one_file_per_run():
    """Issue 26: `--latent-dim 10` and `--latent-dim 6 --lr 0.002` both saved to runs/dsprites-…-seed0.pt."""
    a, b = parse_train(["--latent-dim", "10"]), parse_train(["--latent-dim", "6", "--lr", "0.002"])
    assert default_out(a) != default_out(b) and default_out(a) == default_out(parse_train(["--latent-dim", "10"]))
    assert default_out(a).parent == Path("runs") and a.key() in default_out(a).name


def _run_written_meanwhile(out: Path, other: Path):
    """A trainer that trains for real, while 'another process' writes another run at ``out``."""
    real = trainer.train

    def train(config, **kwargs):
        run = real(config, **kwargs)
        shutil.copy(other, out)
        return run
    return train


def test_a_run_whose_out_was_taken_while_it_trained_is_saved_elsewhere_not_lost(folder, tmp_path, capsys, monkeypatch):
    out = tmp_path / "r.pt"
    monkeypatch.setattr(trainer, "train", _run_written_meanwhile(out, folder / "run.pt"))
    line = refused(["train", *TINY, "--latent-dim", "4", "--out", out], capsys)
    rescued = Path(line.rsplit(" saved at ", 1)[1].removesuffix(" instead"))
    assert "holds another run" in line and load_run(rescued).config.model.latent_dim == 4
    assert load_run(out).config.model.latent_dim == 3  # the other run is still there
    rescued.unlink()


def test_a_run_that_cannot_be_written_at_the_end_is_saved_elsewhere(tmp_path, capsys, monkeypatch):
    import explorer.checkpoint as checkpoint

    real, calls = checkpoint.save_run, []

    def full_disk_once(run, path):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(28, "No space left on device", str(path))
        return real(run, path)
    monkeypatch.setattr(checkpoint, "save_run", full_disk_once)
    line = refused(["train", *TINY, "--out", tmp_path / "r.pt"], capsys)
    assert "No space left on device" in line and Path(calls[1]).is_file()
    Path(calls[1]).unlink()


# --- eval, traverse, views: checkpoints that cannot be used --------------------------------------------------

UNUSABLE = ["missing.pt", "text.pt", "empty.pt", "folder.pt", "truncated.pt", "pickle.pt", "shipped/a.pt"]


@pytest.mark.parametrize("name", UNUSABLE)
def test_eval_refuses_an_unusable_or_changed_checkpoint_in_our_words(folder, name, capsys):
    line = refused(["eval", folder / name], capsys)
    assert "KeyError" not in line and "torch." not in line
    if name.startswith("shipped"):
        assert "is not the file" in line and "--accept" in line


@pytest.mark.parametrize("name", UNUSABLE)
def test_traverse_refuses_an_unusable_or_changed_checkpoint(folder, name, tmp_path, capsys):
    refused(["traverse", folder / name, "--out", tmp_path / "g.png"], capsys)
    assert not (tmp_path / "g.png").exists()


@pytest.mark.parametrize("name", ["text.pt", "shipped/a.pt"])
def test_views_refuses_an_unusable_or_changed_checkpoint(folder, name, tmp_path, capsys):
    refused(["views", folder / name, "--out", tmp_path / "v.views.npz"], capsys)


def test_eval_and_traverse_refuse_bad_numbers(folder, tmp_path, capsys):
    refused(["eval", folder / "run.pt", "--samples", "1"], capsys)
    refused(["traverse", folder / "run.pt", "--out", tmp_path / "g.jpg"], capsys)
    refused(["traverse", folder / "run.pt", "--out", tmp_path / "g.png", "--columns", "1"], capsys)
    refused(["traverse", folder / "run.pt", "--out", tmp_path / "g.png", "--index", "-1"], capsys)


# --- every other --out ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["a folder", "under a file", "a special file", "/proc", "under /proc"])
def test_traverse_data_and_views_refuse_an_unwritable_out_before_any_work(folder, case, capsys):
    cases = out_problems(folder, "x.npz")
    if case not in cases:
        pytest.skip("no /proc here")
    assert "--out" in refused(["data", "--out", cases[case], "--n", "3"], capsys)
    assert "--out" in refused(["views", folder / "run.pt", "--out", cases[case]], capsys)
    png = out_problems(folder, "x.png")[case]
    assert "--out" in refused(["traverse", folder / "run.pt", "--out", png], capsys)


@needs_permissions
def test_traverse_data_views_and_gallery_refuse_a_read_only_folder(folder, capsys, no_training):
    ro = _read_only(folder)
    refused(["traverse", folder / "run.pt", "--out", ro / "g.png"], capsys)
    refused(["data", "--out", ro / "d.npz", "--n", "3"], capsys)
    refused(["views", folder / "run.pt", "--out", ro / "v.npz"], capsys)
    refused(["gallery", "--out", ro, "--only", "beta4"], capsys)


def test_data_refuses_bad_values_and_an_out_numpy_would_rename(folder, capsys):
    for argv in (["--out", folder / "d", "--n", "3"], ["--out", folder / "d.npz", "--n", "0"],
                 ["--out", folder / "d.npz", "--indices", "1,a"], ["--out", folder / "d.npz", "--indices", "99999999"]):
        refused(["data", *argv], capsys)
    assert not (folder / "d.npz").exists() and not (folder / "d").exists()


def test_an_out_in_folders_not_made_yet_is_no_problem(folder, tmp_path, capsys):
    """The check probes the closest folder that exists and creates nothing; the write makes the rest."""
    assert main(["data", "--out", str(tmp_path / "new" / "sub" / "d.npz"), "--n", "2"]) == 0
    assert main(["traverse", str(folder / "run.pt"), "--out", str(tmp_path / "new2" / "g.png"), "--columns", "2"]) == 0
    assert (tmp_path / "new" / "sub" / "d.npz").is_file() and (tmp_path / "new2" / "g.png").is_file()


def test_views_takes_one_out_for_one_checkpoint(folder, tmp_path, capsys):
    refused(["views", folder / "run.pt", folder / "run.pt", "--out", tmp_path / "v.npz"], capsys)


# --- gallery -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["a file", "under a file", "/proc"])
def test_gallery_refuses_an_unwritable_folder_before_training(folder, case, capsys, no_training):
    cases = {"a file": folder / "afile", "under a file": folder / "afile" / "g", "/proc": Path("/proc/nope")}
    if case == "/proc" and not HAS_PROC:
        pytest.skip("no /proc here")
    assert "--out" in refused(["gallery", "--out", cases[case], "--only", "beta4"], capsys)


def test_gallery_refuses_flags_that_do_not_go_together_and_missing_or_damaged_indexes(folder, tmp_path, capsys,
                                                                                     no_training):
    assert "--accept goes with" in refused(["gallery", "--out", tmp_path, "--accept", "why"], capsys)
    assert "needs a reason" in refused(["gallery", "--out", tmp_path, "--stamp", "--accept", ""], capsys)
    assert "unknown gallery entries" in refused(["gallery", "--out", tmp_path, "--only", "nope"], capsys)
    assert "no gallery index" in refused(["gallery", "--out", tmp_path, "--stamp"], capsys)
    assert "no gallery index" in refused(["gallery", "--out", tmp_path, "--views"], capsys)
    for flag in ("--stamp", "--views", "--rescore"):
        assert "not a readable gallery index" in refused(["gallery", "--out", folder / "damaged", flag], capsys)


@pytest.mark.parametrize("flag", ["--stamp", "--rescore", "--views"])
def test_gallery_refuses_a_changed_file_unless_told_why(folder, flag, capsys):
    before = (folder / "shipped" / "index.json").read_bytes()
    assert "is not the file" in refused(["gallery", "--out", folder / "shipped", flag], capsys)
    assert (folder / "shipped" / "index.json").read_bytes() == before


def test_an_unsafe_checkpoint_never_runs_its_pickle(tmp_path, capsys):
    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))
    torch.save({"format": "beta-vae-explorer/checkpoint", "x": Payload()}, tmp_path / "evil.pt")
    assert "refused unread" in refused(["eval", tmp_path / "evil.pt"], capsys)
    assert not (tmp_path / "pwned").exists()


def test_a_damaged_run_saved_by_the_cli_is_still_one_line(folder, tmp_path, capsys):
    """NaN weights (a diverged run's file) are refused by name, not by a traceback."""
    run = load_run(folder / "run.pt")
    next(iter(run.model.parameters())).data.fill_(float("nan"))
    save_run(run, tmp_path / "nan.pt")
    assert "NaN" in refused(["eval", tmp_path / "nan.pt"], capsys)

"""The gallery command writes checkpoints and an index a dashboard can rely on."""
import io
import json
import shutil

import pytest
import torch

import tiny_gallery as tiny
from explorer import gallery, views
from explorer.checkpoint import load_run, save_run
from explorer.cli import main
from explorer.provenance import file_sha256

TINY = ("--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2", "--steps", "2")


ENTRIES = (
    tiny.entry("a", "β = 1", "beta-ladder", ("--beta", "1", *TINY)),
    tiny.entry("b", "AR collapse", "collapse", ("--beta", "1", "--decoder", "pixelcnn1", "--ar-channels", "4", *TINY)),
)


def _tiny_settings(mp):
    mp.setattr(gallery, "ENTRIES", ENTRIES)
    mp.setattr(gallery, "EVAL_SAMPLES", 200)
    mp.setattr(views, "EXTRA", tiny.SMALL_EXTRA)  # the slow scores of tiny runs' views on a small sample


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`explorer gallery` run once for the module (its training and scoring are what cost); each test that
    changes the folder works on a copy of it (``copy_built``)."""
    out = tmp_path_factory.mktemp("built-gallery")
    with pytest.MonkeyPatch.context() as mp:
        _tiny_settings(mp)
        assert main(["gallery", "--out", str(out)]) == 0
    return out


@pytest.fixture
def tiny_gallery(monkeypatch):
    _tiny_settings(monkeypatch)
    return ENTRIES


def copy_built(built, out):
    """The module's gallery copied into ``out``, its index naming ``out`` wherever it named the folder it was built
    in (the commands' --out): what `explorer gallery --out <out>` writes."""
    for f in built.iterdir():
        if f.name == "index.json":
            (out / f.name).write_text(f.read_text().replace(str(built), str(out)))
        else:
            shutil.copy2(f, out / f.name)
    return out


def test_gallery_writes_index_with_reproducible_commands(built):
    tmp_path = built  # read only
    index = json.loads((tmp_path / "index.json").read_text())
    assert [r["name"] for r in index["runs"]] == ["a", "b"]
    for entry in index["runs"]:
        run = load_run(tmp_path / entry["file"])
        assert entry["config"] == run.config.to_dict()
        assert entry["config"]["objective"]["beta"] == 1.0 and entry["role"] in ("beta-ladder", "collapse")
        assert set(entry["metrics"]) >= {"mig", "active_units", "kl", "recon"}
        assert entry["command"].startswith("python -m explorer train ")
        assert entry["command"].endswith(f"--out {tmp_path / entry['file']}")
        assert run.history["step"][-1] == 2
        assert entry["provenance"]["sha256"] == file_sha256(tmp_path / entry["file"])  # provenance from the start
        assert entry["provenance"]["versions"]["torch"] and entry["provenance"]["metrics"]["samples"] == 200


def test_retraining_one_entry_keeps_the_others(built, tiny_gallery, tmp_path):
    copy_built(built, tmp_path)
    assert main(["gallery", "--out", str(tmp_path), "--only", "a"]) == 0  # the first: replaced in place, not appended
    assert [r["name"] for r in json.loads((tmp_path / "index.json").read_text())["runs"]] == ["a", "b"]
    assert main(["gallery", "--out", str(tmp_path), "--only", "nope"]) == 2


def test_rescore_re_evaluates_without_retraining(built, tiny_gallery, tmp_path):
    copy_built(built, tmp_path)
    weights = (tmp_path / "a.pt").read_bytes()
    index = json.loads((tmp_path / "index.json").read_text())
    for record in index["runs"]:  # as written before that metric existed: in the index and in the checkpoint
        del record["metrics"]["informative_units"]
        del record["config"]["model"]["latent_dim"]  # and a stale config record, which the checkpoint mends
        old = load_run(tmp_path / record["file"])
        del old.metrics["informative_units"]
        save_run(old, tmp_path / record["file"])
        record["provenance"]["sha256"] = file_sha256(tmp_path / record["file"])  # as the index recorded it then
    (tmp_path / "index.json").write_text(json.dumps(index))
    assert main(["gallery", "--out", str(tmp_path), "--rescore"]) == 0
    rescored = json.loads((tmp_path / "index.json").read_text())["runs"]
    assert all("informative_units" in r["metrics"] for r in rescored)
    assert all(r["config"] == load_run(tmp_path / r["file"]).config.to_dict() for r in rescored)
    assert all("informative_units" in load_run(tmp_path / r["file"]).metrics for r in rescored)
    assert [r["command"] for r in rescored] == [r["command"] for r in index["runs"]]
    before, after = torch.load(io.BytesIO(weights), weights_only=True), load_run(tmp_path / "a.pt")
    assert all(torch.equal(before["state_dict"][k], v) for k, v in after.model.state_dict().items())


def test_shipped_index_commands_reproduce_their_checkpoints_configs():
    """Changing a CLI default must not leave the shipped gallery claiming a command that no longer makes it."""
    from pathlib import Path

    from explorer.config import RunConfig
    from explorer.flags import parse_train

    index = json.loads((Path(__file__).parent.parent / "checkpoints" / "index.json").read_text())
    for record in index["runs"]:
        argv = record["command"].removeprefix("python -m explorer train ").split()
        out = argv.index("--out")
        config = parse_train(argv[:out] + argv[out + 2:])
        assert config.key() == RunConfig.from_dict(record["config"]).key(), record["name"]


def test_rescore_adopts_a_checkpoint_trained_by_an_entrys_command_and_refuses_any_other(built, tiny_gallery, tmp_path,
                                                                                      monkeypatch):
    copy_built(built, tmp_path)
    twin = tiny.entry("a2", "β = 1 again", "seed-spread", ("--beta", "1", *TINY))  # the same command as "a"
    odd = tiny.entry("c", "β = 2", "beta-ladder", ("--beta", "2", *TINY))
    monkeypatch.setattr(gallery, "ENTRIES", (*tiny_gallery, twin, odd))
    (tmp_path / "a2.pt").write_bytes((tmp_path / "a.pt").read_bytes())  # trained elsewhere, copied in
    assert main(["gallery", "--out", str(tmp_path), "--rescore", "--only", "a2"]) == 0
    runs = {r["name"]: r for r in json.loads((tmp_path / "index.json").read_text())["runs"]}
    assert set(runs) == {"a", "b", "a2"}  # a2 adopted, nothing else added
    assert runs["a2"]["role"] == "seed-spread" and runs["a2"]["command"].endswith("--out " + str(tmp_path / "a2.pt"))
    assert runs["a2"]["metrics"] == runs["a"]["metrics"] and runs["a2"]["train_seconds"] > 0

    before = (tmp_path / "index.json").read_bytes()
    (tmp_path / "c.pt").write_bytes((tmp_path / "a.pt").read_bytes())  # β = 1 weights under a β = 2 entry
    with pytest.raises(ValueError, match="not trained by gallery entry 'c'"):
        gallery.rescore(tmp_path, ["c"], log=lambda *_: None)
    assert (tmp_path / "index.json").read_bytes() == before


def test_every_shipped_file_matches_the_sha256_its_index_records_and_says_where_it_came_from():
    from pathlib import Path

    from explorer.provenance import file_sha256
    from explorer.view_data import load_views

    root = Path(__file__).parent.parent / "checkpoints"
    for record in json.loads((root / "index.json").read_text())["runs"]:
        p = record["provenance"]
        assert file_sha256(root / record["file"]) == p["sha256"], record["name"]
        # every shipped run has views (what the pages show), computed from exactly this checkpoint
        assert file_sha256(root / record["views"]) == record["views_sha256"], record["name"]
        views = load_views(root / record["views"], p["sha256"])
        assert views.metrics["mig"] == record["metrics"]["mig"] and views.metrics_sample["name"] == "gallery"
        assert views.extra["scores"]["dci_disentanglement"] is not None, record["name"]
        assert p["command"] == record["command"] and p["versions"].get("torch")
        assert p["trained_at_commit"] and len(p["trained_at_commit"]) == 40, record["name"]
        assert p["metrics"]["samples"] == record["metrics_sample"]["samples"] and "mig" in p["metrics"]["estimators"]


def _rewrite(path):
    """The same weights saved again with one more number: other bytes, still a valid checkpoint."""
    run = load_run(path)
    run.metrics["edited"] = 1.0
    save_run(run, path)


def test_a_changed_file_is_refused_by_stamp_rescore_and_views_until_accepted_with_a_reason(
        built, tiny_gallery, tmp_path, capsys):
    """A gallery file changed after it was recorded (issue 26): nothing that reads it or records it goes on silently; --accept
    records the change and why, and the file is trusted again."""
    copy_built(built, tmp_path)
    _rewrite(tmp_path / "a.pt")
    index = (tmp_path / "index.json").read_bytes()
    capsys.readouterr()
    for argv in (["--stamp"], ["--rescore"], ["--views"], ["--stamp", "--accept", " "]):
        assert main(["gallery", "--out", str(tmp_path), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ("a.pt is not the file" in err or "needs a reason" in err), err
    assert (tmp_path / "index.json").read_bytes() == index  # nothing half-written
    with pytest.raises(ValueError, match="a.pt is not the file"):
        load_run(tmp_path / "a.pt")
    assert main(["gallery", "--out", str(tmp_path), "--stamp", "--accept", "re-saved by hand"]) == 0
    record = json.loads((tmp_path / "index.json").read_text())["runs"][0]
    change = record["accepted_changes"][0]
    assert change["reason"] == "re-saved by hand" and change["file"] == "a.pt"
    assert change["sha256"] == file_sha256(tmp_path / "a.pt") == record["provenance"]["sha256"] != change["recorded_sha256"]
    load_run(tmp_path / "a.pt")  # recorded: trusted again

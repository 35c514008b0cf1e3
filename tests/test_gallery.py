"""The gallery command writes checkpoints and an index a dashboard can rely on."""
import io
import json

import pytest
import torch

import tiny_gallery as tiny
from explorer import gallery, views
from explorer.checkpoint import load_run, save_run
from explorer.cli import main
from explorer.provenance import file_sha256

TINY = ("--latent-dim", "3", "--batch-size", "8", "--eval-samples", "64", "--log-every", "2", "--steps", "2")


@pytest.fixture
def tiny_gallery(monkeypatch):
    entries = (
        tiny.entry("a", "β = 1", "beta-ladder", ("--beta", "1", *TINY)),
        tiny.entry("b", "AR collapse", "collapse", ("--beta", "1", "--decoder", "pixelcnn1", "--ar-channels", "4", *TINY)),
    )
    monkeypatch.setattr(gallery, "ENTRIES", entries)
    monkeypatch.setattr(gallery, "EVAL_SAMPLES", 200)
    monkeypatch.setattr(views, "EXTRA", tiny.SMALL_EXTRA)  # the slow scores of tiny runs' views on a small sample
    return entries


def test_gallery_writes_index_with_reproducible_commands(tiny_gallery, tmp_path):
    assert main(["gallery", "--out", str(tmp_path)]) == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert [r["name"] for r in index["runs"]] == ["a", "b"]
    for entry in index["runs"]:
        run = load_run(tmp_path / entry["file"])
        assert entry["config"] == run.config.to_dict()
        assert entry["config"]["objective"]["beta"] == 1.0 and entry["role"] in ("beta-ladder", "collapse")
        assert set(entry["metrics"]) >= {"mig", "active_units", "kl", "recon"}
        assert entry["command"].startswith("python -m explorer train ")
        assert run.history["step"][-1] == 2
        from explorer.provenance import file_sha256

        assert entry["provenance"]["sha256"] == file_sha256(tmp_path / entry["file"])  # provenance from the start
        assert entry["provenance"]["versions"]["torch"] and entry["provenance"]["metrics"]["samples"] == 200


def test_retraining_one_entry_keeps_the_others(tiny_gallery, tmp_path):
    assert main(["gallery", "--out", str(tmp_path)]) == 0
    assert main(["gallery", "--out", str(tmp_path), "--only", "b"]) == 0
    assert [r["name"] for r in json.loads((tmp_path / "index.json").read_text())["runs"]] == ["a", "b"]
    assert main(["gallery", "--out", str(tmp_path), "--only", "nope"]) == 2


def test_rescore_re_evaluates_without_retraining(tiny_gallery, tmp_path):
    assert main(["gallery", "--out", str(tmp_path)]) == 0
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


def test_rescore_adopts_a_checkpoint_trained_by_an_entrys_command_and_refuses_any_other(tiny_gallery, tmp_path, monkeypatch):
    assert main(["gallery", "--out", str(tmp_path), "--only", "a"]) == 0
    twin = tiny.entry("a2", "β = 1 again", "seed-spread", ("--beta", "1", *TINY))  # the same command as "a"
    odd = tiny.entry("c", "β = 2", "beta-ladder", ("--beta", "2", *TINY))
    monkeypatch.setattr(gallery, "ENTRIES", (*tiny_gallery, twin, odd))
    (tmp_path / "a2.pt").write_bytes((tmp_path / "a.pt").read_bytes())  # trained elsewhere, copied in
    assert main(["gallery", "--out", str(tmp_path), "--rescore", "--only", "a2"]) == 0
    runs = {r["name"]: r for r in json.loads((tmp_path / "index.json").read_text())["runs"]}
    assert set(runs) == {"a", "a2"}
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


def test_a_changed_file_is_refused_by_stamp_rescore_and_views_until_accepted_with_a_reason(tiny_gallery, tmp_path, capsys):
    """A gallery file changed after it was recorded (issue 26): nothing that reads it or records it goes on silently; --accept
    records the change and why, and the file is trusted again."""
    assert main(["gallery", "--out", str(tmp_path)]) == 0
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

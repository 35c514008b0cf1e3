"""The metric registry: every reported number has one entry, and every list of metrics is read from it."""
import csv
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from explorer import metric_registry as registry
from explorer.config import FACTOR_NAMES, RunConfig
from explorer.metric_registry import DETAILS, INDEX, SWEEP, TABLE, Metric
from explorer.sweep.files import write_json
from explorer.sweep.table import write_table
from explorer.ui.metrics_table import details_table, glossary, metrics_table

#: What evaluate returns but no table lists: the sample, per-dimension arrays and matrices (drawn as
#: figures), the KL split (its own view), aliases and bookkeeping.
NOT_IN_TABLES = {"samples", "seed", "kl_per_dim", "informative_nats", "posterior_mean_variance", "mi_matrix",
                 "factor_entropy", "index_code_mi", "total_correlation", "dimwise_kl", "z_usage_iqr", "z_usage_images",
                 "rate", "distortion", "dci_model", "factor_vae_active_dims", "pinned"}
FAKE = Metric("fake", "fake score", ".2f", "a number made up for this test", "higher", "headline", "gallery",
              (TABLE, DETAILS, SWEEP, INDEX))


def test_the_registry_imports_without_torch():
    code = "import sys, explorer.metric_registry; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_every_entry_is_well_formed():
    places = {TABLE, DETAILS, SWEEP, INDEX}
    for key, m in registry.METRICS.items():
        assert m.key == key and m.label and m.help and set(m.shown) <= places, key
        assert m.direction in ("higher", "lower", None) and m.cost in ("headline", "slow"), key
        assert m.sample is None or registry.protocol(key).name == m.sample, key
        assert registry.fmt(key, 1) != "–" and registry.fmt(key, None) == "–"
        assert m.per_factor is None or m.column("posX") != m.column("posY")
    assert len({m.label for m in registry.METRICS.values()}) == len(registry.METRICS)
    assert registry.fmt("mig", 0.12345) == "0.123" and registry.fmt("informative_units", 3.0) == "3"
    assert registry.printf("kl") == "%.2f" and registry.label("not_registered") == "not registered"


def test_every_number_evaluate_gives_a_dsprites_run_is_registered_or_known_to_stay_out_of_the_tables(monkeypatch):
    import explorer.metrics
    from explorer.data import load_dataset
    from explorer.evaluation import evaluate
    from explorer.models import build_model
    from helpers import tiny_config

    # the FactorVAE vote takes most of a full evaluation's time; its key is evaluate's own either way
    monkeypatch.setattr(explorer.metrics, "factor_vae_score", lambda *a, **k: {"eval_accuracy": 0.5,
                                                                                "num_active_dims": 3})
    torch.manual_seed(0)
    model = build_model(tiny_config().model).eval()
    out = evaluate(model, load_dataset("dsprites"), n=300, seed=0, recon_samples=20, full=True, pinned={0: "posX"})
    assert set(out) - NOT_IN_TABLES <= set(registry.METRICS)
    measured = {k for k, m in registry.METRICS.items() if m.sample is not None}
    assert measured <= set(out)  # no entry for a number evaluate no longer gives


def test_the_gallery_index_the_sweep_worker_and_the_sweep_page_list_the_registry():
    from explorer.gallery import HEADLINE as index_metrics
    from explorer.sweep.worker import HEADLINE as sweep_metrics
    from explorer.ui.page_sweep import HEADLINE as sweep_table

    assert index_metrics == registry.keys(INDEX)
    assert sweep_metrics == registry.keys(SWEEP, source="metrics")
    assert list(sweep_table) == list(registry.keys(TABLE)) and sweep_table["mig"] == "%.3f"


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(registry.METRICS, "fake", FAKE)


def _runs():
    metrics = {"mig": 0.25, "informative_units": 3, "kl": 8.0, "mi": 7.5, "z_usage": 40.0, "recon": 101.0,
               "mig_gaps": [0.1, 0.2, 0.3, 0.4, 0.5], "active_units": 4, "steps": 10, "fake": 1.234}
    return {"g:a": SimpleNamespace(metrics=metrics, config=RunConfig())}


def test_a_new_entry_appears_in_the_metrics_tables_and_the_glossary(fake):
    table = metrics_table(_runs())
    assert list(table.columns) == ["setting", *(registry.label(k) for k in registry.keys(TABLE))]
    assert table.loc["g:a", "fake score"] == "1.23" and table.loc["g:a", "MIG"] == "0.250"
    assert "**fake score**: a number made up for this test" in glossary()
    details = details_table(_runs(), lambda run: FACTOR_NAMES)
    assert {"fake score", "active units", "MIG gap posX", "SAP"} <= set(details.columns)
    # every cell in its registered format, "–" where the run has none: never a float as it comes (0.000003)
    assert details.loc["g:a", "MIG gap posX"] == "0.400" and details.loc["g:a", "SAP"] == "–"
    assert details.loc["g:a", "active units"] == "4"


def test_a_new_entry_appears_in_results_csv_and_on_the_sweep_page(tmp_path, fake):
    from explorer.ui import sweeps

    key = "0123456789ab"
    write_json(tmp_path / "sweep.json", {"version": 1, "axes": {"seed": [0]}})
    write_json(tmp_path / key / "result.json", {"version": 1, "key": key, "status": "completed", "attempts": 1,
                                                "swept": {"seed": 0}, "metrics": _runs()["g:a"].metrics,
                                                "timings": {"train_seconds": 2.0}})
    write_table(tmp_path, {"seed": [0]})
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[-3:] == ["steps", "train_seconds", "fake"] and rows[0]["fake"] == "1.234"
    sweep = sweeps.read_sweep(tmp_path)
    assert sweeps.results_csv(sweep) == (tmp_path / "results.csv").read_text()  # one writer
    assert sweeps.metric_choices(sweep)["fake"] == "fake score"


def test_eval_json_leads_with_the_registered_metrics_in_registry_order(monkeypatch, capsys, fake):
    import explorer.checkpoint
    import explorer.data
    import explorer.evaluation
    from explorer.cli import main

    scores = {"samples": 10, "kl_per_dim": [1.0], "recon": 90.0, "fake": 2.0, "mig": 0.5}
    monkeypatch.setattr(explorer.checkpoint, "load_run", lambda path: SimpleNamespace(config=RunConfig()))
    monkeypatch.setattr(explorer.data, "load_dataset", lambda *a: None)
    monkeypatch.setattr(explorer.evaluation, "evaluate_run", lambda run, dataset, **kw: dict(scores))
    assert main(["eval", "run.pt", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)) == ["mig", "recon", "fake", "samples", "kl_per_dim"]

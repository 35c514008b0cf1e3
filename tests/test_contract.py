"""The contract of a run: one description per knob, identity without inert fields, and the layering of the code."""
import ast
from dataclasses import fields, replace
from pathlib import Path

import pytest

from explorer import recipes
from explorer.config import FACTOR_NAMES, DECODER_NAMES, ModelConfig, ObjectiveConfig, RunConfig, TrainConfig, knobs
from explorer.flags import parse_train, to_argv

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explorer"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """Every explorer module ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rsplit(".", 1)[0]
            target = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                out.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in modules and m != name}


def test_the_package_has_no_import_cycle_and_keeps_its_layers():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", f"import cycle: {' -> '.join(trail + [node, nxt])}"
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for name in modules:
        if name not in state:
            visit(name, [])
    for name, path in modules.items():
        text = path.read_text()
        tree = ast.parse(text)
        top = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        top |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        if not name.startswith("explorer.ui"):
            assert "streamlit" not in top, f"{name} imports streamlit outside explorer/ui"
        else:
            assert "torch" not in top, f"{name} imports torch: model calls go through explorer.views"
        if name != "explorer.__main__":
            assert "explorer.cli" not in graph[name], f"{name} imports the CLI"
        assert len(text.splitlines()) <= 300, f"{name} has {len(text.splitlines())} lines"


def test_every_setting_is_described_once_with_unique_flags_and_link_keys():
    all_knobs = [k for dc in (ModelConfig, ObjectiveConfig, TrainConfig) for k in knobs(dc).values()]
    assert len(all_knobs) == sum(len(fields(dc)) for dc in (ModelConfig, ObjectiveConfig, TrainConfig))
    flags = [k.flag for k in all_knobs if k.flag]
    urls = [k.url for k in all_knobs if k.url]
    assert len(flags) == len(set(flags)) == len(all_knobs) and len(urls) == len(set(urls))
    assert all(k.help for k in all_knobs)


def test_decoder_and_factor_names_agree_with_the_models_and_the_data():
    from explorer.data.dsprites_grid import FACTOR_NAMES as GRID_FACTORS
    from explorer.models import DECODERS

    assert tuple(DECODERS) == DECODER_NAMES and FACTOR_NAMES == GRID_FACTORS


@pytest.mark.parametrize("config", [recipes.short_run(), recipes.short_run(beta=12, seed=3, steps=400, labels=300,
                                                                            pinned=("posX", "scale")),
                                    recipes.conv_ladder(50), recipes.collapse(), recipes.cure(),
                                    RunConfig(train=TrainConfig(steps=None, seconds=30.0, dataset="mnist"))])
def test_flags_written_for_a_config_read_back_as_the_same_run(config):
    assert parse_train(to_argv(config)).key() == config.key()
    assert parse_train(to_argv(config)).normalised() == config.normalised()


def test_inert_settings_do_not_change_a_runs_identity_and_live_ones_do():
    base = RunConfig()
    inert = [replace(base, objective=replace(base.objective, cycles=7, capacity_max=3.0, gamma=10.0, label_weight=1.0,
                                             free_bits_mode="batch")),
             replace(base, model=replace(base.model, ar_channels=64)),
             replace(base, train=replace(base.train, label_batch=16, seconds=30.0, data_root="elsewhere"))]
    assert {c.key() for c in inert} == {base.key()}
    live = [replace(base, objective=replace(base.objective, warmup_fraction=0.3)),
            replace(base, objective=replace(base.objective, schedule="cyclical", cycles=7)),
            replace(base, train=replace(base.train, seed=1))]
    assert len({c.key() for c in live} | {base.key()}) == 4
    capacity = replace(base, objective=replace(base.objective, schedule="capacity"))
    assert replace(capacity, objective=replace(capacity.objective, beta=50.0)).key() == capacity.key()  # β unused there


def test_old_command_lines_and_link_keys_keep_working():
    """Flags spelt as the gallery used to spell them (an inert --label-batch included) name the same run, once
    they say --tc-weight 0: since the default short run became a β-TCVAE, a command without it trains one."""
    old = ["--beta", "1", "--decoder", "conv", "--steps", "2000", "--batch-size", "64", "--log-every", "50",
           "--warmup-fraction", "0.3", "--lr-decay-start", "1", "--label-batch", "16"]
    assert parse_train([*old, "--tc-weight", "0"]).key() == recipes.conv_ladder(1.0).key()
    assert parse_train(old).key() != recipes.conv_ladder(1.0).key()
    assert parse_train(["--seconds", "120"]).train.steps is None  # a wall-clock budget is still a CLI option
    from explorer.ui.share import BOUND_PARAMS

    assert {"beta", "z", "decoder", "schedule", "warmup", "cycles", "ramp", "cap", "gamma", "fb", "fbmode", "seconds",
            "seed", "labels", "pin", "dataset", "steps", "tc"} <= BOUND_PARAMS


def test_fields_added_later_leave_old_runs_as_they_were_trained_and_keyed():
    """A checkpoint or sweep record from before the total-correlation knob is a plain β-VAE, and keeps its key."""
    import json

    old = RunConfig.from_dict({"objective": {"beta": 4.0}, "model": {"decoder": "broadcast"}})
    assert old.objective.tc_weight == recipes.BETA_VAE and old.model.coord_conv is False
    assert RunConfig().objective.tc_weight > 0  # the default short run is a β-TCVAE
    shipped = Path(__file__).resolve().parents[1] / "checkpoints" / "sweeps" / "beta-spectrum"
    records = [json.loads(p.read_text()) for p in shipped.glob("*/result.json")]
    assert records and all(RunConfig.from_dict(r["config"]).key() == r["key"] for r in records)


def test_the_beta_ladder_collapse_and_cure_stay_plain_beta_vaes():
    from explorer.gallery import ENTRIES

    assert all(e.config.objective.tc_weight == recipes.BETA_VAE for e in ENTRIES)
    assert recipes.short_run().objective.tc_weight == RunConfig().objective.tc_weight


def test_every_offered_default_is_one_of_its_options():
    for dc in (ModelConfig, ObjectiveConfig, TrainConfig):
        for f in fields(dc):
            k = f.metadata.get("knob")
            if k is not None and k.options is not None:
                assert f.default in k.options, f.name

"""The hosted demo's requirements pin what the root pins, with PyTorch's CPU builds: they cannot drift apart."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, _, version = line.partition("==")
        assert version, f"{path.name}: {line!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def test_deploy_requirements_pin_the_roots_versions_with_cpu_torch():
    root, deploy = _pins(ROOT / "requirements.txt"), _pins(ROOT / "deploy" / "requirements.txt")
    assert set(deploy) == set(root)
    for name, version in root.items():
        expected = f"{version}+cpu" if name in ("torch", "torchvision") else version
        assert deploy[name] == expected, name
    text = (ROOT / "deploy" / "requirements.txt").read_text()
    assert re.search(r"^--extra-index-url https://download\.pytorch\.org/whl/cpu$", text, re.M)


def test_the_deploy_entry_point_runs_the_root_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "deploy" / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value.startswith("β-VAE: disentanglement and posterior collapse")


def test_the_served_config_skips_streamlits_full_collection_after_each_rerun():
    """A watched training kept 80 % of the CLI's pace only once the server stopped walking its whole heap after
    every rerun of the progress fragment (bench/results/app_speed.md); the option must still exist by that name."""
    import tomllib

    from streamlit import config

    served = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert served["runner"]["postScriptGC"] is False
    assert "runner.postScriptGC" in config._config_options_template

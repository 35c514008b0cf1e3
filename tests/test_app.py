"""The Streamlit entry page, driven headless with AppTest."""
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer.checkpoint import save_run
from explorer.trainer import train
from helpers import tiny_config

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_empty_server_explains_how_to_train(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "No runs yet" in at.info[0].value


def test_a_saved_run_shows_its_metrics_and_grid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_run(train(tiny_config(steps=3)), tmp_path / "runs" / "tiny.pt")
    (tmp_path / "runs" / "zz-broken.pt").write_bytes(b"garbage")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["β", "Active units", "KL (nats)", "MIG"]
    assert at.metric[0].value == "4"
    at.selectbox[0].select(Path("runs/zz-broken.pt")).run()
    assert not at.exception and "not a readable checkpoint" in at.error[0].value

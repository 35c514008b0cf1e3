"""The server never loads torch to show a page: importing any page, and rendering every page (the slider
editor too, whose models live in the model process), in a fresh interpreter, leaves torch out of
``sys.modules`` (a shared link opens in seconds on a small box, and stays small once visited)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOW_ONLY = ("lessons", "compare", "ladder", "pinned", "sweep", "about")
RENDERED = (*SHOW_ONLY, "editor", "train")

RENDER = r'''
import json, sys
from pathlib import Path
from streamlit.testing.v1 import AppTest
import explorer.ui.runs as runs
runs.GALLERY_DIR = Path(sys.argv[1])
BODY = """
import inspect, importlib
from explorer.ui.nav import pages
page = getattr(importlib.import_module(f"explorer.ui.page_{PAGE}"), f"{PAGE}_page")
page(pages()) if inspect.signature(page).parameters else page()
"""
out = {"imported": "torch" in sys.modules}
for name in sys.argv[2].split(","):
    at = AppTest.from_string(f"PAGE = {name!r}\n" + BODY, default_timeout=120)
    if name == "compare":
        at.query_params["runs"] = "g:b1,g:ar"
    at.run()
    out[name] = {"torch": "torch" in sys.modules, "exceptions": [str(e.value)[:200] for e in at.exception],
                 "images": len(at.get("image")), "errors": [e.value for e in at.error], "sliders": len(at.slider)}
from explorer.ui.run_models import worker
out["model_process"] = worker().pid is not None
print(json.dumps(out))
'''


def test_every_page_module_imports_without_torch():
    pages = ("lessons", "compare", "ladder", "pinned", "sweep", "about", "train", "editor")
    code = ("import sys, importlib; import explorer.ui.nav; "
            + "; ".join(f"importlib.import_module('explorer.ui.page_{p}')" for p in pages)
            + "; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # editor and Train load it lazily, when they encode, decode or train


def test_every_page_renders_without_torch_in_the_server(app_gallery):
    gallery = app_gallery  # conftest's tiny gallery: a conv β ladder, a broadcast rung, collapse and cure, a pinned pair
    done = subprocess.run([sys.executable, "-c", RENDER, str(gallery), ",".join(RENDERED)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for name in RENDERED:
        assert result[name]["exceptions"] == [] and result[name]["errors"] == [], (name, result[name])
        assert result[name]["torch"] is False, f"the {name} page loaded torch"
    # the editor encoded and decoded (its three pictures and a slider per active dimension) in the model process
    assert result["editor"]["images"] == 3 and result["editor"]["sliders"] >= 1 and result["model_process"]
    assert result["compare"]["images"] >= 7 and result["lessons"]["images"] == 2  # the pictures are there, from the views


def test_a_training_on_the_server_leaves_torch_out_of_it(tmp_path):
    """The app's trainings run in a child that leaves the weights in a file: the server holds the run's numbers,
    views and file name, never its model."""
    code = ("import sys; sys.path.insert(0, 'tests'); from helpers import tiny_config\n"
            "from explorer.jobs import JobManager; from explorer.train_process import train_in_process\n"
            f"m = JobManager(trainer=train_in_process, weights_dir={str(tmp_path)!r})\n"
            "job = m.wait(m.submit(tiny_config(steps=4)).id, timeout=300)\n"
            "from pathlib import Path; from explorer.gallery_index import read_index\n"
            "from explorer.ui import train_presets as tp  # the finished run's 'too short' note names the gallery's budget\n"
            "assert 'steps of' in tp.gallery_budget('conv', [r.config for r in read_index(Path('checkpoints'))])\n"
            "print(job.state, job.run.model is None, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "completed True False"

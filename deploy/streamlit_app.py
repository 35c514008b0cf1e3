"""Streamlit Community Cloud entry point: the same app as ``app.py``, with CPU-only torch beside it.

Community Cloud installs the requirements file next to this entry point (deploy/requirements.txt:
the root's pins with PyTorch's CPU wheels), so the hosted box does not pull the CUDA build. The
app itself lives at the repository root; this file only puts the root on the import path and
runs it.
"""
import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EXPLORER_MAX_TRAININGS", "1")  # one training at a time on a 2-core box
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")

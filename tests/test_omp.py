"""Every process of ours that trains waits at OpenMP barriers with a short spin (a busy host made the default's
long spin crawl), unless the host says otherwise; the CLI sets it before torch loads libgomp."""
import os
import subprocess
import sys
from pathlib import Path

from explorer.omp import SPIN_COUNT, wait_policy

ROOT = Path(__file__).resolve().parents[1]
SHOW = "import os; print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))"


def test_the_short_spin_is_added_unless_the_host_chose_a_policy():
    assert wait_policy({"PATH": "/bin"}) == {"PATH": "/bin", "GOMP_SPINCOUNT": SPIN_COUNT}
    assert wait_policy({"OMP_WAIT_POLICY": "PASSIVE"}) == {"OMP_WAIT_POLICY": "PASSIVE"}
    assert wait_policy({"GOMP_SPINCOUNT": "300000"}) == {"GOMP_SPINCOUNT": "300000"}


def test_the_cli_applies_it_before_torch_loads_and_its_children_inherit_it():
    """``python -m explorer`` sets the variable in its own environment before importing torch (libgomp reads it
    once, at load), so a sweep's workers, started from that environment, wait the same way."""
    code = ("import runpy, sys; sys.argv = ['explorer', '--help']\n"
            "try:\n    runpy.run_module('explorer', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            f"{SHOW}")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip().splitlines()[-1] == f"{SPIN_COUNT} None"
    mine = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "OMP_WAIT_POLICY": "PASSIVE"},
                          capture_output=True, text=True, timeout=120)
    assert mine.stdout.strip().splitlines()[-1] == "None PASSIVE"  # the host's choice wins

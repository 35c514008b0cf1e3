import os
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as dsprites_reference
# The CLI, sweeps and the app's trainings default to the GPU where torch sees one; tests compare their weights with
# in-process trainings on the CPU, so the whole run (child processes too) uses the CPU and only the CUDA tests ask
# for a GPU by name (explorer.device).
os.environ["EXPLORER_DEVICE"] = os.environ["EXPLORER_TRAIN_DEVICE"] = "cpu"


@pytest.fixture(scope="session", autouse=True)
def _one_thread_for_shared_fixtures():
    """Module- and session-scoped fixtures (the tiny galleries, trained models) are set up before the per-test
    fixture below: without this they trained on every core, which on a loaded 2-core host spins torch's threads
    against each other (a two-step gallery took minutes) and gives other numbers than a test's own one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _deterministic_threads():
    """Keep every test on the same thread count so seeded results repeat exactly."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def app_gallery(tmp_path_factory):
    """One tiny gallery (tiny_gallery.app_entries) for every page test of the session: building it is what costs
    (training, scores and views of seven runs). Read only: test_app checks after each test that nothing in it changed;
    a test that changes gallery files copies them first."""
    import tiny_gallery as tiny

    return tiny.build(tmp_path_factory, "app-gallery", tiny.app_entries())

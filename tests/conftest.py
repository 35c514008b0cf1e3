import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as dsprites_reference


@pytest.fixture(autouse=True)
def _deterministic_threads():
    """Keep every test on the same thread count so seeded results repeat exactly."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

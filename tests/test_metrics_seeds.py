"""seed_summary on small hand-checked lists."""
import math

import numpy as np
import pytest

from explorer.metrics import seed_summary


def test_summary_of_one_to_five():
    out = seed_summary([5, 1, 4, 2, 3])
    assert out["n"] == 5 and out["n_dropped"] == 0
    assert (out["median"], out["min"], out["max"]) == (3.0, 1.0, 5.0)
    assert (out["q25"], out["q75"], out["iqr"]) == (2.0, 4.0, 2.0)
    assert out["mean"] == 3.0 and out["std"] == pytest.approx(math.sqrt(2.5))


def test_even_count_interpolates_and_nan_is_dropped():
    out = seed_summary(np.array([0.1, 0.4, np.nan, 0.2, 0.3]))
    assert out["n"] == 4 and out["n_dropped"] == 1
    assert out["median"] == pytest.approx(0.25)
    assert out["q25"] == pytest.approx(0.175) and out["q75"] == pytest.approx(0.325)


def test_single_value_and_empty():
    out = seed_summary([0.42])
    assert out["median"] == out["q25"] == out["q75"] == 0.42 and out["std"] == 0.0 and out["iqr"] == 0.0
    with pytest.raises(ValueError):
        seed_summary([float("nan")])

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh generator with a fixed seed, so every test sees the same draws."""
    return np.random.default_rng(20240611)

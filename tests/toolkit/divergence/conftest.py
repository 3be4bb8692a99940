"""Fixtures for the tests of toolkit.divergence."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator, so every test sees the same draws on every run."""
    return np.random.default_rng(20250521)

"""Built-in data for the demo: every catalog family simulated at its demo parameters."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np


def demo_datasets(n: int, seed: int) -> Iterator[tuple[str, np.ndarray, dict]]:
    """(family name, data, options) for every family, each from a stream seeded by its name."""
    from models import families
    from models.regression.declaration import RegressionFamily

    for family in families().values():
        if isinstance(family, RegressionFamily):  # the report draws 1-D data only, for now
            continue
        rng = np.random.default_rng([seed, zlib.crc32(family.name.encode())])
        options = dict(family.demo_options)
        data = family.simulate(rng, n, family.demo_params, options)
        yield family.name, np.asarray(data, dtype=float), options

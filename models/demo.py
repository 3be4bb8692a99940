"""Built-in data for the demo: every catalog family simulated at its demo parameters."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

from models import families
from models.regression.declaration import RegressionFamily

#: Name of the simulated response column of a regression family's demo data.
RESPONSE = "y"


def demo_datasets(n: int, seed: int) -> Iterator[tuple[str, np.ndarray | pd.DataFrame, dict]]:
    """(family name, data, compare options) for every family, each seeded by its name.

    A regression family's data is a DataFrame of its demo covariates and the
    response ``y``; its options name them (``y=``, ``x=``) and add the family's
    ``demo_options`` (a mean-function family's ``mean``, ``params`` and ``start``).
    """
    for family in families().values():
        rng = np.random.default_rng([seed, zlib.crc32(family.name.encode())])
        options = dict(family.demo_options)
        data = family.simulate(rng, n, family.demo_params, options)
        if isinstance(family, RegressionFamily):
            covariates = [c for c in data.columns if c != RESPONSE]
            yield family.name, data, {"y": RESPONSE, "x": covariates, **options}
        else:
            yield family.name, np.asarray(data, dtype=float), options

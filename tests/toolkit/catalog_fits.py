"""Comparisons of every catalog family on its demo data, computed once per session."""

from functools import cache

import numpy as np

import toolkit
from models import families

N = 2000
SEED = 20261121


@cache
def catalog_comparison(name: str):
    """compare() on N draws at the family's demo parameters, from a seeded stream."""
    family = families()[name]
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    data = family.simulate(rng, N, family.demo_params, family.demo_options)
    return toolkit.compare(name, data, **family.demo_options)

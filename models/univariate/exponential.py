"""Exponential(lam), with lam the rate (no boundary case: data > 0 give 1/mean > 0)."""

import numpy as np

from models.family import Family, Statistics
from models.univariate import statistics, support


def _closed_form(x, options):
    return {"lam": float(1 / np.mean(x))}


def _scipy_fit(x, options):
    from scipy import stats

    _, scale = stats.expon.fit(x, floc=0)
    return {"lam": float(1 / scale)}


def _start(x, options):
    return {"lam": float(np.log(2) / np.median(x))}  # the exponential's median is ln 2 / lam


def _stats(values, weights, options):
    return (statistics.mean(values, weights),)


def _mean_logpdf(stats, params, options):
    lam = params["lam"]
    return np.log(lam) - lam * stats[0]


FAMILY = Family(
    name="exponential",
    description="exponential waiting times with rate lam (mean 1/lam)",
    domains={"lam": "positive"},
    support="real x > 0",
    discrete=False,
    pymc_dist="Exponential",
    in_support=support.positive,
    demo_params={"lam": 0.5},
    scipy_dist="expon",
    to_scipy=lambda p, o: {"scale": 1 / p["lam"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    start=_start,
    statistics=Statistics(
        _stats, _mean_logpdf, lambda stats, options: statistics.one_point(stats[0])
    ),
)

"""Laplace(mu, b), with mu the location and b the scale."""

import numpy as np

from models.family import Family
from models.univariate import starts, support


def _closed_form(x, options):
    mu = np.median(x)
    return {"mu": float(mu), "b": float(np.mean(np.abs(x - mu)))}


def _argmax_set(x, options):
    # sum |x - mu| is flat between the two middle order statistics (equal when N is odd),
    # and the MLE of b, mean |x - mu|, takes the same value everywhere on that interval.
    xs = np.sort(x)
    n = len(xs)
    return {"mu": (float(xs[(n - 1) // 2]), float(xs[n // 2]))}


def _scipy_fit(x, options):
    from scipy import stats

    loc, scale = stats.laplace.fit(x)
    return {"mu": float(loc), "b": float(scale)}


def _boundary(x, options):
    if support.all_equal(x):
        return "all values are equal, so the MLE of b is 0, on the boundary"
    return None


def _start(x, options):
    mu, scale = starts.location_scale(x)
    # the Laplace's IQR is 2 ln 2 · b; the normal's is 1.349 sigma
    return {"mu": mu, "b": scale * starts.NORMAL_IQR / (2 * np.log(2))}


FAMILY = Family(
    name="laplace",
    description="Laplace (double exponential) with location mu and scale b",
    domains={"mu": "real", "b": "positive"},
    support="real x",
    discrete=False,
    pymc_dist="Laplace",
    in_support=support.real,
    demo_params={"mu": 1.0, "b": 2.0},
    scipy_dist="laplace",
    to_scipy=lambda p, o: {"loc": p["mu"], "scale": p["b"]},
    closed_form=_closed_form,
    scipy_fit=_scipy_fit,
    boundary=_boundary,
    argmax_set=_argmax_set,
    nonsmooth=("mu",),
    start=_start,
)

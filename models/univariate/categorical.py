"""Categorical(p) over the categories 0, ..., k-1."""

import numpy as np

from models.family import Family, Option


def _in_support(x, options):
    return (x >= 0) & (x < options["k"]) & (x == np.floor(x))


def _counts(x, options):
    return np.bincount(np.asarray(x, dtype=np.int64), minlength=options["k"])


def _closed_form(x, options):
    return {"p": _counts(x, options) / len(x)}


def _logpdf(x, params, options):
    p = np.asarray(params["p"], dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(p)[np.asarray(x, dtype=np.int64)]


def _simulate(rng, n, params, options):
    return rng.choice(len(params["p"]), size=n, p=params["p"])


def _boundary(x, options):
    empty = np.flatnonzero(_counts(x, options) == 0)
    if empty.size:
        return (
            f"{empty.size} of {options['k']} categories never occur (first: category "
            f"{empty[0]}), so their MLE probability is 0, on the boundary"
        )
    return None


FAMILY = Family(
    name="categorical",
    description="one of k categories 0..k-1 with probabilities p (k defaults to max(x)+1)",
    domains={"p": "simplex"},
    support="integer 0 ≤ x < k",
    discrete=True,
    pymc_dist="Categorical",
    in_support=_in_support,
    demo_params={"p": (0.1, 0.2, 0.3, 0.4)},
    logpdf_override=_logpdf,
    simulate_override=_simulate,
    closed_form=_closed_form,
    boundary=_boundary,
    shapes=lambda o: {"p": (o["k"],)},
    options=(
        Option(
            "k",
            "number of categories (default: largest value + 1)",
            to_pymc=False,
            default=lambda x: int(np.max(x)) + 1,
        ),
    ),
    demo_options={"k": 4},
)

"""The declaration of a regression family: the response's law given a linear predictor.

A regression family says how the response depends on the design through the
linear predictor η = Xβ (or a user's mean function): once for PyMC (``observe``,
which adds the observed variable to a model under construction) and once,
independently, in numpy/scipy (``logpdf``, the row log-density the KL engine
minimises over). It also gives the support of the response, the closed-form
MLE where one exists, the check for data whose MLE does not exist, a
simulator and demonstration parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Domains of the extra (non-coefficient) parameters, with PyMC's flat prior on each.
EXTRA_DOMAINS = {"positive": "HalfFlat"}


@dataclass(frozen=True)
class RegressionFamily:
    """Everything the toolkit knows about one regression family.

    ``observe(eta, extra, y)`` adds the observed variable inside a ``pm.Model``
    context (``extra``: PyMC variables by name); ``logpdf(y, eta, extra)`` is
    the independent numpy/scipy row log-density (``extra``: floats by name);
    ``sample(rng, eta, extra)`` draws responses. ``mean_function`` families
    take the user's mean f(x, theta, math) in place of Xβ (options ``mean``,
    ``params``, ``start``) and have no intercept column.
    """

    name: str
    description: str
    support: str
    discrete: bool
    extra: Mapping[str, str]
    observe: Callable[..., Any]
    logpdf: Callable[[np.ndarray, np.ndarray, Mapping[str, float]], np.ndarray]
    sample: Callable[[np.random.Generator, np.ndarray, Mapping[str, float]], np.ndarray]
    in_support: Callable[[np.ndarray], np.ndarray]
    demo_params: Mapping[str, Any]
    #: Covariates of the demo data: (rng, n) -> DataFrame (no intercept column).
    demo_covariates: Callable[[np.random.Generator, int], pd.DataFrame]
    #: (X, y) -> {"beta": array, <extra>: float} where the MLE has a closed form.
    closed_form: Callable[[np.ndarray, np.ndarray], dict] | None = None
    #: (X, y, columns) -> a sentence when the MLE does not exist, else None.
    boundary: Callable[[np.ndarray, np.ndarray, list[str]], str | None] | None = None
    mean_function: bool = False
    demo_options: Mapping[str, Any] = field(default_factory=dict)
    #: Univariate families' CLI options; regression families take --y/--x instead.
    options: tuple = ()
    #: (eta, extra) -> E[y | x], the fitted mean the report draws against the data.
    response_mean: Callable[[np.ndarray, Mapping[str, float]], np.ndarray] | None = None

    def __post_init__(self) -> None:
        bad = {p: d for p, d in self.extra.items() if d not in EXTRA_DOMAINS}
        if bad:
            raise ValueError(f"family {self.name!r}: unknown domains {bad}; valid: {EXTRA_DOMAINS}")

    @property
    def params(self) -> tuple[str, ...]:
        """Parameter names as listed in the catalog (``beta`` is a vector)."""
        return ("theta (named by the user)" if self.mean_function else "beta", *self.extra)

    @property
    def has_closed_form(self) -> bool:
        return self.closed_form is not None

    def simulate(self, rng: np.random.Generator, n: int, params: Mapping, options: Mapping):
        """A DataFrame of ``n`` rows: the demo covariates and the response ``y``."""
        frame = self.demo_covariates(rng, n)
        x = frame.to_numpy(float)
        if self.mean_function:
            theta = np.array([params[p] for p in options["params"]], dtype=float)
            eta = options["mean"](x[:, 0] if x.shape[1] == 1 else x, theta, np)
        else:
            eta = np.column_stack([np.ones(n), x]) @ np.asarray(params["beta"], float)
        extra = {p: float(params[p]) for p in self.extra}
        return frame.assign(y=self.sample(rng, eta, extra))

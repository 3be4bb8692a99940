"""GLMs on statsmodels' bundled datasets, with statsmodels' fits as the references.

Data: the datasets statsmodels ships (``statsmodels.api.datasets``): spector (Spector
and Mazzeo 1980), anes96 (1996 American National Election Study), cpunish (US
executions 1997), randhie (RAND Health Insurance Experiment), star98 (California STAR
test 1998). References: statsmodels' maximum-likelihood fits by Newton's method at
tol=1e-12 (GLM binomial by Newton too), with their standard errors. They are peers,
not certified values: ``test_references.py`` checks that each one is a maximum, by a
Newton step from it that is negligible against its standard errors.

PyMC's NegativeBinomial ``alpha`` is the reciprocal of statsmodels' NB2 ``alpha``; the
models below name statsmodels' parameter ``alpha`` and pass ``1 / alpha`` to PyMC.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: name -> (kind, dataset, description)
CASES = {
    "spector_logit": ("logit", "spector", "GRADE ~ 1 + GPA + TUCE + PSI"),
    "anes96_logit": (
        "logit",
        "anes96",
        "vote ~ 1 + logpopul + TVnews + selfLR + ClinLR + DoleLR + PID + age + educ + income",
    ),
    "cpunish_poisson": (
        "poisson",
        "cpunish",
        "EXECUTIONS ~ 1 + log(INCOME) + PERPOVERTY + PERBLACK + VC100k96 + SOUTH + DEGREE",
    ),
    "randhie_nb2": ("negbin", "randhie", "MDVIS ~ 1 + all 9 covariates (20190 rows), NB2"),
    "star98_binomial": ("binomial", "star98", "NABOVE of NABOVE+NBELOW ~ 1 + 20 covariates"),
}


@dataclass(frozen=True)
class GlmCase:
    name: str
    kind: str
    description: str
    x: np.ndarray  # design, intercept first
    y: np.ndarray  # response (successes for the binomial)
    trials: np.ndarray | None  # binomial trials
    params: np.ndarray  # statsmodels' estimates, in :attr:`names` order
    bse: np.ndarray
    fit: object  # the statsmodels results object

    @property
    def names(self) -> tuple[str, ...]:
        names = tuple(f"b[{i}]" for i in range(self.x.shape[1]))
        return (*names, "alpha") if self.kind == "negbin" else names

    @property
    def reference(self) -> dict[str, float]:
        return dict(zip(self.names, self.params, strict=True))


def _data(name: str):
    import statsmodels.api as sm

    _kind, dataset, _ = CASES[name]
    if dataset == "spector":
        d = sm.datasets.spector.load_pandas()
        return sm.add_constant(d.exog), d.endog, None
    if dataset == "anes96":
        d = sm.datasets.anes96.load_pandas().data
        cols = [
            "logpopul",
            "TVnews",
            "selfLR",
            "ClinLR",
            "DoleLR",
            "PID",
            "age",
            "educ",
            "income",
        ]
        return sm.add_constant(d[cols]), d["vote"], None
    if dataset == "cpunish":
        d = sm.datasets.cpunish.load_pandas()
        exog = d.exog.assign(INCOME=np.log(d.exog["INCOME"]))
        return sm.add_constant(exog), d.endog, None
    if dataset == "randhie":
        d = sm.datasets.randhie.load_pandas()
        return sm.add_constant(d.exog), d.endog, None
    d = sm.datasets.star98.load_pandas()
    return sm.add_constant(d.exog), d.endog["NABOVE"], d.endog.sum(axis=1)


@functools.cache
def load(name: str) -> GlmCase:
    """The case ``name`` (one of :data:`CASES`) with statsmodels' fit."""
    import statsmodels.api as sm

    kind, _, description = CASES[name]
    exog, endog, trials = _data(name)
    x = exog.to_numpy(float)
    y = endog.to_numpy().astype(int)
    newton = {"method": "newton", "tol": 1e-12, "maxiter": 200}
    if kind == "logit":
        fit = sm.Logit(y, x).fit(disp=0, **newton)
    elif kind == "poisson":
        fit = sm.Poisson(y, x).fit(disp=0, **newton)
    elif kind == "negbin":
        fit = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0, **newton)
    else:
        n = trials.to_numpy().astype(int)
        endog2 = np.column_stack([y, n - y])
        fit = sm.GLM(endog2, x, family=sm.families.Binomial()).fit(**newton)
    params, bse = np.asarray(fit.params, float), np.asarray(fit.bse, float)
    return GlmCase(name, kind, description, x, y, None if trials is None else n, params, bse, fit)


def glm_model(case: GlmCase | str):
    """``pm.Model``: ``pm.Data`` design, flat vector ``b`` (and HalfFlat ``alpha``)."""
    import pymc as pm

    if isinstance(case, str):
        case = load(case)
    with pm.Model() as model:
        x = pm.Data("X", case.x)
        b = pm.Flat("b", shape=case.x.shape[1])
        eta = pm.math.dot(x, b)
        if case.kind == "logit":
            pm.Bernoulli("y", logit_p=eta, observed=case.y)
        elif case.kind == "poisson":
            pm.Poisson("y", pm.math.exp(eta), observed=case.y)
        elif case.kind == "negbin":
            alpha = pm.HalfFlat("alpha")  # statsmodels' NB2 alpha; PyMC's is 1/alpha
            pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=1 / alpha, observed=case.y)
        else:
            pm.Binomial("y", n=case.trials, logit_p=eta, observed=case.y)
    return model


def newton_step_in_se(case: GlmCase) -> np.ndarray:
    """|H^-1 g| / SE at statsmodels' estimate, per parameter: ~0 at a maximum."""
    model = case.fit.model
    params = np.asarray(case.fit.params, float)
    grad = np.asarray(model.score(params), float)
    hess = np.asarray(model.hessian(params), float)
    return np.abs(np.linalg.solve(hess, grad)) / case.bse

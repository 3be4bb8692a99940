"""The ``find_map`` engine: plain ``pm.find_MAP``, what PyMC gives unpolished.

It runs on the problem's model as declared (flat priors for a catalog family,
so the likelihood; a user's model with its priors, so the posterior), from the
problem's declared start or the model's initial point, with PyMC's defaults
(L-BFGS-B). ``pm.find_MAP`` compiles its functions anew on every call (a few
hundred milliseconds warm); :class:`FindMap` replays the same optimisation (its
start, its check of the start, its cost function and its scipy call) on the
compiled model's own derivative function, which gives ``pm.find_MAP``'s objective
term for term (:meth:`~toolkit.problem.compiled.CompiledModel.model_logp`: the
log-likelihood or log-posterior, plus the model's other terms, such as flat priors'
zeros). No graph is compiled for it: the same numbers as ``pm.find_MAP``'s own
graphs to rounding, and a converged run ends at ``pm.find_MAP``'s point to 1e-10
(tested). Its point is certified by the same rule as every engine's, with PyMC's
exact derivatives of the objective it maximised: an L-BFGS-B run that stopped short
of the optimum is shown as such, with its distance in standard errors, and is not
counted.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping

import numpy as np
import pymc as pm
from pymc.exceptions import SamplingError
from pymc.logprob.utils import ParameterValueError
from scipy.optimize import minimize

from toolkit.engines.fit import Fit, certify
from toolkit.engines.mle import DENSITY, per_observation
from toolkit.engines.nonsmooth import outside_argmax_set
from toolkit.problem import Problem
from toolkit.problem.names import variable_of
from toolkit.quiet import quiet

NAME = "find_map"
#: ``pm.find_MAP``'s default cap on evaluations of the objective.
MAXEVAL = 5000


def fit(problem: Problem, fits: Mapping[str, Fit]) -> Fit:
    """``pm.find_MAP`` (replayed on the compiled model) from the problem's start; certified."""
    compiled = problem.pymc
    derivatives = (
        compiled.posterior_derivatives if problem.has_priors else compiled.loglik_derivatives
    )
    start = problem.unflatten(problem.start) if problem.start is not None else None
    t0 = time.perf_counter()
    with quiet():
        point, raw = FindMap(compiled.model)(
            compiled.initial_point(start),
            functools.partial(compiled.model_logp, priors=problem.has_priors),
        )
    seconds = time.perf_counter() - t0
    z = compiled.to_vector(point)
    _, grad, hess = per_observation(derivatives, problem.n)(z)
    nonsmooth = compiled.indices({variable_of(p) for p in problem.nonsmooth})
    theta = compiled.natural(z)
    certificate = certify(
        z=z,
        grad=grad,
        hess=hess,
        n=problem.n,
        constrained=compiled.constrained,
        smooth=[i for i in range(z.size) if i not in nonsmooth],
        optimiser=f"scipy L-BFGS-B: {getattr(raw, 'message', 'stopped at its evaluation cap')}",
        problems=outside_argmax_set(problem, theta),
        boundary=problem.degenerate(theta) if problem.degenerate is not None else None,
        iterations=int(getattr(raw, "nit", 0)),
        evaluations=int(getattr(raw, "nfev", 0)),
        seconds=seconds,
    )
    estimates = dict(zip(problem.names, theta.tolist(), strict=True))
    objective = "posterior" if problem.has_priors else "likelihood"
    return Fit(NAME, estimates, certificate, DENSITY, {"z": z}, objective)


class FindMap:
    """``pm.find_MAP(start, model, return_raw=True, include_transformed=True)`` on a
    function of z compiled once.

    What ``pm.find_MAP`` does on every call (PyMC 5.28, ``pymc/tuning/starting.py``),
    given its objective as a function of z (every value variable, all continuous, in
    the model's order: the optimised vector of ``pm.find_MAP`` itself): the check of
    the start (``check_start_vals``: every term finite), the cost wrapper's arithmetic
    and the scipy call (L-BFGS-B, scipy's defaults), so that data swapped with
    ``pm.set_data`` give ``pm.find_MAP``'s answer. The initial point (the model's, with
    a start's values in it) is the compiled model's
    (:meth:`~toolkit.problem.compiled.CompiledModel.initial_point`), computed as PyMC
    computes it.
    """

    def __init__(self, model):
        self.model = model
        self.value_names = [v.name for v in model.value_vars]
        self.dtypes = {v.name: v.dtype for v in model.value_vars}
        discrete = sorted(set(self.value_names) - {v.name for v in model.continuous_value_vars})
        if discrete:
            raise TypeError(f"find_map optimises continuous variables only, not {discrete}")

    def check(self, point: dict[str, np.ndarray], objective) -> dict[str, np.ndarray]:
        """``point`` in the value variables' dtypes, if every term is finite there.

        The terms are finite where their sum is (a −inf or NaN term makes the sum so);
        only when it is not are the terms evaluated one by one, for the message.
        """
        point = {k: np.asarray(v, dtype=self.dtypes[k]) for k, v in point.items()}
        z = np.concatenate([np.ravel(point[n]) for n in self.value_names])
        try:
            finite = bool(np.isfinite(np.round(objective(z)[0], 2)))
        except ParameterValueError:
            finite = False
        if not finite:
            terms = self.model.basic_RVs + self.model.potentials
            values = self.model.compile_fn(
                inputs=self.model.value_vars,
                outs=[t.sum() for t in self.model.logp(terms, sum=False)],
                point_fn=False,
                mode="FAST_COMPILE",
            )(*[point[n] for n in self.value_names])
            raise SamplingError(
                "Initial evaluation of model at starting point failed!\n"
                f"Starting values:\n{point}\n\nLogp initial evaluation results:\n"
                f"{dict(zip([t.name for t in terms], values, strict=True))}\n"
            )
        return point

    def __call__(self, start: dict[str, np.ndarray], objective):
        """(point of value variables, scipy's result or None at the evaluation cap).

        ``start``: find_MAP's initial point (value variables), as
        :meth:`~toolkit.problem.compiled.CompiledModel.initial_point` gives it.
        ``objective``: z -> (the model's log-probability without Jacobian, its gradient).
        """
        point = self.check(start, objective)
        shapes = [(n, point[n].shape, point[n].dtype) for n in self.value_names]
        x0 = np.concatenate([point[n].ravel() for n in self.value_names])
        state = {"evaluations": 0, "previous": None}

        def logp_dlogp(x):
            try:
                return objective(pm.floatX(x))
            except ParameterValueError:
                # The compiled model checks its parameters where pm.find_MAP's graph has
                # PyMC's switch to −inf (a scale whose log underflowed to 0 in a long
                # trial step): the same −inf, no gradient.
                return -np.inf, np.full(x.shape, np.nan)

        def cost(x):  # pymc.tuning.starting.CostFuncWrapper, without its progress bar
            logp, negative = logp_dlogp(x)
            value = -1.0 * np.float64(logp)
            if np.all(np.isfinite(negative)):
                state["previous"] = x
            grad = (-1.0 * negative).astype(np.float64)
            if state["evaluations"] > MAXEVAL:
                raise StopIteration
            state["evaluations"] += 1
            return value, grad

        try:
            raw = minimize(cost, x0, method="L-BFGS-B", jac=True)
            x = raw["x"]
        except StopIteration:
            x, raw = state["previous"], None
        out, offset = {}, 0
        for name, shape, dtype in shapes:
            size = int(np.prod(shape, dtype=int))
            out[name] = x[offset : offset + size].reshape(shape).astype(dtype)
            offset += size
        return out, raw

"""The ``find_map`` engine: plain ``pm.find_MAP``, what PyMC gives unpolished.

It runs on the problem's model as declared (flat priors for a catalog family,
so the likelihood; a user's model with its priors, so the posterior), from the
problem's declared start or the model's initial point, with PyMC's defaults
(L-BFGS-B). ``pm.find_MAP`` compiles its functions anew on every call (a few
hundred milliseconds warm); :class:`FindMap` replays the same optimisation on
functions compiled once per model, so that its answer is ``pm.find_MAP``'s (tested).
A catalog family's model, refitted many times, gets exactly ``pm.find_MAP``'s graphs,
so the answer is the same bit for bit. A user's model, compiled for a fit or two,
gets the objective from the compiled model's own log-posterior (the log-likelihood
when every prior is flat), which is ``pm.find_MAP``'s objective term for term: the
same numbers to rounding, and two graphs fewer to compile to C (seconds on a cold
compile cache). Its point is certified by the same rule as every engine's, with
PyMC's exact derivatives of the objective it maximised: an L-BFGS-B run that stopped
short of the optimum is shown as such, with its distance in standard errors, and is
not counted.
"""

from __future__ import annotations

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
    """``pm.find_MAP`` (replayed from cached functions) from the problem's start; certified."""
    compiled = problem.pymc
    derivatives = (
        compiled.posterior_derivatives if problem.has_priors else compiled.loglik_derivatives
    )
    shared = derivatives if shares_objective(compiled) else None
    replica = compiled.lazy(
        NAME, lambda: FindMap(compiled.model, compiled.rarely, compile_objective=shared is None)
    )
    start = problem.unflatten(problem.start) if problem.start is not None else None
    t0 = time.perf_counter()
    with quiet():
        point, raw = replica(compiled.initial_point(start), shared)
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


def shares_objective(compiled) -> bool:
    """Is ``pm.find_MAP``'s objective the compiled model's own derivative function?

    For a model compiled for a fit or two (a user's, whose rarely called functions
    run without C): when its terms are its free variables and its observed variables
    (no potential), ``pm.find_MAP``'s objective, the model's log-probability without
    Jacobian, is term for term the log-posterior the compiled model differentiates, or
    its log-likelihood plus the flat priors' zeros when the problem has no priors.
    """
    model = compiled.model
    return (
        compiled.rarely is not None
        and not model.potentials
        and list(compiled.likelihood) == list(model.observed_RVs)
        and len(model.continuous_value_vars) == len(model.value_vars)
    )


class FindMap:
    """``pm.find_MAP(start, model, return_raw=True, include_transformed=True)`` compiled once.

    The graphs are the ones ``pm.find_MAP`` compiles on every call (PyMC 5.28,
    ``pymc/tuning/starting.py``): ``model.compile_logp(jacobian=False)`` and
    ``compile_dlogp`` for the objective and its gradient, the initial point with the
    start's values as inputs, and ``check_start_vals``'s per-term log-probabilities;
    the cost wrapper's arithmetic and the scipy call (L-BFGS-B, scipy's defaults) are
    the same, so data swapped with ``pm.set_data`` give ``pm.find_MAP``'s answer. The
    initial point (the model's, with a start's values in it) is the compiled model's
    (:meth:`~toolkit.problem.compiled.CompiledModel.initial_point`), compiled as PyMC
    compiles it.
    ``check_mode`` compiles the start's check (only its finiteness matters).
    ``compile_objective=False``: the objective and its gradient are not compiled here;
    each call is given a function of z (every value variable, all continuous) whose
    first two outputs are them (:func:`shares_objective`).
    """

    def __init__(self, model, check_mode: str | None = None, *, compile_objective: bool = True):
        self.model = model
        continuous = {v.name for v in model.continuous_value_vars}
        self.value_names = [v.name for v in model.value_vars]
        self.dtypes = {v.name: v.dtype for v in model.value_vars}
        self.optimised = [n for n in self.value_names if n in continuous]
        rvs = [model.values_to_rvs[v] for v in model.value_vars if v.name in continuous]
        self._logp = self._dlogp = None
        with quiet():
            if compile_objective:
                self._logp = model.compile_logp(jacobian=False).f
                self._dlogp = model.compile_dlogp(rvs, jacobian=False).f
            terms = model.basic_RVs + model.potentials
            self._term_logps = model.compile_fn(
                inputs=model.value_vars,
                outs=[t.sum() for t in model.logp(terms, sum=False)],
                point_fn=False,
                mode=check_mode,
            )
        self._term_names = [t.name for t in terms]

    def check(self, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``point`` in the value variables' dtypes, if every term is finite there."""
        point = {k: np.asarray(v, dtype=self.dtypes[k]) for k, v in point.items()}
        values = self._term_logps(*[point[n] for n in self.value_names])
        if not all(np.isfinite(np.round(np.asarray(v), 2)) for v in values):
            raise SamplingError(
                "Initial evaluation of model at starting point failed!\n"
                f"Starting values:\n{point}\n\nLogp initial evaluation results:\n"
                f"{dict(zip(self._term_names, values, strict=True))}\n"
            )
        return point

    def __call__(self, start: dict[str, np.ndarray], derivatives=None):
        """(point of value variables, scipy's result or None at the evaluation cap).

        ``start``: find_MAP's initial point (value variables), as
        :meth:`~toolkit.problem.compiled.CompiledModel.initial_point` gives it.
        ``derivatives``: z -> (objective, gradient, ...), when the objective was not
        compiled here.
        """
        if self._logp is None and derivatives is None:
            raise TypeError("FindMap compiled without its objective needs derivatives")
        point = self.check(start)
        slots, offset, index = [], 0, {n: i for i, n in enumerate(self.value_names)}
        for name in self.optimised:
            value = point[name]
            slots.append((index[name], value.shape, offset, offset + value.size, value.dtype))
            offset += value.size
        x0 = np.concatenate([point[n].ravel() for n in self.optimised])
        base = [point[n] for n in self.value_names]

        def arguments(x):
            args = list(base)
            for i, shape, lo, hi, dtype in slots:
                args[i] = x[lo:hi].reshape(shape).astype(dtype)
            return args

        state = {"evaluations": 0, "previous": None}

        def objective(x):
            if self._logp is None:
                try:
                    return derivatives(pm.floatX(x))[:2]
                except ParameterValueError:
                    # The compiled model checks its parameters where pm.find_MAP's graph
                    # has PyMC's switch to −inf (a scale whose log underflowed to 0 in a
                    # long trial step): the same −inf, no gradient.
                    return -np.inf, np.full(x.shape, np.nan)
            return self._logp(*arguments(pm.floatX(x))), self._dlogp(*arguments(pm.floatX(x)))

        def cost(x):  # pymc.tuning.starting.CostFuncWrapper, without its progress bar
            logp, negative = objective(x)
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
        args = arguments(x)
        return {name: args[i] for i, name in enumerate(self.value_names)}, raw

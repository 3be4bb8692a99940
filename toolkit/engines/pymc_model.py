"""PyMC models of catalog families, compiled once per process and refitted by
swapping data.

The graph of a family (for given structural options) is built and compiled on
first use; later fits only call ``model.set_data`` on the same compiled
functions. The compiled function maps the model's value variables, raveled into
one vector in PyMC's unconstrained space, to the data log-likelihood, its
gradient and its Hessian (flat priors, no Jacobian term).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.family import pack_lower, triangle_order
from toolkit.engines.problem import Problem

_CACHE: dict[tuple, CompiledModel] = {}


@dataclass
class CompiledModel:
    """A PyMC model with compiled log-likelihood derivatives and transforms."""

    model: Any
    point: dict[str, np.ndarray]  # initial point: value-variable names and shapes
    _loglik_derivs: Any
    _natural: Any
    _natural_jacobian: Any
    names: list[str]
    #: Positions in z of each free variable, by its PyMC (natural) name.
    coordinates: dict[str, list[int]]

    def indices(self, params) -> list[int]:
        """Positions in z of the named parameters."""
        return [i for name in params for i in self.coordinates.get(name, [])]

    def loglik_derivatives(self, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Data log-likelihood, gradient and Hessian at unconstrained ``z``."""
        value, grad, hess = self._loglik_derivs(z)
        return float(value), np.asarray(grad), np.asarray(hess)

    def natural(self, z: np.ndarray) -> np.ndarray:
        """Flat natural-space parameter values at unconstrained ``z``."""
        return np.asarray(self._natural(z))

    def natural_jacobian(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self._natural_jacobian(z))

    def to_vector(self, point: dict[str, np.ndarray]) -> np.ndarray:
        """Ravel a point of value-variable values in the compiled order."""
        return np.concatenate([np.ravel(point[name]) for name in self.point])

    def set_data(self, data: np.ndarray) -> None:
        self.model.set_data("x", data)


def compiled_model(problem: Problem) -> CompiledModel:
    """The compiled model for ``problem``'s family and options, with its data set."""
    family = problem.family
    key = (family.name, tuple(sorted(problem.options.items())))
    if key not in _CACHE:
        _CACHE[key] = _compile(problem)
    compiled = _CACHE[key]
    compiled.set_data(problem.data)
    return compiled


def build_model(problem: Problem):
    """The family's PyMC model: flat priors on the natural domains, observed ``x``."""
    import pymc as pm

    family = problem.family
    shapes = problem.shapes
    with pm.Model() as model:
        data = pm.Data("x", problem.data)
        params = {
            name: _flat_prior(name, domain, shapes[name]) for name, domain in family.domains.items()
        }
        arguments = family.pymc_arguments(params, problem.options)
        getattr(pm, family.pymc_dist)("obs", **arguments, observed=data)
    return model


def _flat_prior(name: str, domain: str, shape: tuple[int, ...]):
    import pymc as pm
    from pymc.distributions import transforms

    if domain == "real":
        return pm.Flat(name, shape=shape)
    if domain == "positive":
        return pm.HalfFlat(name, shape=shape)
    if domain == "unit":
        return pm.Uniform(name, 0.0, 1.0, shape=shape)
    if domain == "simplex":
        return pm.Dirichlet(name, a=np.ones(shape))
    if domain == "ordered":
        # A sorted initial value: the ordered transform takes logs of the increments.
        initval = np.arange(shape[0], dtype=float)
        return pm.Flat(name, shape=shape, transform=transforms.ordered, initval=initval)
    if domain == "cholesky":
        # The packed lower triangle, log on the diagonal; starts at the identity.
        d = triangle_order(shape[0])
        initval = pack_lower(np.eye(d))
        transform = transforms.CholeskyCovPacked(d)
        return pm.Flat(name, shape=shape, transform=transform, initval=initval)
    raise ValueError(f"unknown domain {domain!r}")


def _compile(problem: Problem) -> CompiledModel:
    model = build_model(problem)
    loglik_fn, natural_fn, jacobian_fn, point = compile_derivatives(model)
    return CompiledModel(
        model, point, loglik_fn, natural_fn, jacobian_fn, problem.names, coordinates(model, point)
    )


def coordinates(model, point: dict[str, np.ndarray]) -> dict[str, list[int]]:
    """Positions in the raveled value vector of each free variable (by natural name)."""
    rv_names = {v.name: model.values_to_rvs[v].name for v in model.value_vars}
    out, offset = {}, 0
    for value_name, value in point.items():
        out[rv_names[value_name]] = list(range(offset, offset + value.size))
        offset += value.size
    return out


def compile_derivatives(model, observed=None):
    """Compile z -> (loglik, grad, hess), z -> natural values, and its Jacobian.

    ``observed`` restricts the log-likelihood to those observed variables
    (default: all of them); priors are never included.
    """
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import join_nonshared_inputs

    point = {
        v.name: np.asarray(val) for v, val in zip(model.value_vars, _initial(model), strict=True)
    }
    loglik = model.logp(vars=observed or model.observed_RVs, jacobian=False)
    natural = pt.concatenate([pt.flatten(v) for v in model.replace_rvs_by_values(model.free_RVs)])
    (loglik, natural), z = join_nonshared_inputs(point, [loglik, natural], model.value_vars)
    grad = pytensor.gradient.grad(loglik, z)
    hess = pytensor.gradient.hessian(loglik, z)
    jac = pytensor.gradient.jacobian(natural, z)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        loglik_fn = pytensor.function([z], [loglik, grad, hess])
        natural_fn = pytensor.function([z], natural)
        jacobian_fn = pytensor.function([z], jac)
    return loglik_fn, natural_fn, jacobian_fn, point


def _initial(model):
    initial = model.initial_point()
    return [initial[v.name] for v in model.value_vars]

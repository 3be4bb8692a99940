"""Adapter: a catalog family and one sample of data -> :class:`~toolkit.problem.Problem`.

The family's PyMC model (flat priors on the natural domain of each parameter)
writes the log-likelihood over the sample's atoms: Σ count · log q(value), one
``pm.Potential`` (``obs``) over the distinct values in a ``pm.Data`` container
``atoms`` and their counts in ``counts``, so that its cost grows with the number
of distinct values, not with N. It is built and compiled once per (family, structural options) and
refitted by swapping data. The kl engine's log-density is the family's own
scipy.stats/numpy implementation, evaluated on the distinct values only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.family import Family, pack_lower, triangle_order
from toolkit.config import settings
from toolkit.divergence import entropy_estimate, row_atoms
from toolkit.problem import cache, validation
from toolkit.problem.compiled import CompiledModel
from toolkit.problem.names import flat_names, flatten, unflattener, variable_of
from toolkit.problem.problem import Problem

#: Compiled models by (family, structural options).
_COMPILED: dict[tuple, CompiledModel] = {}


def family_problem(family: Family, data: Any, options: dict[str, Any]) -> Problem:
    """Validate ``data`` for ``family`` and build its problem (compiling on first use)."""
    x, resolved = validation.family_data(family, data, options)
    shapes = family.param_shapes(resolved)
    atoms = row_atoms(x)
    distinct = x[atoms.index]
    values = distinct.astype(np.int64) if family.discrete else distinct
    variables = unflattener(shapes)

    def logq(theta: np.ndarray) -> np.ndarray:
        return family.logpdf(distinct, variables(theta), resolved)

    def natural(params: dict) -> np.ndarray:
        return flatten(params, shapes)

    def at(values: np.ndarray, theta: np.ndarray) -> np.ndarray:
        return family.logpdf(values, variables(theta), resolved)

    def frozen(theta: np.ndarray):
        from scipy import stats

        arguments = family.to_scipy(variables(theta), resolved)
        return getattr(stats, family.scipy_dist)(**arguments)

    mean_logq = None
    bound = {"atoms": values, "counts": atoms.counts.astype(float)}
    pseudo = False
    if family.statistics is not None:
        stats = family.statistics.compute(distinct, atoms.weights, resolved)
        if family.statistics.pseudo_atoms and distinct.size > settings["pseudo_atoms_above"]:
            pseudo_values, pseudo_weights = family.statistics.pseudo_atoms(stats, resolved)
            bound = {"atoms": pseudo_values, "counts": pseudo_weights * atoms.n}
            pseudo = True

        def mean_logq(theta: np.ndarray) -> float:
            return family.statistics.mean_logpdf(stats, variables(theta), resolved)

    names = flat_names(shapes)
    # The sorted sample, rebuilt from the atoms (sorted once already) for the entropy.
    kl_offset, kl_note = _kl_offset(family, np.repeat(distinct, atoms.counts) if x.ndim == 1 else x)
    if mean_logq is not None:
        kl_note += (
            "; the kl engine sums Σ p̂ log q through the sample's sufficient statistics "
            "(exact algebra, the family's own density)"
        )
    if pseudo:
        kl_note += (
            f"; PyMC's engines saw the {distinct.size} distinct values as "
            f"{bound['atoms'].size} pseudo-atoms with the same weighted sufficient statistics "
            "(the same log-likelihood for every θ, by algebra)"
        )
    return Problem(
        label=family.name,
        shapes=shapes,
        compiled=_compiled(family, resolved, bound["atoms"], bound["counts"]),
        bound=bound,
        atoms=atoms,
        logq=logq,
        mean_logq=mean_logq,
        density=("scipy.stats and numpy: the family's own log-density (independent of PyMC)"),
        independent=True,
        discrete=family.discrete,
        kl_offset=kl_offset,
        kl_note=kl_note,
        domains=dict(family.domains),
        declaration=family,
        observed={"x": x},
        data=x,
        options=resolved,
        start=natural(family.start(x, resolved)) if family.start else None,
        closed_form=(lambda: natural(family.closed_form(x, resolved)))
        if family.closed_form
        else None,
        peer_fit=(lambda: natural(family.scipy_fit(x, resolved))) if family.scipy_fit else None,
        argmax_sets=family.argmax_set(x, resolved) if family.argmax_set else {},
        nonsmooth=tuple(n for n in names if variable_of(n) in family.nonsmooth),
        degenerate=(lambda theta: family.degenerate_fit(x, variables(theta), resolved))
        if family.degenerate_fit
        else None,
        k_free=len(names) - sum(d == "simplex" for d in family.domains.values()),
        row_logq=_rows_through_atoms(x, distinct, logq, at),
        response_logpdf=at if family.data_ndim == 1 else None,
        frozen=frozen if family.scipy_dist is not None else None,
    )


def _rows_through_atoms(x: np.ndarray, distinct: np.ndarray, logq, at):
    """theta -> the log-density of every row: of each distinct value once, read at the rows
    (1-D data with repeated values: a count's 2 000 rows are a few dozen values), or of
    the rows themselves."""
    if x.ndim != 1 or 2 * distinct.size > x.size:
        return lambda theta: at(x, theta)
    found = np.searchsorted(distinct, x)  # the distinct values are sorted
    if not np.array_equal(distinct[np.minimum(found, distinct.size - 1)], x):
        return lambda theta: at(x, theta)
    return lambda theta: logq(theta)[found]


def _kl_offset(family: Family, x: np.ndarray) -> tuple[float, str]:
    """The θ-free term of the KL and what the reported KL then is, in words."""
    if family.discrete:
        return 0.0, "exact: Σ p̂ log(p̂/q) over the distinct values"
    try:
        estimate = entropy_estimate(x)
    except ValueError as err:  # tied values, or too few for the estimator
        return 0.0, (
            "cross-entropy −Σ p̂ log q only, i.e. KL(p‖q) plus the unknown H(p): "
            f"no entropy estimate of p ({err})"
        )
    return estimate.value, (
        f"estimates KL(p‖q): cross-entropy minus the {estimate.method} entropy estimate of p"
    )


def _compiled(family: Family, options: dict[str, Any], values, counts) -> CompiledModel:
    key = (family.name, tuple(sorted(options.items())))
    if key not in _COMPILED:
        model = build_model(family, options, values, counts)
        _COMPILED[key] = cache.compiled_model(model, ("family", *key), likelihood=[model["obs"]])
    return _COMPILED[key]


def build_model(family: Family, options: dict[str, Any], values: np.ndarray, counts: np.ndarray):
    """The family's PyMC model: flat priors on the natural domains, and the log-likelihood
    Σ count · log q(value) over the distinct ``values`` (a potential named ``obs``)."""
    import pymc as pm

    shapes = family.param_shapes(options)
    with pm.Model() as model:
        x = pm.Data("atoms", values)
        w = pm.Data("counts", np.asarray(counts, dtype=float))
        params = {
            name: _flat_prior(name, domain, shapes[name]) for name, domain in family.domains.items()
        }
        dist = getattr(pm, family.pymc_dist).dist(**family.pymc_arguments(params, options))
        pm.Potential("obs", pm.math.sum(w * pm.logp(dist, x)))
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
        transform = transforms.CholeskyCovPacked(d)
        return pm.Flat(name, shape=shape, transform=transform, initval=pack_lower(np.eye(d)))
    raise ValueError(f"unknown domain {domain!r}")

"""Adapter: a user's ``pm.Model`` with observed data -> :class:`~toolkit.problem.Problem`.

The observed variables' leading axis indexes rows that are independent given
the covariates (the ``pm.Data`` containers and constant arrays that reach an
observed variable and share its leading length). The empirical distribution
is over rows: identical (response row, covariate row) pairs are one atom whose
weight is its count over N. The kl engine's log-density is PyMC's elementwise
log-probability of the observed variables (not an independent implementation),
evaluated on every row and read at one representative row per atom.
"""

from __future__ import annotations

import numpy as np

from toolkit.divergence import RowAtoms, row_atoms
from toolkit.errors import DataError, ModelError
from toolkit.problem import validation
from toolkit.problem.compiled import data_source, data_value
from toolkit.problem.problem import Problem
from toolkit.problem.regression import conditional_kl_note
from toolkit.problem.structure import compiled_for

#: Ops of the improper priors that leave the log-posterior equal to the log-likelihood.
FLAT_OPS = ("FlatRV", "HalfFlatRV")

DENSITY = "PyMC elementwise log-probability (not independent)"


def model_problem(model) -> Problem:
    """Check a ``pm.Model`` and build its problem (compiling on first use).

    Raises
    ------
    ModelError
        No observed variables, no free variables, or free discrete (latent) variables.
    DataError
        Non-finite covariates or responses, responses outside the support,
        fewer rows than parameters, or collinear covariate columns.
    """
    label = model.name or "pm.Model"
    if not model.observed_RVs:
        raise ModelError(f"{label}: the model has no observed variables: nothing to fit")
    if not model.free_RVs:
        raise ModelError(f"{label}: the model has no free variables: there is nothing to estimate")
    discrete = [rv.name for rv in model.free_RVs if rv.dtype.startswith(("int", "uint", "bool"))]
    if discrete:
        raise ModelError(
            f"{label}: free discrete (latent) variables {discrete} cannot be maximised over "
            "by gradient methods; marginalise them (e.g. a mixture) or observe them"
        )
    missing = [rv.name for rv in model.free_RVs if rv.name.endswith("_unobserved")]
    if missing:
        raise DataError(f"{label}: observed data hold NaN (PyMC imputes them as {missing})")
    covariates, keys, responses = _row_blocks(model, label)
    shapes = {
        rv.name: tuple(int(s) for s in shape)
        for rv, shape in zip(model.free_RVs, _rv_shapes(model), strict=True)
    }
    atoms = _atoms(keys, responses)
    k = sum(int(np.prod(s)) if s else 1 for s in shapes.values())
    validation.check_rows(label, atoms.n, k)
    compiled, data = compiled_for(model)
    compiled.bind(data)

    def rows(z: np.ndarray) -> np.ndarray:  # this model's data in the shared containers
        compiled.bind(data)
        return compiled.row_logp(z)

    def logq_z(z: np.ndarray) -> np.ndarray:
        return rows(z)[atoms.index]

    def logq(theta: np.ndarray) -> np.ndarray:
        return logq_z(compiled.to_z(theta))

    representatives = np.asarray(atoms.index, dtype=np.int64)

    def mean_logq_z(z: np.ndarray) -> tuple[float, np.ndarray]:
        compiled.bind(data)
        return compiled.weighted_row_logp(z, representatives, atoms.weights)

    observed = {name: y2[:, 0] if y2.shape[1] == 1 else y2 for name, y2 in responses}
    discrete = all(rv.dtype.startswith(("int", "uint", "bool")) for rv in model.observed_RVs)
    note = "PyMC's (not an independent implementation)"
    problem = Problem(
        label=label,
        shapes=shapes,
        compiled=compiled,
        bound=data,
        atoms=atoms,
        logq=logq,
        logq_z=logq_z,
        mean_logq_z=mean_logq_z,
        density=DENSITY,
        independent=False,
        discrete=discrete,
        kl_offset=0.0,
        kl_note=f"{conditional_kl_note(discrete)}; log-density: {note}",
        observed={**observed, **covariates},
        has_priors=any(type(rv.owner.op).__name__ not in FLAT_OPS for rv in model.free_RVs),
        default_starts=4,
        k_free=compiled.size,
        row_logq=lambda theta: rows(compiled.to_z(theta)),
    )
    _check_support(problem, responses)
    return problem


def _rv_shapes(model) -> list:
    """Each free variable's shape: its static shape, or evaluated when that is symbolic."""
    static = [rv.type.shape for rv in model.free_RVs]
    if all(s is not None for shape in static for s in shape):
        return static
    shapes = model.eval_rv_shapes()  # compiles a small function
    return [shapes[rv.name] for rv in model.free_RVs]


def _row_blocks(model, label):
    """Covariates by name, and per observed variable its (response, covariates) row keys."""
    covariates: dict[str, np.ndarray] = {}
    keys, responses = [], []
    for rv in model.observed_RVs:
        y = np.asarray(data_value(model.rvs_to_values[rv]))
        y2 = y.reshape(1, -1) if y.ndim == 0 else y.reshape(len(y), -1)
        if not np.all(np.isfinite(y2)):
            row = int(np.argwhere(~np.isfinite(y2))[0, 0])
            raise DataError(f"{label}: response {rv.name!r} is not finite at row {row}")
        validation.check_range(f"{label}: response {rv.name!r}", y2, word="row")
        blocks = [y2.astype(float)]
        for name, x in _covariates(model, rv, len(y2)):
            _check_covariate(model, label, name, x)
            covariates[name] = x
            blocks.append(x.reshape(len(x), -1).astype(float))
        keys.append((np.hstack(blocks), sum(b.shape[1] for b in blocks[1:])))
        responses.append((rv.name, y2))
    return covariates, keys, responses


def _covariates(model, rv, n_rows):
    """Data containers and constant arrays reaching ``rv`` with ``n_rows`` leading rows."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor.variable import TensorConstant

    found, k = [], 0
    response = data_source(model.rvs_to_values[rv])
    for v in ancestors(rv.owner.inputs):
        if v.owner is not None or not isinstance(v, SharedVariable | TensorConstant):
            continue
        if v is response:  # the response itself (pm.Data) when it sets the shape
            continue
        if not hasattr(v.type, "ndim") or v.type.ndim == 0:
            continue
        value = np.asarray(data_value(v))
        if value.ndim >= 1 and value.shape[0] == n_rows and value.dtype.kind in "biuf":
            name = v.name or f"constant[{k}]"
            k += v.name is None
            found.append((name, value))
    return found


def _column_names(model, name: str, x: np.ndarray) -> list[str]:
    if x.ndim < 2:
        return [name]
    dims = model.named_vars_to_dims.get(name) or ()
    labels = model.coords.get(dims[1]) if len(dims) > 1 else None
    if labels is not None and len(labels) == x.shape[1]:
        return [f"{name}[{label}]" for label in labels]
    return [f"{name}[:, {j}]" for j in range(x.shape[1])]


def _check_covariate(model, label, name, x):
    columns = _column_names(model, name, x)
    x2 = x.reshape(len(x), -1)
    bad = ~np.isfinite(x2)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{label}: covariate column {columns[col]!r} is not finite (NaN or inf) at row "
            f"{row} ({int(bad.sum())} non-finite values)"
        )
    validation.check_range(f"{label}: covariate {name!r}", x2, labels=columns)
    if x.dtype.kind == "f":
        validation.check_rank(label, x2, columns, f"covariate {name!r}")


def _atoms(keys, responses) -> RowAtoms:
    """Atoms of each observed variable's rows, in one list (indices into all rows)."""
    index, counts, groups, offset = [], [], [], 0
    for key, n_covariates in keys:
        atoms = row_atoms(key, n_covariates=n_covariates)
        index.append(atoms.index + offset)
        counts.append(atoms.counts)
        groups.append(atoms.group_counts)
        offset += atoms.n
    return RowAtoms(np.concatenate(index), np.concatenate(counts), np.concatenate(groups), offset)


def _check_support(problem: Problem, responses) -> None:
    """Rows whose log-probability is −inf at the start and at jittered points."""
    compiled = problem.compiled
    z0 = compiled.initial_z
    rng = np.random.default_rng(0)
    bad = None
    for z in [z0] + [z0 + rng.uniform(-1, 1, z0.shape) for _ in range(2)]:
        with np.errstate(all="ignore"):
            finite = np.isfinite(compiled.row_logp(z))
        bad = ~finite if bad is None else bad & ~finite
    if not bad.any():
        return
    row, offset = int(np.flatnonzero(bad)[0]), 0
    for name, y2 in responses:
        if row < offset + len(y2):
            local = row - offset
            raise DataError(
                f"{problem.label}: response {name!r} row {local} (value "
                f"{y2[local].tolist()}) is outside the support of its distribution "
                f"({int(bad.sum())} rows have zero probability)"
            )
        offset += len(y2)

"""A user's ``pm.Model`` as a problem: its rows, checks on them, and compiled functions.

The observed variables' leading axis indexes rows that are independent given
the covariates (the ``pm.Data`` containers and constant arrays that reach an
observed variable and share its leading length). The empirical distribution
is over rows: identical (covariate row, response row) pairs are one atom whose
weight is its count over N. The KL engine's log-density is PyMC's elementwise
log-probability of the observed variables, compiled once and evaluated on the
full data; the atoms select one representative row each, so the objective's
cost after compilation grows with N, while its value is exactly Σ w log q.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from toolkit.engines.pymc_model import CompiledModel, compile_derivatives, coordinates
from toolkit.errors import DataError

#: Compiled functions by model, reused when the model's data are swapped (``pm.set_data``).
_CACHE: dict[int, tuple] = {}

#: Ops of the improper priors that leave the log-posterior equal to the log-likelihood.
FLAT_OPS = ("FlatRV", "HalfFlatRV")


@dataclass(frozen=True)
class Rows:
    """Observed rows reduced to atoms: a representative row index, count and x-group count."""

    index: np.ndarray
    counts: np.ndarray
    group_counts: np.ndarray
    n: int

    @property
    def weights(self) -> np.ndarray:
        return self.counts / self.n


@dataclass
class ModelProblem:
    """A validated ``pm.Model`` with observed data (see :func:`model_problem`)."""

    model: Any
    label: str
    names: list[str]
    rows: Rows
    discrete: bool
    has_priors: bool
    covariates: dict[str, np.ndarray] = field(repr=False)
    compiled: CompiledModel = field(repr=False)
    #: Independent row log-density of the natural parameters (regression families);
    #: None: the KL engine uses PyMC's elementwise log-probability.
    density: Any = field(default=None, repr=False)
    #: Where the KL engine's row log-density comes from.
    density_label: str = "PyMC elementwise log-probability (not independent)"
    #: The checked response and design of a regression family (None for a user's model).
    regression: Any = field(default=None, repr=False)
    #: Natural flat parameters -> the linear predictor (or mean function) of each row
    #: (regression families; None for a user's model).
    predictor: Any = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.rows.n

    #: Functions compiled on first use, shared by all problems of the same model.
    shared: dict = field(default_factory=dict, repr=False)

    @property
    def posterior_derivatives(self):
        """z -> (log-posterior without Jacobian, gradient, Hessian); compiled on first use."""
        if "posterior" not in self.shared:
            model = self.model
            fn = compile_derivatives(model, observed=model.free_RVs + model.observed_RVs)[0]
            self.shared["posterior"] = lambda z: tuple(np.asarray(v) for v in fn(z))
        return self.shared["posterior"]

    @property
    def row_logp(self):
        """z -> data log-probability, one entry per observed row (``density`` if given)."""
        if self.density is not None:
            return lambda z: self.density(self.compiled.natural(z))
        if "row_logp" not in self.shared:
            self.shared["row_logp"] = _compile_row_logp(self.model, self.compiled.point)
        return self.shared["row_logp"]

    def to_z(self, estimates: dict[str, float]) -> np.ndarray:
        """Unconstrained z of natural-space estimates by flat name (identity or log transforms)."""
        values = np.array([estimates[name] for name in self.names], dtype=float)
        z = values.copy()
        for rv in self.model.free_RVs:
            transform = self.model.rvs_to_transforms.get(rv)
            if transform is None:
                continue
            if type(transform).__name__ != "LogTransform":
                raise NotImplementedError(f"{rv.name}: no inverse for {type(transform).__name__}")
            idx = self.compiled.coordinates[rv.name]
            with np.errstate(divide="ignore"):
                z[idx] = np.log(values[idx])
        return z

    def natural(self, z: np.ndarray) -> dict[str, float]:
        """Natural-space estimates by flat name at unconstrained ``z``."""
        return dict(zip(self.names, map(float, self.compiled.natural(z)), strict=True))

    @cached_property
    def transformed(self) -> np.ndarray:
        """Mask over z: coordinates of variables PyMC transforms (log, logit, ...)."""
        mask = np.zeros(sum(v.size for v in self.compiled.point.values()), dtype=bool)
        for rv in self.model.free_RVs:
            if self.model.rvs_to_transforms.get(rv) is not None:
                mask[self.compiled.coordinates[rv.name]] = True
        return mask

    def at_boundary(self, z: np.ndarray) -> bool:
        """A transformed coordinate beyond ±BOUNDARY_Z: a scale or probability at its edge."""
        from toolkit.engines.mle import BOUNDARY_Z

        return bool(np.any(np.abs(z[self.transformed]) > BOUNDARY_Z))

    def loglik(self, z: np.ndarray) -> float:
        return float(self.compiled.loglik_derivatives(z)[0])


def model_problem(
    model, *, label: str | None = None, density=None, density_label: str | None = None
) -> ModelProblem:
    """Check a ``pm.Model`` and compile its data log-likelihood.

    ``label`` names the problem in messages (default: the model's name);
    ``density`` (natural flat parameters -> row log-densities) replaces PyMC's
    elementwise log-probability in the KL engine, described by ``density_label``.

    Raises
    ------
    ValueError
        No observed variables, or free discrete (latent) variables.
    DataError
        Non-finite covariates or responses, responses outside the support,
        fewer rows than parameters, or collinear covariate columns.
    """
    label = label or model.name or "pm.Model"
    if not model.observed_RVs:
        raise ValueError(f"{label}: the model has no observed variables: nothing to fit")
    discrete = [rv.name for rv in model.free_RVs if rv.dtype.startswith(("int", "uint", "bool"))]
    if discrete:
        raise ValueError(
            f"{label}: free discrete (latent) variables {discrete} cannot be maximised over "
            "by gradient methods; marginalise them (e.g. a mixture) or observe them"
        )
    missing = [rv.name for rv in model.free_RVs if rv.name.endswith("_unobserved")]
    if missing:
        raise DataError(f"{label}: observed data hold NaN (PyMC imputes them as {missing})")
    covariates, keys, responses = _row_blocks(model, label)
    n = sum(len(k) for k in keys)
    names = _flat_names(model)
    if n < len(names):
        raise DataError(f"{label}: {n} rows for {len(names)} parameters: need at least as many")
    cached = _CACHE.get(id(model))
    if cached is None or cached[0] is not model:
        _CACHE[id(model)] = cached = (model, _compile(model, names), {})
    has_priors = any(type(rv.owner.op).__name__ not in FLAT_OPS for rv in model.free_RVs)
    problem = ModelProblem(
        model=model,
        label=label,
        names=names,
        rows=_atoms(keys, responses),
        discrete=all(rv.dtype.startswith(("int", "uint", "bool")) for rv in model.observed_RVs),
        has_priors=has_priors,
        covariates=covariates,
        compiled=cached[1],
        shared=cached[2],
        density=density,
        **({"density_label": density_label} if density_label else {}),
    )
    _check_support(problem, responses)
    return problem


def _compile(model, names: list[str]) -> CompiledModel:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        loglik_fn, natural_fn, jacobian_fn, point = compile_derivatives(model)
    return CompiledModel(
        model, point, loglik_fn, natural_fn, jacobian_fn, names, coordinates(model, point)
    )


def _row_blocks(model, label):
    """Covariates by name, and per observed variable its (response, covariates) row keys."""
    covariates: dict[str, np.ndarray] = {}
    keys, responses = [], []
    for rv in model.observed_RVs:
        y = np.asarray(_value(model.rvs_to_values[rv]))
        y2 = y.reshape(1, -1) if y.ndim == 0 else y.reshape(len(y), -1)
        if not np.all(np.isfinite(y2)):
            row = int(np.argwhere(~np.isfinite(y2))[0, 0])
            raise DataError(f"{label}: response {rv.name!r} is not finite at row {row}")
        blocks = [y2.astype(float)]
        for name, x in _covariates(model, rv, len(y2)):
            _check_covariate(model, label, name, x)
            covariates[name] = x
            blocks.append(x.reshape(len(x), -1).astype(float))
        keys.append(np.hstack(blocks))
        responses.append((rv.name, y2))
    return covariates, keys, responses


def _covariates(model, rv, n_rows):
    """Data containers and constant arrays reaching ``rv`` with ``n_rows`` leading rows."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor.variable import TensorConstant

    found, k = [], 0
    response = _source(model.rvs_to_values[rv])
    for v in ancestors(rv.owner.inputs):
        if v.owner is not None or not isinstance(v, SharedVariable | TensorConstant):
            continue
        if v is response:  # the response itself (pm.Data) when it sets the shape
            continue
        if not hasattr(v.type, "ndim") or v.type.ndim == 0:
            continue
        value = np.asarray(_value(v))
        if value.ndim >= 1 and value.shape[0] == n_rows and value.dtype.kind in "biuf":
            name = v.name or f"constant[{k}]"
            k += v.name is None
            found.append((name, value))
    return found


def _value(var):
    """The data behind a shared variable, a constant, or a cast of either (int data)."""
    if hasattr(var, "get_value"):
        return var.get_value(borrow=True)
    if hasattr(var, "data"):
        return var.data
    source = _source(var)
    if source is not var:
        return np.asarray(_value(source)).astype(var.dtype)
    return var.eval()


def _source(var):
    """``var`` without the dtype casts PyMC puts on observed ``pm.Data`` (int32 -> int64)."""
    while var.owner is not None and len(var.owner.inputs) == 1 and "Cast" in str(var.owner.op):
        var = var.owner.inputs[0]
    return var


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
    if x2.shape[1] < 2 or x.dtype.kind not in "f":
        return
    _, s, vt = np.linalg.svd(x2 - 0.0, full_matrices=False)
    if s[-1] <= len(x2) * np.finfo(float).eps * s[0]:
        null = np.abs(vt[-1])
        involved = [columns[j] for j in np.flatnonzero(null > 1e-6 * null.max())]
        raise DataError(
            f"{label}: covariate {name!r} is rank-deficient: columns {involved} are collinear"
        )


def _atoms(keys, responses) -> Rows:
    index, counts, groups, offset = [], [], [], 0
    for key, (_, y2) in zip(keys, responses, strict=True):
        _, first, inverse, count = np.unique(
            key, axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        x_key = key[:, y2.shape[1] :]
        if x_key.shape[1]:
            _, x_inverse, x_count = np.unique(
                x_key, axis=0, return_inverse=True, return_counts=True
            )
            group = x_count[np.ravel(x_inverse)[first]]
        else:
            group = np.full(len(first), len(key))
        index.append(first + offset)
        counts.append(count)
        groups.append(group)
        offset += len(key)
        del inverse
    return Rows(np.concatenate(index), np.concatenate(counts), np.concatenate(groups), offset)


def _check_support(problem: ModelProblem, responses) -> None:
    """Rows whose log-probability is −inf at the start and at jittered points."""
    z0 = problem.compiled.to_vector(problem.compiled.point)
    rng = np.random.default_rng(0)
    bad = None
    for z in [z0] + [z0 + rng.uniform(-1, 1, z0.shape) for _ in range(2)]:
        with np.errstate(all="ignore"):
            finite = np.isfinite(problem.row_logp(z))
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


def _flat_names(model) -> list[str]:
    shapes = model.eval_rv_shapes()
    names = []
    for rv in model.free_RVs:
        shape = tuple(int(s) for s in shapes[rv.name])
        size = int(np.prod(shape)) if shape else 0
        names.extend([f"{rv.name}[{i}]" for i in range(size)] if shape else [rv.name])
    return names


def _compile_row_logp(model, point):
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import join_nonshared_inputs

    pieces = []
    for rv, lp in zip(
        model.observed_RVs,
        model.logp(vars=model.observed_RVs, jacobian=False, sum=False),
        strict=True,
    ):
        lp = pt.atleast_1d(lp) if rv.ndim == 0 else lp
        pieces.append(lp.reshape((lp.shape[0], -1)).sum(axis=1))
    (rows,), z = join_nonshared_inputs(point, [pt.concatenate(pieces)], model.value_vars)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        fn = pytensor.function([z], rows)
    from pymc.logprob.utils import ParameterValueError

    def row_logp(v):
        try:
            return np.asarray(fn(v))
        except ParameterValueError:  # parameters PyMC rejects: zero probability everywhere
            return np.full(_n_rows(model), -np.inf)

    return row_logp


def _n_rows(model) -> int:
    """Observed rows now (the data may have been swapped since compilation)."""
    sizes = [np.asarray(_value(model.rvs_to_values[rv])) for rv in model.observed_RVs]
    return sum(1 if y.ndim == 0 else len(y) for y in sizes)

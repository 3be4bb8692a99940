"""A PyMC model compiled once: log-likelihood derivatives and transforms on one vector z.

z is the model's value variables in PyMC's unconstrained space, raveled in the
model's order. The compiled functions give the data log-likelihood (flat priors,
no Jacobian term) with its gradient and Hessian, the natural (constrained)
parameters and their Jacobian, and, compiled on first use, the log-posterior
with the priors, the per-row log-probability of the observed variables and the
map from natural parameters back to z. Data held in ``pm.Data`` containers are
swapped with :meth:`CompiledModel.bind`, never recompiled.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.problem import tiers
from toolkit.quiet import quiet

#: Transforms whose output coordinates are not constrained (a location, an angle):
#: the boundary rule never applies to them.
_UNCONSTRAINED_TRANSFORMS = ("ZeroSumTransform", "CircularTransform")


@dataclass(eq=False)
class CompiledModel:
    """A PyMC model with compiled functions of the unconstrained vector z."""

    model: Any
    #: The model's initial point: value-variable names, shapes and values.
    point: dict[str, np.ndarray]
    #: Positions in z of each free variable, by its PyMC (natural) name.
    coordinates: dict[str, list[int]]
    #: Per coordinate of z: True where the variable's transform maps a constrained
    #: value (a scale, a probability, an increment) to the real line.
    constrained: np.ndarray
    #: The model's terms whose log-probability is the data log-likelihood.
    likelihood: list = field(repr=False)
    #: PyTensor mode of the functions called a few times per fit (None: the default, C).
    rarely: str | None = field(repr=False)
    #: Shared variables holding data that are not the model's ``pm.Data`` (a template's).
    containers: dict = field(default_factory=dict, repr=False)
    #: Initial values (natural, by variable name) the model declares.
    initvals: dict = field(default_factory=dict, repr=False)
    #: The compiled functions by name, each compiled on first use (or restored from disk,
    #: :mod:`toolkit.problem.cache`).
    _lazy: dict = field(default_factory=dict, repr=False)
    #: Calls of each tiered function in this process (never kept on disk).
    _calls: dict = field(default_factory=dict, repr=False)
    _bound: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return int(self.constrained.size)

    @property
    def initial_z(self) -> np.ndarray:
        return self.to_vector(self.point)

    def bind(self, data: Mapping[str, np.ndarray]) -> None:
        """Put ``data`` in the model's ``pm.Data`` containers (only what changed)."""
        changed = {k: v for k, v in data.items() if self._bound.get(k) is not v}
        for name, value in changed.items():
            if name in self.containers:
                self.containers[name].set_value(value, borrow=True)
            else:
                self.model.set_data(name, value)
        self._bound.update(changed)

    def loglik_derivatives(self, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Data log-likelihood (no priors, no Jacobian), gradient and Hessian at ``z``."""
        value, grad, hess, _, _ = self._derivatives(priors=False)(_floats(z))
        return float(value), np.asarray(grad), np.asarray(hess)

    def posterior_derivatives(self, z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-posterior with the model's priors (no Jacobian), gradient and Hessian."""
        value, grad, hess, _, _ = self._derivatives(priors=True)(_floats(z))
        return float(value), np.asarray(grad), np.asarray(hess)

    def model_logp(self, z: np.ndarray, *, priors: bool) -> tuple[float, np.ndarray]:
        """The model's log-probability without Jacobian, every term, and its gradient at ``z``.

        ``pm.find_MAP``'s objective (``model.compile_logp(jacobian=False)``), read from the
        derivative function of the log-likelihood (``priors=False``) or of the log-posterior:
        its value plus the model's other terms (flat priors' zeros, a potential that is not
        data), which that function computes beside it, so no other graph is compiled.
        """
        value, grad, _, rest, rest_grad = self._derivatives(priors)(_floats(z))
        return float(value) + float(rest), np.asarray(grad) + np.asarray(rest_grad)

    def _derivatives(self, priors: bool):
        if priors:
            variables = self.model.free_RVs + self.likelihood
            return self.lazy(
                "posterior", lambda: _compile_derivatives(self.model, self.point, variables)
            )
        return self.lazy(
            "loglik", lambda: _compile_derivatives(self.model, self.point, self.likelihood)
        )

    def natural(self, z: np.ndarray) -> np.ndarray:
        """The flat natural-space parameters at ``z``."""
        function = self.lazy(
            "natural",
            lambda: _compile_natural(self.model, self.point, self.rarely),
            tiered=self.rarely is None,
        )
        return np.asarray(function(_floats(z)), dtype=float)

    def natural_many(self, zs: np.ndarray) -> np.ndarray:
        """The flat natural-space parameters of each row of ``zs`` (one call for all)."""
        function = self.lazy(
            "natural_many",
            lambda: _compile_natural(self.model, self.point, self.rarely, rows=True),
            tiered=self.rarely is None,
        )
        return np.asarray(function(_floats(np.atleast_2d(zs))), dtype=float)

    def natural_jacobian(self, z: np.ndarray) -> np.ndarray:
        """d natural / d z at ``z``."""
        function = self.lazy(
            "natural_jacobian",
            lambda: _compile_natural(self.model, self.point, self.rarely, jacobian=True),
            tiered=self.rarely is None,
        )
        return np.asarray(function(_floats(z)), dtype=float)

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        """The unconstrained z of flat natural parameters (PyMC's forward transforms)."""
        function = self.lazy(
            "to_z",
            lambda: _compile_forward(self.model, self.point, self.rarely),
            tiered=self.rarely is None,
        )
        with np.errstate(all="ignore"):
            return np.asarray(function(_floats(theta)), dtype=float)

    def row_logp(self, z: np.ndarray) -> np.ndarray:
        """Log-probability of each observed row at ``z`` (−inf where PyMC rejects z)."""
        function = self.lazy("rows", lambda: _RowLogp(self.model, self.point))
        return function(_floats(z))

    def weighted_row_logp(
        self, z: np.ndarray, rows: np.ndarray, weights: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Σᵢ wᵢ log p(row rowsᵢ | z) and its exact gradient in z (PyTensor's derivative).

        The kl engine's objective over atoms (one representative row each, with its
        weight) and its gradient; (−inf, NaN) where PyMC rejects z.
        """
        # C from the first call: the kl engine's polish and certificate call it hundreds of
        # times a fit, and PyTensor's Python implementation of its gradient (an indexed
        # increment) wrongly refuses a sample whose rows are all one atom.
        function = self.lazy(
            "weighted_rows", lambda: _WeightedRowLogp(self.model, self.point), tiered=False
        )
        return function(_floats(z), np.ascontiguousarray(rows, dtype=np.int64), _floats(weights))

    def initial_point(self, start: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        """The model's initial point (value variables) with ``start``'s natural values in it.

        As PyMC computes it for ``pm.find_MAP(start)``: the initial-point graph with the
        declared initial values and ``start`` as overrides, compiled once per set of
        overridden names and shapes (the values are inputs).
        """
        overrides = {**self.initvals, **(start or {})}
        if not overrides:
            return dict(self.point)
        key = tuple((name, np.shape(value)) for name, value in overrides.items())
        names, function = self.lazy(
            ("initial_point", key), lambda: _compile_start(self.model, key), tiered=False
        )
        values = [np.asarray(overrides[n], dtype=self.model[n].dtype) for n, _ in key]
        return {n: np.asarray(v) for n, v in zip(names, function(*values), strict=True)}

    def lazy(self, name, build, *, tiered: bool = True):
        """The function ``name``, compiled on first use (``build()``) and kept with this model.

        ``tiered``: it runs on PyTensor's Python implementation for its first
        ``settings["compile_after"]`` calls in this process, then on C code
        (:mod:`toolkit.problem.tiers`); each is built once. What it keeps is pickled as it
        is to keep compiled functions on disk (:mod:`toolkit.problem.cache`): a compiled
        PyTensor function, or an object holding them with this model (``self.model``) and
        its data.
        """
        tier = tiers.C
        if tiered:
            calls = self._calls[name] = self._calls.get(name, 0) + 1
            tier = tiers.tier_at(calls)
        key = (name, tiers.C) if tiered and tier == tiers.C else name
        if key not in self._lazy:
            with tiers.building(tier):
                self._lazy[key] = build()
        return self._lazy[key]

    def to_vector(self, point: Mapping[str, np.ndarray]) -> np.ndarray:
        """Ravel a point of value-variable values in the compiled order."""
        return np.concatenate([np.ravel(point[name]) for name in self.point])

    def indices(self, variables) -> list[int]:
        """Positions in z of the named variables."""
        return [i for name in variables for i in self.coordinates.get(name, [])]


def compile_model(
    model,
    likelihood=None,
    *,
    reused: bool = True,
    containers: Mapping | None = None,
    point: Mapping[str, np.ndarray] | None = None,
) -> CompiledModel:
    """``model`` ready to compile: its functions are compiled on first use (seconds cold).

    ``likelihood`` lists the model's terms that make up the data log-likelihood
    (default: its observed variables; a catalog family's model writes it as one
    potential over atoms weighted by their counts). ``reused``: the model will be
    refitted many times in this process (a catalog family), so the functions called
    a few times per fit are compiled to C too; otherwise (a user's model, compiled for
    one or two fits) they run without C, which saves seconds of compiling.
    ``containers``: shared variables by name that hold data besides the model's
    ``pm.Data`` (a structure's template, :mod:`toolkit.problem.structure`).
    ``point``: the model's initial point when known (kept on disk with its functions);
    otherwise computed (PyMC compiles a function for it).
    """
    if point is None:
        values = _initial_values(model)
        point = {v.name: np.asarray(x) for v, x in zip(model.value_vars, values, strict=True)}
    else:
        point = {name: np.asarray(value) for name, value in point.items()}
    terms = list(model.observed_RVs) if likelihood is None else list(likelihood)
    coordinates = _coordinates(model, point)
    return CompiledModel(
        model=model,
        point=point,
        coordinates=coordinates,
        constrained=_constrained(model, point, coordinates),
        likelihood=terms,
        rarely=None if reused else CHEAP,
        containers=dict(containers or {}),
    )


def _initial_values(model) -> list[np.ndarray]:
    with quiet():
        initial = model.initial_point()
    return [initial[v.name] for v in model.value_vars]


def _function(inputs, outputs, mode=None):
    """A compiled function that trusts its inputs: every caller here passes contiguous
    arrays of the declared dtype and rank (:func:`_floats`), so PyTensor's check of each
    argument, a third of a small function's call, is skipped."""
    import pytensor

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        return pytensor.function(inputs, outputs, mode=tiers.mode(mode), trust_input=True)


def _floats(values) -> np.ndarray:
    """``values`` as a contiguous float64 array (what a trusting function may be given)."""
    return np.ascontiguousarray(values, dtype=np.float64)


#: Mode of the functions a user's model calls a handful of times per fit (transforms,
#: their Jacobian, the start's check): without C, since compiling C code for them would
#: cost seconds cold for microseconds saved.
CHEAP = "FAST_COMPILE"


def _on_vector(point, outputs, value_vars):
    """``outputs`` as functions of one vector z of ``value_vars`` (``point`` gives their shapes).

    As PyMC's ``join_nonshared_inputs``, except that a scalar variable is read as one entry
    ``z[i]`` rather than a slice of length 1 reshaped: the same numbers, and graphs whose
    derivatives fuse into fewer distinct operations (four fewer C modules to compile cold
    for a three-parameter model's Hessian, about 2 s).
    """
    import pytensor
    import pytensor.tensor as pt

    z = pt.concatenate([pt.as_tensor(v).ravel() for v in value_vars]).type("joined_inputs")
    replace, offset = {}, 0
    for var in value_vars:
        shape = point[var.name].shape
        size = int(np.prod(shape, dtype=int))
        block = z[offset] if shape == () else z[offset : offset + size].reshape(shape)
        replace[var] = var.type.filter_variable(block.astype(var.dtype))
        offset += size
    new = [pytensor.clone_replace(out, replace, rebuild_strict=False) for out in outputs]
    return new, z


def _compile_derivatives(model, point, variables):
    """z -> (logp of ``variables``, gradient, Hessian, logp of the model's other terms, its
    gradient), compiled to C: called at every step.

    The Hessian is the vectorised Jacobian of the gradient rather than a Scan over its
    entries: the same numbers, cheaper to compile and to call. The other terms are those
    of ``model.logp()`` not in ``variables`` (flat priors, whose log-probability is a
    constant, and potentials that are not the data's): with them the function also gives
    ``pm.find_MAP``'s objective (:meth:`CompiledModel.model_logp`).
    """
    import pytensor
    import pytensor.tensor as pt

    logp = model.logp(vars=variables, jacobian=False)
    others = [t for t in model.basic_RVs + model.potentials if t not in variables]
    rest = model.logp(vars=others, jacobian=False) if others else pt.constant(0.0)
    (logp, rest), z = _on_vector(point, [logp, pt.as_tensor(rest)], model.value_vars)
    grad = pytensor.gradient.grad(logp, z)
    hess = pytensor.gradient.jacobian(grad, z, vectorize=True)
    rest_grad = pytensor.gradient.grad(rest, z, disconnected_inputs="ignore")
    return _function([z], [logp, grad, hess, rest, rest_grad])


def _compile_natural(model, point, mode, *, jacobian: bool = False, rows: bool = False):
    """z -> the natural values of the free variables, or (``jacobian``) their Jacobian, or
    (``rows``) a matrix of z's, one per row -> a matrix of natural values."""
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.replace import vectorize_graph

    natural = pt.concatenate([pt.flatten(v) for v in model.replace_rvs_by_values(model.free_RVs)])
    (natural,), z = _on_vector(point, [natural], model.value_vars)
    if jacobian:
        return _function([z], pytensor.gradient.jacobian(natural, z, vectorize=True), mode=mode)
    if rows:
        zs = pt.matrix("zs", shape=(None, z.type.shape[0]))
        return _function([zs], vectorize_graph(natural, {z: zs}), mode=mode)
    return _function([z], natural, mode=mode)


def _compile_start(model, key):
    """The initial-point graph with the values of ``key``'s variables as inputs.

    Compiled as ``pymc.initial_point.make_initial_point_fn`` compiles it (FAST_COMPILE,
    random generators replaced), so the point is the one ``pm.find_MAP`` starts from.
    """
    import pytensor.tensor as pt
    from pymc.initial_point import make_initial_point_expression
    from pymc.pytensorf import compile as pm_compile
    from pymc.pytensorf import replace_rng_nodes
    from pymc.util import get_transformed_name

    inputs, overrides = [], {}
    for name, shape in key:
        placeholder = pt.tensor(dtype=model[name].dtype, shape=shape)
        inputs.append(placeholder)
        overrides[model[name]] = placeholder
    initial = make_initial_point_expression(
        free_rvs=model.free_RVs,
        rvs_to_transforms=model.rvs_to_transforms,
        initval_strategies={**model.rvs_to_initial_values, **overrides},
        jitter_rvs=set(),
        default_strategy="support_point",
        return_transformed=True,
    )
    with quiet():
        function = pm_compile(
            inputs=inputs,
            outputs=replace_rng_nodes(initial),
            mode="FAST_COMPILE",
            on_unused_input="ignore",
        )
    names = []
    for rv in model.free_RVs:
        transform = model.rvs_to_transforms[rv]
        names.append(get_transformed_name(rv.name, transform) if transform else rv.name)
    return names, function


def _compile_forward(model, point, mode):
    """theta (flat natural values of the free variables) -> z, by PyMC's forward transforms."""
    import pytensor.tensor as pt
    from pytensor.graph.replace import graph_replace

    theta = pt.vector("theta")
    shapes = model.eval_rv_shapes()
    replacements, offset = {}, 0
    for rv in model.free_RVs:
        shape = tuple(int(s) for s in shapes[rv.name])
        size = int(np.prod(shape)) if shape else 1
        block = theta[offset : offset + size]
        replacements[rv] = block.reshape(shape) if shape else block[0]
        offset += size
    outputs = []
    for rv in model.free_RVs:
        value = replacements[rv]
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            inputs = graph_replace(list(rv.owner.inputs), replacements, strict=False)
            value = transform.forward(value, *inputs)
        outputs.append(pt.flatten(value))
    return _function([theta], pt.concatenate(outputs), mode=mode)


def _coordinates(model, point) -> dict[str, list[int]]:
    rv_names = {v.name: model.values_to_rvs[v].name for v in model.value_vars}
    out, offset = {}, 0
    for value_name, value in point.items():
        out[rv_names[value_name]] = list(range(offset, offset + value.size))
        offset += value.size
    return out


def _constrained(model, point, coordinates) -> np.ndarray:
    """Per coordinate of z: does it map a constrained value to the real line?"""
    mask = np.zeros(sum(v.size for v in point.values()), dtype=bool)
    for rv, value_var in zip(model.free_RVs, model.value_vars, strict=True):
        transform = model.rvs_to_transforms.get(rv)
        kind = type(transform).__name__
        if transform is None or kind in _UNCONSTRAINED_TRANSFORMS:
            continue
        block = np.ones(point[value_var.name].shape, dtype=bool)
        if kind == "Ordered":  # the first element is a free location; increments are logs
            block[..., 0] = False
        elif kind == "CholeskyCovPacked":  # only the diagonal is logged
            size = block.shape[-1]
            order = (int(np.sqrt(8 * size + 1)) - 1) // 2
            block[:] = False
            block[..., np.cumsum(np.arange(1, order + 1)) - 1] = True
        mask[coordinates[rv.name]] = block.ravel()
    return mask


def _row_graph(model, point):
    """(log-probability of each observed row as a graph of z, z), rows summed over their
    trailing axes, observed variables one after another."""
    import pytensor.tensor as pt

    pieces = []
    for rv, lp in zip(
        model.observed_RVs,
        model.logp(vars=model.observed_RVs, jacobian=False, sum=False),
        strict=True,
    ):
        lp = pt.atleast_1d(lp) if rv.ndim == 0 else lp
        pieces.append(lp.reshape((lp.shape[0], -1)).sum(axis=1))
    (rows,), z = _on_vector(point, [pt.concatenate(pieces)], model.value_vars)
    return rows, z


class _RowLogp:
    """z -> log-probability of each observed row (summed over a row's trailing axes)."""

    def __init__(self, model, point):
        rows, z = _row_graph(model, point)
        self.model = model
        self.function = _function([z], rows)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        from pymc.logprob.utils import ParameterValueError

        try:
            return np.asarray(self.function(z), dtype=float)
        except ParameterValueError:  # parameters PyMC rejects: zero probability everywhere
            return np.full(observed_rows(self.model), -np.inf)


class _WeightedRowLogp:
    """(z, rows, weights) -> (Σᵢ wᵢ log p(row rowsᵢ | z), its gradient in z)."""

    def __init__(self, model, point):
        import pytensor
        import pytensor.tensor as pt

        rows, z = _row_graph(model, point)
        index, weights = pt.vector("rows", dtype="int64"), pt.vector("weights")
        total = pt.sum(weights * rows[index])
        self.size = sum(int(np.size(v)) for v in point.values())
        self.function = _function([z, index, weights], [total, pytensor.gradient.grad(total, z)])

    def __call__(self, z, rows, weights) -> tuple[float, np.ndarray]:
        from pymc.logprob.utils import ParameterValueError

        try:
            total, grad = self.function(z, rows, weights)
        except ParameterValueError:  # parameters PyMC rejects: zero probability everywhere
            return -np.inf, np.full(self.size, np.nan)
        return float(total), np.asarray(grad, dtype=float)


def observed_rows(model) -> int:
    """Rows of the observed variables now (their leading axes, summed)."""
    total = 0
    for rv in model.observed_RVs:
        value = np.asarray(data_value(model.rvs_to_values[rv]))
        total += 1 if value.ndim == 0 else len(value)
    return total


def data_value(var) -> np.ndarray:
    """The data behind a shared variable, a constant, or a cast of either (int data)."""
    if hasattr(var, "get_value"):
        return var.get_value(borrow=True)
    if hasattr(var, "data"):
        return var.data
    source = data_source(var)
    if source is not var:
        return np.asarray(data_value(source)).astype(var.dtype)
    return var.eval()


def data_source(var):
    """``var`` without the dtype casts PyMC puts on observed ``pm.Data`` (int32 -> int64)."""
    while var.owner is not None and len(var.owner.inputs) == 1 and "Cast" in str(var.owner.op):
        var = var.owner.inputs[0]
    return var

"""A user's ``pm.Model`` reduced to its structure, so models built by the same code share
compiled functions.

Two models have the same structure when their graphs are equal once their data are
taken out: the observed values, every constant array with a row's leading length (a
covariate written as a numpy array) and every ``pm.Data`` container. The first model
of a structure is cloned into a *template* whose data are shared variables and
compiled once (:func:`~toolkit.problem.compiled.compile_model`); a later model of the
same structure (a new ``pm.Model`` built by the same code with other arrays) reuses
the template's compiled functions with its own data bound into the template's shared
variables, and its own initial values. Anything else that differs (a scalar constant,
a prior, a shape) makes another structure, compiled anew: equality is checked on the
whole graph (:func:`pytensor.graph.basic.equal_computations`), never guessed from a
name.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.problem import cache
from toolkit.problem.compiled import CompiledModel, compile_model

#: Name of the shared variable standing for the i-th constant data array of a template.
DATA_NAME = "klmle_data_{}"


@dataclass(eq=False)
class _Template:
    fgraph: Any  # the structure's graph, data as shared variables (for equality)
    inputs: list  # its root inputs, in the graph's order
    compiled: CompiledModel


#: Templates by a cheap key (value variables, op sequence); equality decides among them.
_TEMPLATES: dict[tuple, list[_Template]] = {}


def compiled_for(model) -> tuple[CompiledModel, dict[str, np.ndarray]]:
    """The compiled functions for ``model``'s structure, and its data by container name.

    The returned :class:`CompiledModel` is a view for ``model``: the template's
    compiled functions, ``model``'s initial point; its data go into the template's
    containers when bound (``compiled.bind(data)``).
    """
    fgraph, data = _lifted(model)
    key = _key(fgraph)
    for template in _TEMPLATES.get(key, []):
        if _equal(fgraph, template):
            break
    else:
        compiled = _compile_template(model, fgraph, data, _digest(fgraph))
        template = _Template(fgraph, list(fgraph.inputs), compiled)
        _TEMPLATES.setdefault(key, []).append(template)
    compiled = template.compiled
    initvals = _initvals(model)
    if initvals is None:  # an initial-value strategy other than a value: the model's own
        point = _own_point(model)
    else:
        compiled.bind(data)
        point = compiled.initial_point(initvals) if initvals else compiled.point
    return dataclasses.replace(compiled, point=point, initvals=initvals or {}), data


def _compile_template(model, fgraph, data, digest: str | None) -> CompiledModel:
    """The template of ``fgraph``'s structure, with its functions kept on disk by ``digest``
    (:mod:`toolkit.problem.cache`; None: compiled in this process only)."""
    from pymc.model.fgraph import model_from_fgraph
    from pymc.util import treelist

    template = model_from_fgraph(fgraph, mutate_fgraph=False)
    # The clone lists variables in graph order; z and the rows follow the model's order.
    for attribute in ("free_RVs", "observed_RVs"):
        order = [rv.name for rv in getattr(model, attribute)]
        ordered = sorted(getattr(template, attribute), key=lambda rv: order.index(rv.name))
        setattr(template, attribute, treelist(ordered))
    containers = _containers(template, set(data))
    if digest is None:
        return compile_model(template, reused=False, containers=containers)
    return cache.compiled_model(template, ("model", digest), reused=False, containers=containers)


@contextmanager
def _without_initvals(model):
    """PyMC clones only models without initial values; they are taken per model anyway."""
    saved = dict(model.rvs_to_initial_values)
    try:
        for rv in saved:
            model.rvs_to_initial_values[rv] = None
        yield
    finally:
        model.rvs_to_initial_values.update(saved)


def _lifted(model):
    """``model`` as a graph with its data as shared variables, and the data by name."""
    import pytensor
    from pymc.model.fgraph import fgraph_from_model
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.tensor.random.type import RandomType

    with _without_initvals(model):
        fgraph, _ = fgraph_from_model(model)
    rows = {_leading(rv) for rv in model.observed_RVs} - {None, 0, 1}
    data: dict[str, np.ndarray] = {}
    constants: list = []
    seen: set = set()
    for node in fgraph.toposort():
        for var in node.inputs:
            if var in seen:
                continue
            seen.add(var)
            if isinstance(var, SharedVariable) and not isinstance(var.type, RandomType):
                data[var.name] = var.get_value(borrow=True)
            elif (
                isinstance(var, Constant)
                and getattr(var.type, "ndim", 0) >= 1
                and var.data.shape[0] in rows
                and np.asarray(var.data).dtype.kind in "biuf"
            ):
                constants.append(var)
    for i, constant in enumerate(constants):
        name = DATA_NAME.format(i)
        shared = pytensor.shared(constant.data, name=name, shape=constant.type.shape)
        fgraph.replace(constant, shared, import_missing=True)
        data[name] = constant.data
    return fgraph, data


def _leading(rv) -> int | None:
    shape = rv.type.shape
    return shape[0] if shape else None


def _key(fgraph) -> tuple:
    from pytensor.graph.basic import Constant

    values = tuple((v.name, str(v.type)) for v in fgraph.inputs if not isinstance(v, Constant))
    return values, tuple(str(node.op) for node in fgraph.toposort())


class _NoDigest(Exception):
    """A part of the graph has no description that is the same in every process."""


def _digest(fgraph) -> str | None:
    """A digest of the structure's graph, the same in every process that builds it.

    Each node is written as its op's class and properties and where its inputs come
    from; a root input as its name and type (a value variable, a data container), a
    constant as its type and a digest of its bytes. None when an op or a property has
    no such description (an op without ``__props__``, a transform holding a function):
    that structure's functions are then compiled in each process.
    """
    import hashlib

    from pytensor.graph.basic import Constant

    digest = hashlib.sha256()
    where: dict = {}
    try:
        for i, var in enumerate(fgraph.inputs):
            where[var] = ("input", i)
            digest.update(repr((var.name, _describe(var.type))).encode())
        for n, node in enumerate(fgraph.toposort()):
            sources = []
            for var in node.inputs:
                if var in where:
                    sources.append(where[var])
                elif isinstance(var, Constant):
                    sources.append((_describe(var.type), _constant(var.data)))
                else:
                    raise _NoDigest(var)
            outputs = []
            for j, var in enumerate(node.outputs):
                where[var] = ("node", n, j)
                outputs.append((var.name, _describe(var.type)))
            digest.update(repr((_describe(node.op), sources, outputs)).encode())
        digest.update(repr([where[var] for var in fgraph.outputs]).encode())
    except _NoDigest:
        return None
    return digest.hexdigest()


def _constant(data) -> str:
    """A constant's value as a digest of its bytes (an array of numbers) or its ``repr``."""
    import hashlib

    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
        return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()
    return _describe(data)


#: Plain values whose ``repr`` is the same in every process.
_PLAIN = (type(None), bool, int, float, complex, str, bytes, np.dtype, np.generic)


def _describe(value, depth: int = 0):
    """``value`` as plain data: an op, a type or a transform as its class and attributes.

    Raises :class:`_NoDigest` for anything else, and for an op with an inner graph
    (``OpFromGraph``, ``Scan``, a symbolic random variable): its properties do not
    describe that graph.
    """
    from pymc.logprob.transforms import Transform
    from pytensor.graph.type import Type
    from pytensor.scalar import ScalarOp

    if depth > 20:
        raise _NoDigest(value)
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, tuple | list):
        return tuple(_describe(v, depth + 1) for v in value)
    if isinstance(value, dict) or type(value).__name__ == "frozendict":
        return tuple(sorted((repr(k), _describe(v, depth + 1)) for k, v in value.items()))
    if callable(value) and hasattr(value, "__qualname__") and not hasattr(value, "__props__"):
        if "<" in value.__qualname__:  # a lambda or a closure: no name says its code
            raise _NoDigest(value)
        return f"{value.__module__}.{value.__qualname__}"  # a module-level function
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if any(hasattr(value, a) for a in ("fgraph", "inner_outputs", "inner_graph")):
        raise _NoDigest(value)
    props = getattr(value, "__props__", None)
    if props is not None:
        return (name, tuple((p, _describe(getattr(value, p), depth + 1)) for p in props))
    if isinstance(value, Type):
        return (name, str(value))
    if isinstance(value, Transform | ScalarOp):  # their attributes say what they compute
        return (name, _describe(vars(value), depth + 1))
    raise _NoDigest(value)


def _equal(fgraph, template: _Template) -> bool:
    from pytensor.graph.basic import equal_computations

    if len(fgraph.inputs) != len(template.inputs):
        return False
    return equal_computations(
        fgraph.outputs, template.fgraph.outputs, in_xs=fgraph.inputs, in_ys=template.inputs
    )


def _containers(template, names: set[str]) -> dict[str, Any]:
    """The template's shared variables holding data, by name."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import ancestors

    outputs = list(template.named_vars.values()) + list(template.rvs_to_values.values())
    found = {}
    for var in ancestors(outputs):
        if isinstance(var, SharedVariable) and var.name in names:
            found[var.name] = var
    missing = names - set(found)
    if missing:  # pragma: no cover - a PyMC change in how models are cloned
        raise RuntimeError(f"the template model lost its data containers {sorted(missing)}")
    return found


def _initvals(model) -> dict[str, np.ndarray] | None:
    """The model's initial values by variable name; None when one is a strategy name."""
    out = {}
    for rv, value in model.rvs_to_initial_values.items():
        if value is None or (isinstance(value, str) and value == "support_point"):
            continue
        if isinstance(value, str) or np.asarray(value).dtype.kind not in "biuf":
            return None
        out[rv.name] = np.asarray(value)
    return out


def _own_point(model) -> dict[str, np.ndarray]:
    from toolkit.quiet import quiet

    with quiet():
        initial = model.initial_point()
    return {v.name: np.asarray(initial[v.name]) for v in model.value_vars}

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
        compiled = _compile_template(model, fgraph, data)
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


def _compile_template(model, fgraph, data) -> CompiledModel:
    from pymc.model.fgraph import model_from_fgraph
    from pymc.util import treelist

    template = model_from_fgraph(fgraph, mutate_fgraph=False)
    # The clone lists variables in graph order; z and the rows follow the model's order.
    for attribute in ("free_RVs", "observed_RVs"):
        order = [rv.name for rv in getattr(model, attribute)]
        ordered = sorted(getattr(template, attribute), key=lambda rv: order.index(rv.name))
        setattr(template, attribute, treelist(ordered))
    containers = _containers(template, set(data))
    return compile_model(template, reused=False, containers=containers)


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

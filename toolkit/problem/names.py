"""Parameter names: the one place where variables become flat names and back.

A scalar variable keeps its PyMC name (``sigma``); a vector variable is expanded
in order as ``beta[0]``, ``beta[1]``, ... (a matrix in row-major order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

Shapes = Mapping[str, tuple[int, ...]]


def flat_names(shapes: Shapes) -> tuple[str, ...]:
    """Flat names of variables with the given shapes, in order.

    Examples
    --------
    >>> flat_names({"beta": (3,), "sigma": ()})
    ('beta[0]', 'beta[1]', 'beta[2]', 'sigma')
    """
    names: list[str] = []
    for name, shape in shapes.items():
        if shape:
            names.extend(f"{name}[{i}]" for i in range(int(np.prod(shape))))
        else:
            names.append(name)
    return tuple(names)


def variable_of(flat_name: str) -> str:
    """The variable a flat name belongs to: ``beta[2]`` -> ``beta``."""
    return flat_name.split("[", 1)[0]


def unflatten(theta: np.ndarray, shapes: Shapes) -> dict[str, Any]:
    """A flat vector (in :func:`flat_names` order) as variables: floats and arrays.

    Examples
    --------
    >>> unflatten(np.array([1.0, 2.0, 0.5]), {"beta": (2,), "sigma": ()})
    {'beta': array([1., 2.]), 'sigma': 0.5}
    """
    theta = np.asarray(theta, dtype=float)
    out: dict[str, Any] = {}
    offset = 0
    for name, shape in shapes.items():
        size = int(np.prod(shape)) if shape else 1
        block = theta[offset : offset + size]
        out[name] = block.reshape(shape).copy() if shape else float(block[0])
        offset += size
    if offset != theta.size:
        raise ValueError(f"{theta.size} values for variables of {offset} values in all")
    return out


def unflattener(shapes: Shapes) -> Callable[[np.ndarray], dict[str, Any]]:
    """``theta -> unflatten(theta, shapes)``; one ``zip`` when every variable is a scalar
    (the kl engine's objective unflattens at each of its hundreds of evaluations)."""
    if any(shapes.values()):
        return lambda theta: unflatten(theta, shapes)
    names = tuple(shapes)

    def scalars(theta: np.ndarray) -> dict[str, Any]:
        values = np.asarray(theta, dtype=float).ravel().tolist()
        if len(values) != len(names):
            raise ValueError(f"{len(values)} values for variables of {len(names)} values in all")
        return dict(zip(names, values, strict=True))

    return scalars


def flatten(params: Mapping[str, Any], shapes: Shapes) -> np.ndarray:
    """Variables (by name, in any order) as one flat vector in :func:`flat_names` order."""
    parts = [np.ravel(np.asarray(params[name], dtype=float)) for name in shapes]
    return np.concatenate(parts) if parts else np.zeros(0)

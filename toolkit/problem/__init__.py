"""Problems: a model and its data, validated, reduced to atoms and compiled, for every engine.

One frozen type, :class:`Problem`, built by one adapter per kind of input:

- a catalog family and a sample (:func:`~toolkit.problem.family.family_problem`),
- a regression family and a frame or arrays
  (:func:`~toolkit.problem.regression.regression_problem`),
- any ``pm.Model`` with observed data (:func:`~toolkit.problem.model.model_problem`).

:func:`make_problem` picks the adapter; nothing downstream asks which one it was.
"""

from __future__ import annotations

from typing import Any

from models import get_family
from models.regression.declaration import RegressionFamily
from toolkit.problem.family import family_problem
from toolkit.problem.model import model_problem
from toolkit.problem.problem import Design, Problem
from toolkit.problem.regression import regression_problem

__all__ = ["Design", "Problem", "is_pymc_model", "make_problem"]


def make_problem(model: Any, data: Any = None, **options: Any) -> Problem:
    """The problem for a family name and its data, or for a ``pm.Model``.

    Parameters
    ----------
    model : str or pymc.Model
        A family name from the catalog, or a model with observed data.
    data : array_like or pandas.DataFrame, optional
        The data of a family (None for a ``pm.Model``, which carries its own).
    **options
        The family's options (``n``, ``k``; for regression families ``y``, ``x``,
        ``intercept``, ``mean``, ``params``, ``start``).
    """
    if isinstance(model, str):
        family = get_family(model)
        if isinstance(family, RegressionFamily):
            return regression_problem(family, data, **options)
        return family_problem(family, data, options)
    if not is_pymc_model(model):
        raise TypeError(
            f"compare() takes a family name from the catalog or a pm.Model, "
            f"got {type(model).__name__}"
        )
    if data is not None:
        raise ValueError("a pm.Model carries its own observed data: do not pass data")
    if options:
        raise ValueError(f"a pm.Model takes no family options; got {sorted(options)}")
    return model_problem(model)


def is_pymc_model(model: Any) -> bool:
    """True for a ``pm.Model`` (checked without importing PyMC for family names)."""
    return any(
        c.__module__.startswith("pymc") and c.__name__ == "Model" for c in type(model).__mro__
    )

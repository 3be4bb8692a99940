"""Engines: one module per way of fitting a problem, run in registry order.

Each module has a ``NAME`` and ``fit(problem, fits) -> Fit | None`` (None: does
not apply to this problem); ``fits`` holds the engines that ran before it, so
``mle`` and ``map`` can start from ``find_map``'s point. Adding an engine is
adding one module and one line here. Every fit is certified by one rule
(:func:`toolkit.engines.fit.certify`).
"""

from __future__ import annotations

from types import MappingProxyType

from toolkit.engines import closed_form, find_map, kl, map, mle, scipy
from toolkit.engines.fit import Fit, FitCertificate
from toolkit.problem import Problem

__all__ = ["ENGINES", "Fit", "FitCertificate", "run_engines"]

#: The engines by name, in the order they run.
ENGINES = MappingProxyType(
    {module.NAME: module.fit for module in (find_map, mle, kl, closed_form, scipy, map)}
)


def run_engines(problem: Problem) -> dict[str, Fit]:
    """Every engine that applies to ``problem``, by name, in registry order."""
    fits: dict[str, Fit] = {}
    for name, fit in ENGINES.items():
        result = fit(problem, MappingProxyType(fits))
        if result is not None:
            fits[name] = result
    return fits

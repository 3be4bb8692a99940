"""The catalog of model families, declared in PyMC.

Each module under a subpackage of ``models`` (``models.univariate``, ...)
declares one family as a module-level ``FAMILY``. The registry below is the
only list of families: the CLI, the docs and the tests all read it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from models.family import Family, Option

__all__ = ["Family", "Option", "families", "get_family"]

_SUBPACKAGES = ("models.univariate", "models.multivariate", "models.regression")


@cache
def _registry() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for package_name in _SUBPACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            family = getattr(module, "FAMILY", None)
            if family is None:
                continue
            if family.name in found:
                raise RuntimeError(f"family {family.name!r} is declared twice")
            found[family.name] = family
    return found


def families() -> dict[str, Family]:
    """All declared families by name, in catalog order."""
    return dict(_registry())


def get_family(name: str) -> Family:
    """The family called ``name``; a ValueError lists the valid names otherwise."""
    registry = _registry()
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"unknown family {name!r}; valid: {', '.join(registry)}")
    return registry[name]

"""The toolkit's settings: one validated table with defaults, read everywhere from here.

Every threshold that decides a verdict (agreement tolerance, what counts as an
optimum, what counts as the boundary) and the multi-start's defaults live in
:data:`settings`, as ArviZ keeps its ``rcParams``. Change one for a block of
code with :func:`settings_context`, or for the session by assignment:

>>> from toolkit.config import settings, settings_context
>>> settings["tolerance"]
0.001
>>> with settings_context(tolerance=1e-4):
...     settings["tolerance"]
0.0001
>>> settings["tolerance"]
0.001
>>> settings["tolerance"] = -1
Traceback (most recent call last):
...
ValueError: setting 'tolerance' must be a positive number, got -1
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SETTINGS", "Settings", "settings", "settings_context"]


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"must be finite, got {value!r}")
    return float(value)


def _fraction(value: Any) -> float:
    value = _positive(value)
    if value >= 1:
        raise ValueError(f"must be a number between 0 and 1, got {value!r}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a non-negative integer, got {value!r}")
    return int(value)


def _optional_count(value: Any) -> int | None:
    return None if value is None else _count(value)


def _positive_count(value: Any) -> int:
    value = _count(value)
    if value < 1:
        raise ValueError(f"must be a positive integer, got {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be True or False, got {value!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One entry of the table: its default, its validator and what it means."""

    default: Any
    validate: Callable[[Any], Any]
    doc: str


#: The table: every setting's default, validator and meaning.
SETTINGS: dict[str, Setting] = {
    "tolerance": Setting(
        1e-3,
        _positive,
        "engines agree when no parameter differs from the MLE by more than this many "
        "standard errors: far below sampling noise, far above optimiser error",
    ),
    "stationary_fraction": Setting(
        1e-3,
        _fraction,
        "a fit is at an optimum when the Newton step to it (in standard errors) is at most "
        "this fraction of the tolerance: its own error is then negligible at the resolution "
        "it is judged at",
    ),
    "boundary_z": Setting(
        30.0,
        _positive,
        "a constrained parameter is on the edge of its support when its unconstrained "
        "coordinate (log, logit, ...) is beyond ±boundary_z and the data pin that coordinate "
        "down to no better than ±1 (observed information below 1)",
    ),
    "n_starts": Setting(
        None,
        _optional_count,
        "seeded jittered starts besides the model's own start; None: the problem's default "
        "(0 for a catalog family, 1 for a regression family, 4 for a mean function or a "
        "user's model)",
    ),
    "seed": Setting(0, _count, "seed of the jittered starts"),
    "laplace_draws": Setting(
        1000, _positive_count, "draws of the Laplace approximation in a posterior group"
    ),
    "peer_max_n": Setting(
        100_000,
        _positive_count,
        "observations above which a peer's own fit (scipy.stats) is skipped, and the "
        "comparison says so: such fits do not scale, and a peer never enters the verdict "
        "unless it ran on all the data",
    ),
    "pseudo_atoms_above": Setting(
        100_000,
        _positive_count,
        "distinct values above which a family with sufficient statistics shows PyMC its "
        "sample as one or two pseudo-atoms with the same weighted statistics (the same "
        "log-likelihood, by algebra) instead of every distinct value",
    ),
    "compile_after": Setting(
        1000,
        _count,
        "calls of a model's compiled function in a process after which it is compiled to C; "
        "before that it runs on PyTensor's Python implementation, which costs nothing to "
        "compile (toolkit.problem.tiers); 0: C from the first call",
    ),
    "function_cache": Setting(
        True,
        _flag,
        "keep the compiled functions of catalog and regression models on disk, in "
        "PyTensor's compile directory, so that a new process skips PyTensor's graph "
        "rewriting (toolkit.problem.cache); False: compile them in every process",
    ),
}


class Settings(MutableMapping):
    """A dict of the settings in :data:`SETTINGS` that validates every assignment."""

    def __init__(self) -> None:
        self._values = {name: s.default for name, s in SETTINGS.items()}

    def __getitem__(self, name: str) -> Any:
        self._check_name(name)
        return self._values[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._check_name(name)
        try:
            self._values[name] = SETTINGS[name].validate(value)
        except ValueError as err:
            raise ValueError(f"setting {name!r} {err}") from None

    def __delitem__(self, name: str) -> None:
        raise TypeError("settings cannot be deleted; assign the default instead")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"

    def reset(self) -> None:
        """Every setting back to its default."""
        self._values = {name: s.default for name, s in SETTINGS.items()}

    @staticmethod
    def _check_name(name: str) -> None:
        if name not in SETTINGS:
            raise KeyError(f"unknown setting {name!r}; valid: {', '.join(SETTINGS)}")


#: The process-wide settings.
settings = Settings()


@contextlib.contextmanager
def settings_context(**changes: Any) -> Iterator[Settings]:
    """Change settings inside a ``with`` block; the previous values come back after it.

    A value of ``None`` leaves that setting unchanged, so optional keyword arguments
    can be passed straight through (assign ``settings[name] = None`` to set ``None``).
    """
    previous = dict(settings._values)
    try:
        for name, value in changes.items():
            if value is not None:
                settings[name] = value
        yield settings
    finally:
        settings._values = previous

"""Keep PyTensor, PyMC and ArviZ warnings and log lines off the user's terminal.

One context manager, used wherever the toolkit calls into those libraries
(``find_MAP``, NUTS, ArviZ plots, netCDF I/O). It filters warnings only from
those libraries (plus numerical RuntimeWarnings, which the engines judge
themselves through their certificates), never all warnings.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

_LIBRARIES = ("arviz", "pytensor", "pymc", "xarray")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the libraries' warnings and lower their loggers to ERROR, then restore."""
    loggers = [logging.getLogger(name) for name in ("pymc", "pytensor", "arviz")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for module in _LIBRARIES:
                warnings.filterwarnings("ignore", module=rf"{module}(\.|$)")
            warnings.filterwarnings("ignore", message=".*InferenceData.*")
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

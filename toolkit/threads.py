"""BLAS on one thread while the toolkit works on matrices of a few parameters.

The engines' and the report's linear algebra is on matrices of a few parameters,
where waking OpenBLAS's thread pool costs more than the work, and far more when the
other core is busy (the mv_normal demo's KL profiles: 0.08 s on one thread, 0.5 to
9 s on two while a worker process draws the previous report section).
"""

from __future__ import annotations

from functools import cache

from threadpoolctl import ThreadpoolController


def one_blas_thread():
    """A context manager: BLAS limited to one thread inside, restored on exit."""
    return _threadpools().limit(limits=1, user_api="blas")


@cache
def _threadpools() -> ThreadpoolController:
    """The process's thread pools, found once (a fresh search costs milliseconds)."""
    return ThreadpoolController()

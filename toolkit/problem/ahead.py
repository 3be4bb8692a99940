"""Models compiled ahead in a second process, while the main one fits (``klmle demo``).

On a cold compile cache most of a run over many models is PyTensor building and
rewriting each model's graphs (0.3–10 s a model), one model after another, while the
fits take a fraction of that. :class:`CompileAhead` forks a process that builds the
functions a comparison of each later model calls and keeps them on disk
(:mod:`toolkit.problem.cache`); the main process restores them when it gets there
instead of building them. When the main process reaches a model the other process is
still building, it builds the next models nobody has started yet itself, so that both
cores build; a model the other process has not started when the main process reaches
it is built in the main process as usual. Whatever goes wrong on the other side (it
could not start, it died, a model failed), the main process builds what it needs
itself: the result is the same comparisons, only later. Where fork is not available
(not Linux), with a single core, or when most models are kept on disk already, nothing
is compiled ahead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from concurrent import futures
from typing import Any

from toolkit.problem import cache
from toolkit.quiet import quiet

#: A model to compile ahead: what :func:`toolkit.problem.make_problem` takes.
Job = tuple[Any, Any, dict]


def available() -> bool:
    """Is there a core to compile ahead on, and fork to start a process with?"""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1


def worth_it(jobs: Sequence[Job]) -> bool:
    """Compile ahead unless most models are kept on disk already (an earlier run of the
    same code wrote them): then there is little to build, and the other core is better
    left to whatever else runs beside the fits (the report's drawing)."""
    return available() and cache.kept_files() < len(jobs) // 2


class CompileAhead:
    """Build later models' functions in a forked process while the main one fits.

    Parameters
    ----------
    jobs : sequence of (model or family name, data, options)
        The models, in the order the main process fits them.
    enabled : bool, optional
        False: nothing is compiled ahead (default: :func:`worth_it`).

    Examples
    --------
    ::

        with CompileAhead(jobs) as ahead:
            for i, (name, data, options) in enumerate(jobs):
                ahead.ready(i)          # its functions on disk, or built here
                compare(name, data, **options)
    """

    def __init__(self, jobs: Sequence[Job], *, enabled: bool | None = None):
        self.jobs = list(jobs)
        self.enabled = worth_it(self.jobs) if enabled is None else enabled
        self._pool: futures.ProcessPoolExecutor | None = None
        self._futures: dict[int, futures.Future] = {}

    def __enter__(self) -> CompileAhead:
        if self.enabled and len(self.jobs) > 1:
            import multiprocessing

            self._pool = futures.ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("fork"), initializer=_start
            )
            # The first model is the main process's own; the other process starts on the next.
            for i in range(1, len(self.jobs)):
                self._futures[i] = self._pool.submit(prepare, self.jobs[i], True)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def ready(self, index: int) -> None:
        """Before the main process fits job ``index``: wait for the other process if it is
        building that job's model, building the next unstarted ones here meanwhile."""
        future = self._futures.pop(index, None)
        if future is None or future.cancel():  # never sent, or not started: built here
            return
        while not future.done():
            later = next((i for i in sorted(self._futures) if self._futures[i].cancel()), None)
            if later is None:
                break
            del self._futures[later]
            prepare(self.jobs[later], False)
        with contextlib.suppress(Exception):  # a failed job is built here, with its error
            future.result()


def prepare(job: Job, keep: bool) -> None:
    """Build the functions a comparison of ``job`` calls (in this process's tier, as its
    first fits would), and with ``keep`` write them to disk. Bad data are skipped: the
    main process raises their error when it fits them."""
    from toolkit.problem import make_problem

    model, data, options = job
    with quiet(), contextlib.suppress(Exception):
        problem = make_problem(model, data, **options)
        compiled = problem.pymc
        start = problem.unflatten(problem.start) if problem.start is not None else None
        z = compiled.initial_z
        for build in (
            lambda: compiled.initial_point(start),
            lambda: compiled.loglik_derivatives(z),
            lambda: compiled.posterior_derivatives(z) if problem.has_priors else None,
            lambda: compiled.natural_jacobian(z),
            lambda: compiled.to_z(compiled.natural(z)),
            lambda: compiled.natural_many(z[None, :]),
        ):
            with contextlib.suppress(Exception):  # a value PyMC rejects: built all the same
                build()
    if keep:
        cache.save_all()


def _start() -> None:
    """In the forked process: Ctrl-C is the main process's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

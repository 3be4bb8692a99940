"""Entry sections drawn in a second process while the main one goes on fitting.

Drawing an entry's section (its figures as PNGs, its tables) takes about a second
and needs nothing but the entry; fitting needs the compiled models, which stay in
the main process. So :class:`SectionDrawer` draws each section in a worker process
as soon as its entry exists, while the main process fits the next comparison. When
the main process asks for the sections (:meth:`SectionDrawer.collect`), it draws
itself those the worker has not started, from the end of the queue while the worker
goes on from its start, so that the two meet in the middle.

A section drawn by the worker is the same HTML as one drawn inline: the same code
(:func:`toolkit.report.render.entry_section`) in a copy of the same process (the
worker is forked, so matplotlib's settings and the warning filters are the main
process's). Whatever goes wrong on the worker's side (it could not start, it died,
its result did not come back), the section is drawn inline instead, where a real
error of the drawing code is raised as it would be without a worker. The worker is
forked before the first comparison (no other thread yet) and ignores Ctrl-C, which
the main process handles; where fork is not available (not Linux), or with a single
core, every section is drawn inline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent import futures

from toolkit.quiet import quiet
from toolkit.report.html import Html
from toolkit.report.render import entry_section
from toolkit.report.results import ReportEntry

#: Worker processes at most (each holds a copy of the main process).
MAX_WORKERS = 4


def worker_count() -> int:
    """Workers worth starting here: one per core beyond the main process's (0: inline)."""
    if not sys.platform.startswith("linux"):
        return 0
    return max(0, min(len(os.sched_getaffinity(0)) - 1, MAX_WORKERS))


class SectionDrawer:
    """Draw entry sections in worker processes, collect them in the entries' order.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: :func:`worker_count`); 0 draws every section inline.

    Examples
    --------
    In the demo (``toolkit.cli``), each entry is submitted as soon as it is fitted::

        with SectionDrawer() as drawer:
            for entry in entries:       # as each is made
                drawer.submit(entry)
            sections = drawer.collect(entries)
            write_unit(entries, "demo.html", drawn=sections)
    """

    def __init__(self, workers: int | None = None):
        self.workers = worker_count() if workers is None else workers
        #: Keys of the sections a worker drew (the others were drawn in this process).
        self.from_workers: set[str] = set()
        self._pool: futures.ProcessPoolExecutor | None = None
        self._futures: dict[str, futures.Future] = {}

    def __enter__(self) -> SectionDrawer:
        if self.workers > 0:
            import multiprocessing

            self._pool = futures.ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
            )
            # Forked now, before any other thread; the worker imports its drawing libraries
            # while the main process fits the first comparison.
            self._pool.submit(_warm_up)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, entry: ReportEntry) -> None:
        """Start drawing ``entry``'s section in a worker (nothing without workers)."""
        if self._pool is None:
            return
        with contextlib.suppress(futures.BrokenExecutor, RuntimeError):  # else drawn inline
            self._futures[entry.key] = self._pool.submit(_draw_section, entry)

    def collect(
        self,
        entries: Sequence[ReportEntry],
        progress: Callable[[str], None] | None = None,
        *,
        steal: bool = True,
    ) -> dict[str, Html]:
        """Every entry's section by key: the workers', and those they did not start drawn here.

        ``progress`` is called with each entry's label once its section is at hand.
        ``steal=False`` waits for the workers to draw every section they were given.
        """
        sections: dict[str, Html] = {}
        remaining = list(entries)
        if not steal:
            futures.wait(list(self._futures.values()))

        def keep(entry: ReportEntry, section: Html) -> None:
            sections[entry.key] = section
            remaining.remove(entry)
            if progress is not None:
                progress(f"{entry.family} on {entry.dataset}")

        while remaining:
            for entry in [e for e in remaining if self._done(e)]:
                keep(entry, self._result(entry))
            if not remaining:
                break
            # Drawn here: the last one the workers have not started (the first, without any).
            last = remaining[-1] if self._futures else remaining[0]
            future = self._futures.pop(last.key, None)
            if future is None or future.cancel():
                keep(last, _draw_section(last))
                continue
            self._futures[last.key] = future
            waiting = [self._futures[e.key] for e in remaining if e.key in self._futures]
            futures.wait(waiting, return_when=futures.FIRST_COMPLETED)
        return sections

    def _done(self, entry: ReportEntry) -> bool:
        future = self._futures.get(entry.key)
        return future is not None and future.done()

    def _result(self, entry: ReportEntry) -> Html:
        """The worker's section, or the section drawn here when the worker gave none."""
        future = self._futures.pop(entry.key)
        try:
            section = future.result()
        except Exception:  # the worker died or failed: drawn here, where an error is real
            return _draw_section(entry)
        self.from_workers.add(entry.key)
        return section


def _start_worker() -> None:
    """In the worker: Ctrl-C is the main process's to handle (it stops the worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm_up() -> None:
    """Import what drawing needs (matplotlib's Agg backend, ArviZ's plots, PIL)."""
    import arviz.plots  # noqa: F401
    from PIL import Image  # noqa: F401

    from toolkit.report.figures import _pyplot

    _pyplot()


def _draw_section(entry: ReportEntry) -> Html:
    with quiet():
        return entry_section(entry)

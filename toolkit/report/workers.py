"""Sections drawn, and results files written, in a second process while the main one fits.

Drawing an entry's section (its figures as PNGs, its tables) takes about a second,
and writing its results file a fifth of that; both need nothing but the entry,
while fitting needs the compiled models, which stay in the main process. So
:class:`ReportWorkers` sends each entry to a worker process as soon as it exists,
while the main process fits the next comparison: the worker draws its section and,
for a report written with :func:`toolkit.report.unit.write_unit`, writes its results
file as a draft beside the report. When the main process asks for the sections
(:meth:`ReportWorkers.collect`), it draws itself those the worker has not started,
from the end of the queue while the worker goes on from its start, so that the two
meet in the middle; ``write_unit`` then moves the drafts into the new unit and writes
the files of the entries drawn here.

A section drawn by the worker is the same HTML as one drawn inline, and a draft the
same file as one written inline: the same code (:func:`toolkit.report.render.entry_section`,
:func:`toolkit.report.results.write_entry`) in a copy of the same process (the worker
is forked, so matplotlib's settings and the warning filters are the main process's).
Whatever goes wrong on the worker's side (it could not start, it died, its result
did not come back), the entry is drawn and written inline instead, where a real error
is raised as it would be without a worker. The worker is forked before the first
comparison (no other thread yet) and ignores Ctrl-C, which the main process handles;
where fork is not available (not Linux), or with a single core, everything is done
inline. Drafts live in a hidden folder beside the report, ``.NAME.PID.rRANDOM.drafts``,
removed when the workers stop, or by the next write of that report if the process
was killed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from pathlib import Path

from toolkit.quiet import quiet
from toolkit.report.files import remove, temporary_name
from toolkit.report.html import Html
from toolkit.report.render import entry_section
from toolkit.report.results import ReportEntry, write_entry

#: Worker processes at most (each holds a copy of the main process).
MAX_WORKERS = 4


def worker_count() -> int:
    """Workers worth starting here: one per core beyond the main process's (0: inline)."""
    if not sys.platform.startswith("linux"):
        return 0
    return max(0, min(len(os.sched_getaffinity(0)) - 1, MAX_WORKERS))


def new_unit() -> str:
    """A fresh identifier of a report and its results (``20261121T120000-0123456789ab``)."""
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(6)}"


class ReportWorkers:
    """Draw entries' sections, and write their results files, in worker processes.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: :func:`worker_count`); 0 does everything inline.
    report : path-like, optional
        The report whose results the workers also write (as drafts beside it, for
        :func:`toolkit.report.unit.write_unit`); without it they only draw.

    Examples
    --------
    In the demo (``toolkit.cli``), each entry is submitted as soon as it is fitted::

        with ReportWorkers(report="demo.html") as workers:
            for entry in entries:       # as each is made
                workers.submit(entry)
            write_unit(entries, "demo.html", workers=workers)
    """

    def __init__(self, workers: int | None = None, *, report: str | os.PathLike | None = None):
        self.workers = worker_count() if workers is None else workers
        #: The unit identifier the drafts carry (None: no results are written here).
        self.unit = new_unit() if report is not None else None
        #: Keys of the entries a worker drew (and wrote): the others were done here.
        self.from_workers: set[str] = set()
        self._report = Path(report) if report is not None else None
        self._drafts: Path | None = None
        self._submitted: list[str] = []
        self._pool: futures.ProcessPoolExecutor | None = None
        self._futures: dict[str, futures.Future] = {}
        self._sections: dict[str, Html] = {}

    def __enter__(self) -> ReportWorkers:
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
        if self._drafts is not None:
            remove(self._drafts)

    def submit(self, entry: ReportEntry) -> None:
        """Start drawing ``entry``'s section (and writing its draft) in a worker."""
        order = len(self._submitted)
        self._submitted.append(entry.key)
        if self._pool is None:
            return
        with contextlib.suppress(futures.BrokenExecutor, RuntimeError, OSError):  # else inline
            draft = self._draft(entry, order)
            self._futures[entry.key] = self._pool.submit(_do, entry, draft, order, self.unit)

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
        Sections collected before are not drawn again.
        """
        sections = self._sections
        remaining = list(entries)
        if not steal:
            futures.wait(list(self._futures.values()))

        def keep(entry: ReportEntry, section: Html) -> None:
            sections[entry.key] = section
            remaining.remove(entry)
            if progress is not None:
                progress(f"{entry.family} on {entry.dataset}")

        for entry in [e for e in remaining if e.key in sections]:
            keep(entry, sections[entry.key])

        while remaining:
            for entry in [e for e in remaining if self._done(e)]:
                keep(entry, self._result(entry))
            if not remaining:
                break
            # Drawn here: the last one the workers have not started (the first, without any).
            last = remaining[-1] if self._futures else remaining[0]
            future = self._futures.pop(last.key, None)
            if future is None or future.cancel():
                keep(last, _do(last))
                continue
            self._futures[last.key] = future
            waiting = [self._futures[e.key] for e in remaining if e.key in self._futures]
            futures.wait(waiting, return_when=futures.FIRST_COMPLETED)
        return {e.key: sections[e.key] for e in entries}

    def written(self, entries: Sequence[ReportEntry], unit: str | None) -> dict[str, Path]:
        """The results files the workers wrote for ``entries`` (after :meth:`collect`), by key:
        those of unit ``unit`` at their position in ``entries``."""
        if unit is None or unit != self.unit or self._submitted != [e.key for e in entries]:
            return {}
        drafts = {e.key: self._draft(e, i) for i, e in enumerate(entries)}
        return {k: d for k, d in drafts.items() if k in self.from_workers and d.is_file()}

    def _draft(self, entry: ReportEntry, order: int) -> Path | None:
        """Where a worker writes ``entry``'s results file (None: it writes none)."""
        if self._report is None:
            return None
        if self._drafts is None:
            self._report.parent.mkdir(parents=True, exist_ok=True)
            self._drafts = self._report.parent / f"{temporary_name(f'.{self._report.name}')}.drafts"
            self._drafts.mkdir()
        return self._drafts / f"{order}.nc"

    def _done(self, entry: ReportEntry) -> bool:
        future = self._futures.get(entry.key)
        return future is not None and future.done()

    def _result(self, entry: ReportEntry) -> Html:
        """The worker's section, or the section drawn here when the worker gave none."""
        future = self._futures.pop(entry.key)
        try:
            section = future.result()
        except Exception:  # the worker died or failed: drawn here, where an error is real
            return _do(entry)
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


def _do(
    entry: ReportEntry, draft: Path | None = None, order: int = 0, unit: str | None = None
) -> Html:
    """The entry's section; its results file written at ``draft`` first, if given."""
    with quiet():
        if draft is not None:
            write_entry(entry, draft, order=order, unit=unit)
        return entry_section(entry)

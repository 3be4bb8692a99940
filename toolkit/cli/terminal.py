"""What the terminal shows while klmle works, and the library notices kept off it.

:class:`Progress` draws two lines on stderr while a command runs: the counted step
(``comparison 3/24: gamma on simulated gamma``) with a bar and the time elapsed,
and under it what is being done now (compiling, fitting, drawing). Nothing is drawn
when stderr is not a terminal (a log file, a pipe, a test), so output stays clean.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from toolkit.problem import cache
from toolkit.report.numbers import duration

#: PyTensor's notice that it found no BLAS library to link against: a warning and a log
#: line. klmle's models are small (a few parameters; data reduced to distinct values), so
#: NumPy's BLAS is enough; this notice, and only this one, is kept off the terminal.
BLAS_NOTICES = (
    "PyTensor could not link to a BLAS installation",
    "Using NumPy C-API based implementation for BLAS functions",
)


class Progress:
    """The counted step with a bar and the elapsed time; below it, what is done now.

    Parameters
    ----------
    total : int
        Counted steps (the demo's comparisons, or a fit's stages).
    noun : str
        What a step is called on the bar ("comparison", "step").
    stages_are_steps : bool
        Whether :meth:`stage` counts a step (a single fit) or only says what is done
        (inside a comparison of the demo).
    console : rich.console.Console, optional
        Where to draw (default: stderr).
    """

    def __init__(
        self, total: int, noun: str = "step", *, stages_are_steps: bool = True, console=None
    ):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.total, self.noun, self.count = total, noun, 0
        self.stages_are_steps = stages_are_steps
        self.started = time.perf_counter()
        self._live = None
        self._main = self._detail = None

    def __enter__(self) -> Progress:
        if self.console.is_terminal:
            self._live = _bars(self.console)
            self._live.__enter__()
            self._main = self._live.add_task("starting", total=self.total)
            self._detail = self._live.add_task("", total=None)
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None
            self.console.print(f"done in {duration(time.perf_counter() - self.started)}",
                               style="dim", highlight=False)  # fmt: skip

    def note(self, text: str) -> None:
        """A line of its own above the bars (on a terminal only)."""
        if self._live is not None:
            self._live.console.print(text, highlight=False, markup=False)

    def print(self, text: str) -> None:
        """Output for stdout, printed without tearing the bars."""
        if self._live is not None:
            self._live.stop()
        print(text)
        if self._live is not None:
            self._live.start()

    def step(self, label: str) -> None:
        """Start the next counted step; past the last one, the label alone (the report)."""
        if self.count:
            self._advance()
        self.count += 1
        within = self.count <= self.total
        self._describe(self._main, f"{self.noun} {self.count}/{self.total}: {label}"
                       if within else label)  # fmt: skip
        self.detail("")

    def stage(self, text: str) -> None:
        """What is being done now: a counted step of a single fit, else a detail."""
        if self.stages_are_steps:
            self.step(text)
        else:
            self.detail(text)

    def detail(self, text: str) -> None:
        """The second line: what is being done inside the current step."""
        self._describe(self._detail, f"  {text}" if text else "")

    def _advance(self) -> None:
        if self._live is not None and self.count <= self.total:
            self._live.advance(self._main)

    def _describe(self, task, text: str) -> None:
        if self._live is not None:
            self._live.update(task, description=text)


def _bars(console):
    """rich's progress display: spinner, text, then bar, count and time for counted tasks."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bars
    from rich.text import Text

    def counted_only(column):
        """The column for a task with a total; blank for the detail line (no "0/?")."""
        render = column.render
        column.render = lambda task: render(task) if task.total is not None else Text("")
        return column

    return Bars(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        counted_only(BarColumn(bar_width=24)),
        counted_only(MofNCompleteColumn()),
        counted_only(TimeElapsedColumn()),
        console=console,
        transient=True,
    )


def compile_notice(count: int) -> str:
    """What the demo costs here, said before it starts (the first run builds the models)."""
    if cache.kept_files() >= count // 2:
        return (
            f"klmle demo: {count} comparisons. The models' compiled functions are kept from "
            "an earlier run, so this takes about half a minute on two cores."
        )
    return (
        f"klmle demo: {count} comparisons. The first run builds each model's graphs with "
        "PyTensor (about a minute and a half on two cores); later runs restore them from "
        "PyTensor's compile directory (~/.pytensor) and take about half a minute."
    )


@contextmanager
def known_notices_kept_quiet() -> Iterator[None]:
    """Keep PyTensor's no-BLAS notice (a warning and a log line) off the terminal."""

    class _Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not any(n in record.getMessage() for n in BLAS_NOTICES)

    drop = _Drop()
    logger = logging.getLogger("pytensor.tensor.blas")
    logger.addFilter(drop)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=BLAS_NOTICES[0], category=UserWarning)
            yield
    finally:
        logger.removeFilter(drop)

"""What the terminal shows while klmle works (toolkit.cli.terminal)."""

from __future__ import annotations

import io
import logging
import re
import warnings

from rich.console import Console

from toolkit.cli.terminal import Progress, compile_notice, known_notices_kept_quiet

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120), out


def test_progress_shows_counts_what_is_done_and_the_time():
    console, out = _terminal()
    with Progress(3, "comparison", stages_are_steps=False, console=console) as progress:
        progress.note(compile_notice(3))
        for family in ("gamma", "poisson", "normal"):
            progress.step(f"{family} on simulated {family}")
            progress.stage(f"compiling the {family} model")
            progress._live.refresh()
        progress.step("drawing the report")
        progress._live.refresh()
    text = _ANSI.sub("", out.getvalue())
    assert "comparison 1/3: gamma on simulated gamma" in text
    assert "comparison 3/3: normal" in text and "compiling the poisson model" in text
    assert "0:00:0" in text and "3/3" in text  # elapsed time and the count, on the bar
    assert "drawing the report" in text and "comparison 4/3" not in text
    assert "None" not in text and "/?" not in text  # no count on the detail line
    assert "first run builds" in text or "kept from an earlier run" in text  # said first
    assert text.rstrip().splitlines()[-1].startswith("done in ")


def test_progress_draws_nothing_when_stderr_is_not_a_terminal():
    out = io.StringIO()
    with Progress(2, console=Console(file=out, force_terminal=False)) as progress:
        progress.step("fitting")
        progress.print("the table")  # stdout output still goes out
    assert out.getvalue() == ""


def test_only_the_blas_notice_is_kept_off_the_terminal(caplog):
    logger = logging.getLogger("pytensor.tensor.blas")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        with known_notices_kept_quiet():
            warnings.warn("PyTensor could not link to a BLAS installation. ...", stacklevel=1)
            logger.warning("Using NumPy C-API based implementation for BLAS functions.")
            warnings.warn("something else went wrong", stacklevel=1)
            logger.warning("another pytensor warning")
    assert [str(w.message) for w in caught] == ["something else went wrong"]
    assert [r.getMessage() for r in caplog.records] == ["another pytensor warning"]
    assert not logger.filters  # the filter is removed afterwards

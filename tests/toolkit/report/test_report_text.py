"""A comparison as terminal text (toolkit.report.text): aligned columns, words, no raw dumps."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.report.text import comparison_text, display_width, text_table


@pytest.fixture(scope="module")
def bernoulli():
    # p̂ is the MLE exactly, so the KL at it is rounding noise (of either sign).
    x = np.random.default_rng(11).binomial(1, 0.3, 400).astype(float)
    return toolkit.compare("bernoulli", x)


def test_columns_line_up_by_display_width_not_code_points():
    rows = [["KL(p̂‖q)", "0", "1.5"], ["loglik", "-12.25", "3"]]
    lines = text_table(["", "mle", "se"], rows, [False, True, True]).splitlines()
    # "p̂" is two code points and one column: a padding by len() would shift the row by one.
    assert len({display_width(line) for line in lines}) == 1, lines
    ends = [display_width(line[: line.index(c) + len(c)]) for line, c in
            zip(lines, ["mle", " 0", "-12.25"], strict=True)]  # fmt: skip
    assert ends == [ends[0]] * 3, lines  # the mle column ends in the same place


def test_print_shows_the_table_and_verdict_not_a_repr(bernoulli):
    text = str(bernoulli)
    assert text == comparison_text(bernoulli)
    first, *rest = text.splitlines()
    assert first.startswith("== bernoulli") and "verdict: AGREE" in first
    assert any(line.split()[0] == "p" for line in rest)  # the parameter's row
    assert "array(" not in text and "Problem(" not in text and "dtype" not in text
    kl_line = next(line for line in rest if line.startswith("KL(p̂‖q)"))
    assert not any(cell.startswith(("-", "−")) for cell in kl_line.split()[1:]), kl_line


def test_repr_is_one_short_line(bernoulli):
    text = repr(bernoulli)
    assert "\n" not in text and len(text) < 200, text
    assert text.startswith("<Comparison bernoulli: N = 400, verdict 'agree'")


def test_optimiser_messages_stay_out_of_the_terminal_table(bernoulli):
    text = comparison_text(bernoulli)
    raw = [c.optimiser for c in (f.certificate for f in bernoulli.fits.values()) if c.optimiser]
    assert raw  # the engines did leave their own messages (kept in the report's details)
    for message in raw:
        assert message not in text

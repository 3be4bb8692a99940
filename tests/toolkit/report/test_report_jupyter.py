"""The notebook view of a comparison (toolkit.report.jupyter)."""

from __future__ import annotations

import numpy as np

import toolkit
from toolkit.report import comparison_html


def test_comparison_html_shows_verdict_and_table(rng):
    cmp = toolkit.compare("exponential", rng.exponential(2.0, 200))
    html = comparison_html(cmp)
    assert 'class="verdict"' in html and ">agree<" in html
    assert "<table" in html and "lam" in html
    assert "<img" not in html  # quick: no figures in a notebook cell
    assert np.isfinite(cmp.se["lam"])

"""Fixtures for the report tests: a few small, fast fits shared by the module's tests."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.quiet import quiet
from toolkit.report import entry_from_comparison

#: Small enough to fit in seconds, large enough for a positive-definite information.
N = 300


@pytest.fixture(scope="session")
def entries():
    """exponential and half_normal on the same positive data, poisson, normal."""
    rng = np.random.default_rng(20261121)
    positive = rng.exponential(2.0, N)
    counts = rng.poisson(3.0, N).astype(float)
    normal = rng.normal(1.0, 2.0, N)
    jobs = [
        ("exponential", "positive", positive),
        ("half_normal", "positive", positive),
        ("poisson", "counts", counts),
        ("normal", "normal", normal),
    ]
    out = []
    with quiet():
        for i, (family, dataset, data) in enumerate(jobs):
            cmp = toolkit.compare(family, data)
            out.append(
                entry_from_comparison(cmp, key=f"c{i:02d}", dataset=dataset, source="simulated")
            )
    return out


@pytest.fixture(scope="session")
def report_html(entries, tmp_path_factory):
    """The report of :func:`entries`, rendered once."""
    from toolkit.report import write_report

    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(entries, path)
    return path.read_text(encoding="utf-8")

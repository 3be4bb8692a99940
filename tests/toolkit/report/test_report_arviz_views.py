"""ArviZ's views of the posterior as the report draws them (toolkit.report.arviz_views)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toolkit.report import arviz_views
from toolkit.report.html import Picture
from toolkit.report.tables import parameter_labels


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the views draw, kept open instead of encoded."""
    figures = []

    def keep(fig, **kwargs):
        fig.canvas.draw()
        figures.append(fig)
        return Picture("data:image/png;base64,", 1, 1)

    monkeypatch.setattr(arviz_views, "encode", keep)
    yield figures
    for fig in figures:
        arviz_views._pyplot().close(fig)


def _overlap(a, b) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1


def test_posterior_panel_titles_sit_clear_of_the_other_panels(more_entries, drawn):
    # mv_normal: nine panels in rows of three; the titles were drawn over the row above.
    entry = next(e for e in more_entries if e.family == "mv_normal")
    arviz_views.posterior_figure(entry)
    (fig,) = drawn
    renderer = fig.canvas.get_renderer()
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    labels = parameter_labels(entry)
    assert [ax.get_title() for ax in axes] == [labels[p] for p in entry.estimates.index]
    for ax in axes:
        title = ax.title.get_window_extent(renderer)
        for other in axes:
            if other is not ax:
                assert not _overlap(title, other.get_tightbbox(renderer)), ax.get_title()
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert all(not _overlap(a, b) for a, b in itertools.pairwise(ticks)), ax.get_title()


def test_forest_plot_is_in_standard_errors_with_every_full_name(model_entries, drawn):
    # linear regression: coefficients and sigma on very different scales share one axis
    # once centred at the MLE and divided by the SE; every row names its design column.
    entry = model_entries[0]
    arviz_views.forest_figure(entry)
    (fig,) = drawn
    ax = fig.axes[0]
    labels = parameter_labels(entry)
    shown = {t.get_text() for t in ax.get_yticklabels()}
    assert shown == set(labels.values()) and "beta[1] (x1)" in shown
    lo, hi = ax.get_xlim()
    assert -6 < lo < -1 and 1 < hi < 6  # 94 % intervals of about ±2 SE, whatever the scale
    assert "(θ − θ̂_mle) / SE" in ax.get_xlabel()
    assert any(np.allclose(line.get_xdata(), 0.0) for line in ax.get_lines())  # the MLE at 0

"""Figures as PNGs (report.figures): one layout and one draw give savefig's own pixels."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from toolkit.report import arviz_views, figures


def _figure_of(monkeypatch, draw, entry):
    """The figure ``draw(entry)`` would encode, and whether it is cropped, unencoded."""
    kept = []

    def keep(fig, *, tight=False):
        kept.append((fig, tight))

    with monkeypatch.context() as patch:
        patch.setattr(figures, "encode", keep)
        patch.setattr(arviz_views, "encode", keep)
        draw(entry)
    return kept[0]


def _savefig_pixels(fig, tight: bool) -> np.ndarray:
    """What matplotlib's savefig draws, with its own layout pass and tight box."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=figures.DPI, bbox_inches="tight" if tight else None)
    finally:
        figures._pyplot().close(fig)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return np.asarray(image.convert("RGB"))


DRAWINGS = {
    "fit": figures.fit_figure,  # constrained layout
    "profile": lambda e: figures.profile_figure(e, e.profiles),  # twin axes, figure legend
    "calibration": figures.calibration_figure,
    "posterior": arviz_views.posterior_figure,  # ArviZ's, constrained layout
    "forest": arviz_views.forest_figure,  # ArviZ's, cropped to its content
}


@pytest.mark.parametrize("kind", list(DRAWINGS))
@pytest.mark.parametrize("index", [0, 2])
def test_rendered_figure_has_savefigs_pixels(monkeypatch, entries, kind, index):
    draw, entry = DRAWINGS[kind], entries[index]
    ours, tight = _figure_of(monkeypatch, draw, entry)
    theirs, _ = _figure_of(monkeypatch, draw, entry)  # the same figure, drawn again
    with figures._pyplot().rc_context(figures.STYLE):
        pixels = np.asarray(figures.rendered(ours, tight=tight))
        expected = _savefig_pixels(theirs, tight)
    assert tight == (kind == "forest")
    assert pixels.shape == expected.shape and pixels.shape[0] > 100
    assert np.array_equal(pixels, expected)


def test_encode_is_a_palette_png_of_the_rendered_pixels(monkeypatch, entries):
    fig, tight = _figure_of(monkeypatch, DRAWINGS["profile"], entries[0])
    again, _ = _figure_of(monkeypatch, DRAWINGS["profile"], entries[0])
    with figures._pyplot().rc_context(figures.STYLE):
        picture = figures.encode(fig, tight=tight)
        rgb = figures.rendered(again, tight=tight)
    prefix = "data:image/png;base64,"
    assert picture.uri.startswith(prefix)
    assert (picture.width, picture.height) == rgb.size
    with Image.open(io.BytesIO(base64.b64decode(picture.uri[len(prefix) :]))) as png:
        assert png.mode == "P" and len(png.getcolors()) <= figures.PALETTE
        decoded = np.asarray(png.convert("RGB"))
    quantized = rgb.quantize(
        figures.PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    assert np.array_equal(decoded, np.asarray(quantized.convert("RGB")))

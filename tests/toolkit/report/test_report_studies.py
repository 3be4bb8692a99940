"""Report sections of the studies, drawn from tidy frames (built here, no fitting)."""

import re

import numpy as np
import pandas as pd
import pytest

from toolkit.report.studies import SECTIONS, TABLES, reverse_section, study_page, write_study_report


def _replicated(rng, columns, extra):
    rows = []
    for n in (100, 1000):
        for rep in range(6):
            for name, target in (("mu", 1.5), ("sigma", 2.0)):
                estimate = target + rng.normal() / np.sqrt(n)
                rows.append(
                    {
                        "n": n,
                        "rep": rep,
                        "engine": "mle",
                        "parameter": name,
                        "estimate": estimate,
                        "target": target,
                        "status": "ok",
                        **extra(n, estimate, target),
                    }
                )
    rows[-1] = {**rows[-1], "estimate": np.nan, "status": "failed: BoundaryError: <oops>"}
    return pd.DataFrame(rows)[list(columns)]


@pytest.fixture
def frames(rng):
    evil = "<script>x</script>"
    convergence = _replicated(
        rng,
        [
            "n",
            "rep",
            "engine",
            "parameter",
            "estimate",
            "target",
            "se",
            "asymptotic_sd",
            "kl_true",
            "k",
            "status",
        ],
        lambda n, e, t: {"se": 2 / np.sqrt(n), "asymptotic_sd": 2.0, "kl_true": 1 / n, "k": 2},
    )
    convergence.attrs = {"study": "convergence", "arguments": {"family": evil}}
    mis = _replicated(
        rng,
        [
            "n",
            "rep",
            "engine",
            "parameter",
            "estimate",
            "target",
            "se_model",
            "se_sandwich",
            "covered_model",
            "covered_sandwich",
            "status",
        ],
        lambda n, e, t: {
            "se_model": 0.1,
            "se_sandwich": 0.2,
            "covered_model": bool(abs(e - t) < 0.1),
            "covered_sandwich": True,
        },
    )
    mis.attrs = {
        "arguments": {
            "family": "normal",
            "truth": "gamma",
            "truth_params": {"alpha": 2.0, "beta": 0.5},
        }
    }
    prior = _replicated(
        rng,
        ["n", "rep", "engine", "parameter", "estimate", "target", "mle", "gap", "status"],
        lambda n, e, t: {"mle": t, "gap": 1 / n},
    )
    prior["engine"] = "map"
    smooth = pd.DataFrame(
        [
            {
                "n": 50,
                "smoother": s,
                "bandwidth": h,
                "parameter": p,
                "estimate": 1.0,
                "mle": 1.0,
                "gap": h**2,
                "kl": 0.1,
                "status": "ok",
            }
            for s in ("kde", "histogram")
            for h in (0.1, 1.0)
            for p in ("mu", "sigma")
        ]
    )
    return {
        "convergence": convergence,
        "misspecification": mis,
        "prior": prior,
        "smoothing": smooth,
    }


PLOTS = {
    "convergence": {"error", "akaike", "sampling"},
    "misspecification": {"pseudo_true", "coverage"},
    "smoothing": {"gap"},
    "prior": {"prior"},
}


@pytest.mark.parametrize("study", sorted(PLOTS))
def test_each_section_has_its_plots_and_table(frames, study):
    html = SECTIONS[study](frames[study])
    assert f'data-study="{study}"' in html
    assert set(re.findall(r'data-plot="(\w+)"', html)) == PLOTS[study]
    assert "data:image/png;base64," in html
    assert not TABLES[study](frames[study]).empty


def test_failures_are_counted_and_user_text_escaped(frames):
    html = SECTIONS["convergence"](frames["convergence"])
    assert "1 fit(s) not certified" in html and "&lt;oops&gt;" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_reverse_section_draws_the_fits_over_the_data(rng):
    data = np.concatenate([rng.normal(-3, 0.8, 100), rng.normal(3, 0.8, 100)])
    rows = [("forward", 0, 0.0, 3.1), ("reverse", 0, 3.0, 0.8), ("reverse", 1, -3.0, 0.8)]
    frame = pd.DataFrame(
        [
            {
                "n": 200,
                "bandwidth": 0.3,
                "direction": d,
                "optimum": o,
                "parameter": p,
                "estimate": v,
                "mle": 0.0,
                "kl": 0.7,
                "starts": 2,
                "status": "ok",
            }
            for d, o, mu, sigma in rows
            for p, v in (("mu", mu), ("sigma", sigma))
        ]
    )
    frame.attrs = {"arguments": {"family": "normal", "bandwidth": 0.3}, "ends": {"starts": 4}}
    html = reverse_section(frame, data)
    assert re.findall(r'data-plot="(\w+)"', html) == ["reverse"]
    assert TABLES["reverse"](frame).shape == (3, 2)


def test_the_page_is_written_whole(frames, tmp_path):
    path = write_study_report(
        [SECTIONS["smoothing"](frames["smoothing"])], tmp_path / "a" / "s.html"
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert [p.name for p in path.parent.iterdir()] == ["s.html"]  # no temporary file left
    with pytest.raises(ValueError, match="at least one section"):
        study_page([])

"""netCDF round trip of report entries and `klmle report` (toolkit.report.results).

``load_entries`` reads what ``save_results`` wrote as report entries (``load_results``
returns the same comparisons as ``arviz.InferenceData`` by key).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.report import ResultsError, load_entries, save_results, write_report


@pytest.fixture(scope="module")
def saved(entries, tmp_path_factory):
    path = tmp_path_factory.mktemp("results") / "results.nc"
    save_results(entries, path)
    return path


def _without_images(html: str) -> str:
    return re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""', html)


def test_round_trip_keeps_tables(entries, saved):
    loaded = load_entries(saved)
    assert [e.key for e in loaded] == [e.key for e in entries]
    for before, after in zip(entries, loaded, strict=True):
        assert (before.family, before.dataset, before.source) == (
            after.family,
            after.dataset,
            after.source,
        )
        assert before.verdict == after.verdict and before.reasons == after.reasons
        pd.testing.assert_frame_equal(before.estimates, after.estimates)
        pd.testing.assert_series_equal(before.se, after.se)
        pd.testing.assert_frame_equal(before.certificates, after.certificates, check_dtype=False)
        np.testing.assert_array_equal(before.data, after.data)
        assert after.has_posterior


def test_klmle_report_reproduces_the_report(entries, saved, tmp_path, capsys):
    direct = write_report(entries, tmp_path / "direct.html", title="t")
    out = tmp_path / "again.html"
    assert main(["report", str(saved), "--output", str(out)]) == 0
    again = out.read_text(encoding="utf-8").replace(f"klmle report: {saved.name}", "t")
    assert _without_images(again) == _without_images(direct.read_text(encoding="utf-8"))
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [None, b"not a netCDF file at all", b"\x89HDF\r\n\x1a\n" + bytes(200)],
    ids=["missing", "garbage", "truncated-hdf5"],
)
def test_klmle_report_rejects_bad_results(tmp_path, capsys, content):
    results = tmp_path / "results.nc"
    if content is not None:
        results.write_bytes(content)
    out = tmp_path / "out.html"
    assert main(["report", str(results), "--output", str(out)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("klmle: error:"), err
    assert "Traceback" not in err
    assert not out.exists()


def test_foreign_netcdf_is_rejected(tmp_path):
    import xarray as xr

    path = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ResultsError, match="not a klmle results file"):
        load_entries(path)


def test_save_is_atomic(entries, tmp_path, monkeypatch):
    import xarray as xr

    def broken(self, *args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(OSError, match="simulated"):
        save_results(entries, tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def saved_models(model_entries, tmp_path_factory):
    path = tmp_path_factory.mktemp("results") / "models.nc"
    save_results(model_entries, path)
    return path


def test_round_trip_keeps_regression_and_model_entries(model_entries, saved_models):
    loaded = load_entries(saved_models)
    for before, after in zip(model_entries, loaded, strict=True):
        assert (before.label, before.k_free) == (after.label, after.k_free)
        assert before.design == after.design
        assert before.multistart == after.multistart and before.not_judged == after.not_judged
        pd.testing.assert_frame_equal(before.estimates, after.estimates)
        pd.testing.assert_series_equal(before.se, after.se)
        for name in before.idata.observed_data.data_vars:
            np.testing.assert_array_equal(
                before.idata.observed_data[name].values, after.idata.observed_data[name].values
            )
        assert after.has_posterior


def test_klmle_report_reproduces_regression_and_model_tables(model_entries, saved_models, tmp_path):
    direct = write_report(model_entries, tmp_path / "direct.html", title="t")
    out = tmp_path / "again.html"
    assert main(["report", str(saved_models), "--output", str(out)]) == 0
    again = out.read_text(encoding="utf-8").replace(f"klmle report: {saved_models.name}", "t")
    assert _without_images(again) == _without_images(direct.read_text(encoding="utf-8"))
    assert 'class="pull"' in again and 'data-plot="profile"' in again


def test_saved_files_get_the_usual_mode(entries, tmp_path):
    # The temporary file behind the atomic write is private; the result must not be.
    import os

    umask = os.umask(0)
    os.umask(umask)
    path = save_results(entries[:1], tmp_path / "r.nc")
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_klmle_report_re_renders_a_unit_from_its_report_path(entries, tmp_path, capsys):
    # Given the report's own path, klmle reads the results beside it and draws the page
    # again in place; the results are what is read, and they are never written.
    from toolkit.report import write_unit

    html, results = write_unit(entries[:1], tmp_path / "out.html", title="Title one")
    before = results.read_bytes()
    assert main(["report", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "<title>klmle report: out.html</title>" in page and "Title one" not in page
    assert results.read_bytes() == before
    assert main(["report", str(results), "--output", str(results)]) == 1  # never the input
    assert "is the input file" in capsys.readouterr().err and results.read_bytes() == before

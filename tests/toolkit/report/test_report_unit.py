"""A report and its results as one unit (toolkit.report.unit), killed at every moment.

The kill test runs a real subprocess that imports klmle once and forks one child per
moment; each child writes a new unit over an old one and SIGKILLs itself just before
its k-th file-system call (mkdir, symlink, rename, unlink, ...). After every kill the
final names must hold the old unit or the new one, never a mix; a later write must
leave no leftover.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import arviz as az
import h5netcdf
import pytest

from toolkit.report import load_entries, load_results, save_results, unit, write_unit
from toolkit.report.html import Html, page

#: Stands in for the page in the kill test: the file operations are the same.
STUB = "stub page"


def _stub_render(entries, *, title="t", progress=None, meta=None):
    return page(title, Html(f"<p>{STUB}</p>"), meta=meta)


def _html_unit(path: Path) -> str | None:
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    return text.split('name="klmle-unit" content="')[1].split('"')[0]


def _results_units(path: Path) -> set[str] | None:
    if not path.exists():
        return None
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    units = set()
    for file in files:
        with h5netcdf.File(file, "r") as handle:
            units.add(str(handle.attrs["klmle_unit"]))
    return units


def _pair(html: Path, results: Path) -> tuple[str | None, set[str] | None]:
    return _html_unit(html), _results_units(results)


def _assert_one_unit(html: Path, results: Path, old: str | None) -> str | None:
    """Both names absent (no old unit), or both the old unit, or both one new unit."""
    page_unit, result_units = _pair(html, results)
    if page_unit is None:
        assert result_units is None and old is None, (page_unit, result_units, old)
        return None
    assert result_units == {page_unit}, f"a mix: page {page_unit}, results {result_units}"
    return page_unit


@pytest.fixture(scope="module")
def saved_pair(entries, tmp_path_factory):
    """Results of one and of two entries, for the subprocess to load."""
    base = tmp_path_factory.mktemp("unit-results")
    return {
        1: save_results(entries[:1], base / "one.nc"),
        2: save_results(entries[:2], base / "two"),
    }


def test_a_unit_opens_in_arviz_and_loads_by_key(entries, tmp_path, monkeypatch):
    monkeypatch.setattr(unit, "render_report", _stub_render)
    html, results = write_unit(entries[:1], tmp_path / "out.html")
    assert results == tmp_path / "out.nc" and results.is_file()
    idata = az.from_netcdf(results)  # ArviZ's own reader sees every group
    assert {"posterior", "observed_data", "log_likelihood", "comparison", "diagnostics"} <= set(
        idata.groups()
    )
    assert idata.attrs["klmle_key"] == entries[0].key
    assert list(load_results(html)) == list(load_results(results)) == [entries[0].key]
    # what the user sees: the two names (links into the hidden unit folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.html.klmle", "out.html", "out.nc"]


def test_several_comparisons_go_to_a_folder_named_after_the_report(entries, tmp_path, monkeypatch):
    monkeypatch.setattr(unit, "render_report", _stub_render)
    html, results = write_unit(entries, tmp_path / "demo.html")
    assert results == tmp_path / "demo" and results.is_dir()
    assert sorted(p.name for p in results.iterdir()) == sorted(f"{e.key}.nc" for e in entries)
    for entry in entries:
        idata = az.from_netcdf(results / f"{entry.key}.nc")
        assert idata.attrs["klmle_dataset"] == entry.dataset
    assert [e.key for e in load_entries(html)] == [e.key for e in entries]


def test_rewriting_its_own_unit_replaces_both_and_leaves_nothing(entries, tmp_path, monkeypatch):
    monkeypatch.setattr(unit, "render_report", _stub_render)
    target = tmp_path / "out.html"
    write_unit(entries[:1], target)
    first = _pair(target, tmp_path / "out.nc")
    write_unit(entries[:1], target)
    second = _pair(target, tmp_path / "out.nc")
    assert first[1] == {first[0]} and second[1] == {second[0]} and first[0] != second[0]
    staging = unit.staging_folder(target)
    assert sorted(p.name for p in staging.iterdir()) == sorted(
        ["current", os.readlink(staging / "current")]
    )
    # from one comparison to several: the results become a folder, the old link goes
    write_unit(entries[:2], target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.html.klmle", "out", "out.html"]


def test_reports_written_before_units_are_replaced_whole(entries, tmp_path, monkeypatch):
    from toolkit.report import write_report

    monkeypatch.setattr(unit, "render_report", _stub_render)
    target = tmp_path / "old.html"
    write_report(entries[:1], target)  # a plain file, as klmle wrote reports before
    save_results(entries[:1], tmp_path / "old.nc")
    write_unit(entries[:1], target)
    assert target.is_symlink() and _results_units(tmp_path / "old.nc") == {_html_unit(target)}


def test_kill_at_every_moment_leaves_the_old_unit_or_the_new(saved_pair, tmp_path):
    """SIGKILL before each file-system call of a unit write: never a mix, nothing left after."""
    for count, results_name in ((1, "out.nc"), (2, "out")):
        base = tmp_path / f"n{count}"
        template = base / "template"
        template.mkdir(parents=True)
        entries = load_entries(saved_pair[count])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(unit, "render_report", _stub_render)
            write_unit(entries, template / "out.html")  # the old unit
        old = _html_unit(template / "out.html")
        calls = _run_killer(saved_pair[count], template, base, kill_at=[])["calls"]
        assert calls >= 5  # mkdirs, symlinks, renames, removals
        moments = list(range(1, calls + 1))
        report = _run_killer(saved_pair[count], template, base, kill_at=moments)
        assert report["killed"] == moments, report  # every child died by SIGKILL
        for k in moments:
            folder = base / f"k{k}"
            html, results = folder / "out.html", folder / results_name
            _assert_one_unit(html, results, old)
            visible = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
            assert visible <= {"out.html", results_name}, (k, visible)
            with pytest.MonkeyPatch.context() as patch:  # the next run cleans up
                patch.setattr(unit, "render_report", _stub_render)
                write_unit(entries, html)
            new = _assert_one_unit(html, results, old)
            assert new not in (None, old)
            assert sorted(p.name for p in folder.iterdir()) == sorted(
                [".out.html.klmle", "out.html", results_name]
            ), k
            staging = unit.staging_folder(html)
            assert sorted(p.name for p in staging.iterdir()) == sorted(
                ["current", os.readlink(staging / "current")]
            ), k


def test_kill_on_an_empty_folder_leaves_nothing_or_the_new_unit(saved_pair, tmp_path):
    empty = tmp_path / "template"
    empty.mkdir()
    calls = _run_killer(saved_pair[1], empty, tmp_path, kill_at=[])["calls"]
    report = _run_killer(saved_pair[1], empty, tmp_path, kill_at=list(range(1, calls + 1)))
    for k in report["killed"]:
        folder = tmp_path / f"k{k}"
        _assert_one_unit(folder / "out.html", folder / "out.nc", None)


KILLER = textwrap.dedent(
    """
    import json, os, shutil, signal, sys
    from pathlib import Path

    results, template, base = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    kill_at = json.loads(sys.argv[4])
    from toolkit.report import load_entries, unit
    from toolkit.report.html import Html, page

    unit.render_report = lambda entries, title="t", progress=None, meta=None: page(
        title, Html("<p>stub page</p>"), meta=meta
    )
    entries = load_entries(results)
    MUTATING = ("mkdir", "symlink", "link", "rename", "replace", "unlink", "remove", "rmdir")

    def count_calls(kill):
        calls = [0]
        for name in MUTATING:
            real = getattr(os, name)

            def wrapped(*args, _real=real, **kwargs):
                calls[0] += 1
                if calls[0] == kill:
                    os.kill(os.getpid(), signal.SIGKILL)
                return _real(*args, **kwargs)

            setattr(os, name, wrapped)
        return calls

    if not kill_at:  # a dry run: how many calls a write makes
        folder = base / "dry"
        shutil.copytree(template, folder, symlinks=True)
        calls = count_calls(None)
        unit.write_unit(entries, folder / "out.html")
        print(json.dumps({"calls": calls[0]}))
        sys.exit(0)
    killed = []
    for k in kill_at:
        folder = base / f"k{k}"
        shutil.copytree(template, folder, symlinks=True)
        pid = os.fork()
        if pid == 0:
            try:
                count_calls(k)
                unit.write_unit(entries, folder / "out.html")
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            killed.append(k)
    print(json.dumps({"killed": killed}))
    """
)


def _run_killer(results: Path, template: Path, base: Path, kill_at: list[int]) -> dict:
    if not kill_at:
        shutil.rmtree(base / "dry", ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(results), str(template), str(base), json.dumps(kill_at)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_results_of_the_earlier_layout_give_way_to_the_new_folder(entries, tmp_path, monkeypatch):
    # Before units, the demo wrote all its comparisons into one demo.nc (format 2). Left
    # beside a new demo/, it would be found first by `klmle report demo.html` and refused.
    import xarray as xr

    from toolkit.report import write_report

    monkeypatch.setattr(unit, "render_report", _stub_render)
    target = tmp_path / "demo.html"
    write_report(entries[:1], target)
    xr.Dataset(attrs={"klmle_results": 2, "entries": "[]"}).to_netcdf(
        tmp_path / "demo.nc", engine="h5netcdf"
    )
    mine = tmp_path / "demo.html.nc"  # not this report's: left alone
    mine.write_text("x")
    write_unit(entries[:2], target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".demo.html.klmle", "demo", "demo.html", "demo.html.nc"]
    )
    assert list(load_results(target)) == [e.key for e in entries[:2]]


def test_a_report_finds_its_own_results_before_a_leftover(entries, tmp_path, monkeypatch):
    from toolkit.report import locate_results

    monkeypatch.setattr(unit, "render_report", _stub_render)
    _, results = write_unit(entries[:2], tmp_path / "out.html")
    (tmp_path / "out.nc").write_bytes(b"a leftover klmle did not write")  # never removed
    assert locate_results(tmp_path / "out.html") == results
    assert (tmp_path / "out.nc").read_bytes() == b"a leftover klmle did not write"

"""What klmle may write over, and files of killed runs (toolkit.report.files)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from toolkit.report import save_results, write_report
from toolkit.report.files import (
    OutputError,
    atomic_write,
    check_destination,
    owner_of,
    temporary_name,
    written_by_klmle,
)


def _dead_pid() -> int:
    """The id of a process that has finished."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_an_input_file_is_never_replaced_even_with_force(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("x\n1\n")
    for force in (False, True):
        with pytest.raises(OutputError, match="is the input file"):
            check_destination(data, inputs=[data], force=force)
    link = tmp_path / "alias.csv"
    link.symlink_to(data)  # the same file by another name
    with pytest.raises(OutputError, match="is the input file"):
        check_destination(link, inputs=[data], force=True)


def test_a_file_klmle_did_not_write_needs_force(tmp_path):
    other = tmp_path / "notes.html"
    other.write_text("<html>my notes</html>")
    with pytest.raises(OutputError, match="klmle did not write: use --force"):
        check_destination(other)
    check_destination(other, force=True)


def test_klmle_recognises_its_own_reports_and_results(entries, tmp_path):
    page = write_report(entries[:1], tmp_path / "r.html")
    one = save_results(entries[:1], tmp_path / "r.nc")
    folder = save_results(entries[:2], tmp_path / "many")
    assert written_by_klmle(page) and written_by_klmle(one) and written_by_klmle(folder)
    check_destination(page)
    check_destination(folder, folder=True)
    (folder / "mine.txt").write_text("mine")
    assert not written_by_klmle(folder)
    with pytest.raises(OutputError, match="folder klmle did not write"):
        check_destination(folder, folder=True)
    foreign = tmp_path / "foreign.nc"
    import xarray as xr

    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(foreign, engine="h5netcdf")
    assert not written_by_klmle(foreign)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "out.html").mkdir(), "is a directory"),
        (lambda d: (d / "file").write_text("x"), "is a file, not a directory"),
    ],
    ids=["existing-directory", "parent-is-a-file"],
)
def test_impossible_report_paths_are_one_line(tmp_path, make, message):
    make(tmp_path)
    target = tmp_path / "out.html" if message == "is a directory" else tmp_path / "file" / "o.html"
    with pytest.raises(OutputError, match=message) as error:
        check_destination(target)
    assert "\n" not in str(error.value)


def test_a_read_only_location_is_refused(entries, tmp_path, monkeypatch):
    from toolkit.report import files, unit
    from toolkit.report.html import Html, page

    with monkeypatch.context() as patch:  # found before writing, when the user may not write
        patch.setattr(files.os, "access", lambda *args, **kwargs: False)
        with pytest.raises(OutputError, match="no permission to write in"):
            check_destination(tmp_path / "out.html")
    # found when writing: a location where nobody may write, root included
    monkeypatch.setattr(unit, "render_report", lambda e, **k: page("t", Html("")))
    with pytest.raises(OutputError, match="cannot write the report") as error:
        unit.write_unit(entries[:1], "/proc/klmle-report/out.html")
    assert "\n" not in str(error.value)


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(tmp_path):
    dead = tmp_path / f".out.html.{_dead_pid()}.r0123abcd.tmp"
    dead.write_text("half a report")
    alive = tmp_path / (temporary_name(".out.html") + ".tmp")  # this process: still writing
    alive.write_text("being written")
    atomic_write(tmp_path / "out.html", lambda tmp: tmp.write_text("new"))
    assert not dead.exists() and alive.exists()
    assert (tmp_path / "out.html").read_text() == "new"
    assert owner_of(alive.name) == os.getpid()

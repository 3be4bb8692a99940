"""A report and its results written as one unit: after a kill, the old unit or the new, never a mix.

``write_unit(entries, "out.html")`` writes the report ``out.html`` and its results
beside it (``out.nc`` for one comparison, the folder ``out/`` for several). Two
names cannot be replaced together by renaming files, so both are links into one
hidden folder beside them, switched by one atomic rename::

    out.html -> .out.html.klmle/current/out.html
    out.nc   -> .out.html.klmle/current/out.nc
    .out.html.klmle/current -> u.PID.rRANDOM      (the unit's files: out.html, out.nc)

A new unit is written whole into a fresh ``u.PID.rRANDOM`` folder, then
``current`` is switched to it by renaming a new link over it (the commit), then the
old unit is removed. The page and every results file carry the same unit
identifier (``<meta name="klmle-unit">`` and the ``klmle_unit`` attribute). A kill
before the commit leaves the old unit (or nothing, if there was none: the links
then point nowhere); after it, the new one. Folders of killed runs live inside the
hidden folder and are removed by the next write. Existing files at the two names
(written by klmle before this layout, or replaced with ``force``) are first moved
into the hidden folder as the current unit, so that they too are replaced at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from toolkit.report.files import (
    OutputError,
    check_destination,
    check_not_input,
    owner_of,
    process_alive,
    remove,
    remove_stale,
    temporary_name,
    written_by_klmle,
)
from toolkit.report.render import render_report
from toolkit.report.results import ReportEntry, results_path, save_results
from toolkit.report.workers import ReportWorkers, new_unit

#: The link, inside the hidden folder, that names the current unit.
CURRENT = "current"
_SUFFIXES = (".html", ".htm")


def staging_folder(html_path: Path) -> Path:
    """The hidden folder beside a report that holds its units: ``.NAME.klmle``."""
    return html_path.parent / f".{html_path.name}.klmle"


def check_unit(
    html_path: str | os.PathLike,
    count: int,
    *,
    inputs: Iterable[os.PathLike | str] = (),
    force: bool = False,
) -> tuple[Path, Path]:
    """The report and results paths of a unit of ``count`` comparisons, or OutputError.

    Called before fitting, so that a path klmle will not write is refused at once.
    """
    html_path = Path(html_path)
    results = results_path(html_path, count)
    inputs = list(inputs)
    check_not_input(html_path, inputs, "report")
    check_not_input(results, inputs, "results")
    if html_path.suffix.lower() not in _SUFFIXES:
        raise OutputError(f"the report path must end in .html: {html_path}")
    check_destination(html_path, inputs=inputs, force=force, what="report")
    check_destination(results, inputs=inputs, force=force, folder=count > 1, what="results")
    return html_path, results


def write_unit(
    entries: Sequence[ReportEntry],
    html_path: str | os.PathLike,
    *,
    title: str = "klmle report",
    inputs: Iterable[os.PathLike | str] = (),
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    workers: ReportWorkers | None = None,
) -> tuple[Path, Path]:
    """Write the report and its results as one unit (see the module docstring).

    Parameters
    ----------
    entries : sequence of ReportEntry
    html_path : path-like
        The report, ending in ``.html``; the results go beside it (``NAME.nc`` for one
        entry, the folder ``NAME/`` for several).
    title : str
    inputs : iterable of path-like
        Files the run read: never replaced.
    force : bool
        Replace existing files that klmle did not write.
    progress : callable, optional
        Called with each entry's label once its section is drawn.
    workers : ReportWorkers, optional
        Where the entries' sections are being drawn and their results written (every
        entry submitted to it, in this order): collected here, what they did not do
        done here.

    Returns
    -------
    (Path, Path)
        The report and the results, at their final names.

    Raises
    ------
    OutputError
        For a path klmle will not write (see :func:`check_unit`), or when writing fails;
        nothing is then left at the final names but what was there before.
    """
    html_path, results = check_unit(html_path, len(entries), inputs=inputs, force=force)
    unit = workers.unit if workers is not None and workers.unit else new_unit()
    meta = {"klmle-unit": unit}
    if workers is None:
        text = render_report(entries, title=title, progress=progress, meta=meta)
    staging = staging_folder(html_path)
    version = None
    try:
        staging.mkdir(parents=True, exist_ok=True)
        remove_leftovers(staging)
        for name in (html_path, results):  # links half made by a killed run
            remove_stale(name.parent, f".{name.name}.")
        version = staging / temporary_name("u")
        version.mkdir()
        written = {}
        if workers is not None:
            drawn = workers.collect(entries, progress)
            written = workers.written(entries, unit)
            text = render_report(entries, title=title, meta=meta, drawn=drawn)
        save_results(list(entries), version / results.name, unit=unit, written=written)
        (version / html_path.name).write_text(text, encoding="utf-8")
        _adopt(staging, [html_path, results])
        for name in (html_path, results):
            _link(name, staging)
        _switch(staging, version)
        _unlink_other_layout(html_path, results, staging)
    except BaseException as err:
        if version is not None and _target(staging) != version.name:
            remove(version)  # the unit being written, never the current one
        if isinstance(err, OSError):
            raise OutputError(f"cannot write the report {html_path}: {_reason(err)}") from None
        raise
    remove_leftovers(staging)
    return html_path, results


def _reason(err: OSError) -> str:
    return f"{err.strerror or type(err).__name__}: {err.filename}" if err.filename else str(err)


def _target(staging: Path) -> str | None:
    """The unit folder ``current`` names, or None."""
    try:
        return os.readlink(staging / CURRENT)
    except OSError:
        return None


def remove_leftovers(staging: Path) -> None:
    """Remove units and links of finished or killed runs: all but the current unit's folder."""
    current = _target(staging)
    for entry in list(os.scandir(staging)):
        if entry.name in (CURRENT, current):
            continue
        pid = owner_of(entry.name)
        if pid is not None and pid != os.getpid() and process_alive(pid):
            continue  # another klmle writing the same report right now
        remove(Path(entry.path))


def _link_text(name: Path, staging: Path) -> str:
    return f"{staging.name}/{CURRENT}/{name.name}"


def _ours(name: Path, staging: Path) -> bool:
    return name.is_symlink() and os.readlink(name) == _link_text(name, staging)


def _adopt(staging: Path, names: list[Path]) -> None:
    """Make files already at the final names (no links of ours) the current unit.

    Without a current unit they are hard-linked (or copied) into a new unit folder,
    which becomes current; the names are then switched to links one by one, each
    showing the same content before and after.
    """
    present = [n for n in names if (n.exists() or n.is_symlink()) and not _ours(n, staging)]
    if not present or _target(staging) is not None:
        return
    old = staging / temporary_name("u")
    old.mkdir()
    for name in present:
        if name.exists():
            _copy(name, old / name.name)
    _switch(staging, old)


def _copy(source: Path, destination: Path) -> None:
    import shutil

    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, destination, copy_function=link_or_copy)
    else:
        link_or_copy(source, destination)


def _link(name: Path, staging: Path) -> None:
    """Make ``name`` our link into the current unit (renamed into place: atomic for a file).

    A directory cannot be renamed over: it is moved into the hidden folder first (its
    content is already in the current unit, see :func:`_adopt`).
    """
    if _ours(name, staging):
        return
    tmp = name.parent / (temporary_name(f".{name.name}") + ".link")
    os.symlink(_link_text(name, staging), tmp)
    try:
        if name.is_dir() and not name.is_symlink():
            os.rename(name, staging / temporary_name("old"))
        os.replace(tmp, name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _unlink_other_layout(html_path: Path, results: Path, staging: Path) -> None:
    """Remove this report's results of the other layout: our link (a file before, a folder
    now), or results klmle wrote there before units (``demo.nc`` of format 2 beside a new
    ``demo/``), which would otherwise be read in place of the new ones."""
    for other in (html_path.with_suffix(".nc"), html_path.with_suffix("")):
        if other == results:
            continue
        if _ours(other, staging):
            other.unlink()
        elif _earlier_results(other):
            remove(other)


def _earlier_results(path: Path) -> bool:
    """A results file, or a non-empty folder of them, that klmle wrote (never a link)."""
    if path.is_symlink() or not path.exists():
        return False
    if path.is_dir() and not any(p for p in path.iterdir() if not p.name.startswith(".")):
        return False
    return (path.is_dir() or path.suffix == ".nc") and written_by_klmle(path)


def _switch(staging: Path, version: Path) -> None:
    """Point ``current`` at ``version`` by renaming a new link over it: the commit."""
    tmp = staging / temporary_name(".current")
    os.symlink(version.name, tmp)
    os.replace(tmp, staging / CURRENT)
    if not (staging / CURRENT).is_dir():
        raise OutputError(f"{staging / CURRENT} does not lead to the unit just written")

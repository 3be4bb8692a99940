"""Writing files safely: atomic replacement, leftovers of killed runs, what klmle may replace.

- :func:`atomic_write` writes to a temporary file beside the target, named
  ``.NAME.PID.RANDOM.tmp``, and renames it over the target: a reader sees the old
  file or the new one. Temporary files of a process that no longer runs (killed
  mid-write) are removed by the next write to the same name.
- :func:`check_destination` refuses, in one line, to write over an input file (ever),
  over an existing file or folder that klmle did not write (unless ``force``), over a
  directory when a file is meant, under a parent that is a file, or where the user
  may not write.
- :func:`written_by_klmle` recognises klmle's own reports (the ``generator`` mark in
  the page) and results (the ``klmle_results`` attribute of the netCDF file).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

#: The page's mark (see :func:`toolkit.report.html.page`), looked for in its first bytes.
_HTML_MARK = b'<meta name="generator" content="klmle">'
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_OWNER = re.compile(r"\.(\d+)\.r[0-9a-f]{8}(?:\.|$)")


class OutputError(ValueError):
    """A report or results path that klmle will not or cannot write (one line for the CLI)."""


def process_alive(pid: int) -> bool:
    """Is process ``pid`` running (so its temporary files are still in use)?"""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temporary_name(prefix: str) -> str:
    """``PREFIX.PID.rRANDOM``: a name whose owner can be told dead or alive later."""
    return f"{prefix}.{os.getpid()}.r{secrets.token_hex(4)}"


def owner_of(name: str) -> int | None:
    """The process id in a :func:`temporary_name`, or None.

    Examples
    --------
    >>> owner_of(".demo.2024.html.4242.r0123abcd.tmp"), owner_of("demo.html")
    (4242, None)
    """
    found = _OWNER.search(name)
    return int(found.group(1)) if found else None


def remove_stale(directory: Path, prefix: str, keep: Iterable[str] = ()) -> None:
    """Remove entries ``PREFIX.PID.*`` of ``directory`` whose process is gone (not ``keep``)."""
    keep = set(keep)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in list(os.scandir(directory)):
            if not entry.name.startswith(prefix) or entry.name in keep:
                continue
            pid = owner_of(entry.name)
            if pid is None or process_alive(pid):
                continue
            remove(Path(entry.path))


def remove(path: Path) -> None:
    """Remove a file, link or directory tree; nothing if it is already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def usual_mode(path: Path) -> None:
    """The mode a plain ``open()`` would give (temporary files are created private)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    If ``write`` raises, the temporary file is removed and ``path`` is untouched.
    A link at ``path`` is replaced by the file, never written through.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}"
    remove_stale(path.parent, prefix + ".", keep=())
    tmp = path.parent / (temporary_name(prefix) + ".tmp")
    try:
        write(tmp)
        usual_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def written_by_klmle(path: Path) -> bool:
    """Did klmle write ``path``: a report (page mark), results (.nc mark), or a folder of them?

    A link is judged by what it points to; a missing path counts as klmle's (nothing
    to lose).
    """
    path = Path(path)
    if not path.exists():
        return True
    if path.is_dir():
        entries = [p for p in path.iterdir() if not p.name.startswith(".")]
        return all(p.suffix == ".nc" and p.is_file() and _results_mark(p) for p in entries)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if head.startswith(_HDF5_SIGNATURE):
        return _results_mark(path)
    return _HTML_MARK in head


def _results_mark(path: Path) -> bool:
    try:
        import h5netcdf

        with h5netcdf.File(path, "r") as handle:
            return "klmle_results" in handle.attrs
    except (OSError, ValueError, KeyError):
        return False


def check_destination(
    path: Path,
    *,
    inputs: Iterable[os.PathLike | str] = (),
    force: bool = False,
    folder: bool = False,
    what: str = "report",
) -> None:
    """Raise :class:`OutputError` (one line) if klmle must not write ``path``.

    Parameters
    ----------
    path : Path
        Where the report (a file) or its results (a file, or a ``folder``) would go.
    inputs : iterable of path-like
        Files the run reads: never replaced, even with ``force``.
    force : bool
        Replace an existing file or folder that klmle did not write.
    folder : bool
        ``path`` is a folder of results (an existing directory is then expected).
    what : str
        What is written, for the message ("report", "results").
    """
    path = Path(path)
    check_not_input(path, inputs, what)
    _check_parent(path, what)
    if path.is_dir() and not folder:
        raise OutputError(
            f"the {what} path {path} is a directory: give a file name, e.g. {path / 'report.html'}"
        )
    if folder and path.exists() and not path.is_dir():
        if not force and not written_by_klmle(path):
            raise OutputError(
                f"{path} exists, is not a folder of klmle results, and was not written by "
                "klmle: use --force to replace it"
            )
    elif path.exists() and not force and not written_by_klmle(path):
        kind = "folder" if path.is_dir() else "file"
        raise OutputError(
            f"{path} exists and is a {kind} klmle did not write: use --force to replace it, "
            "or choose another path"
        )


def check_not_input(path: Path, inputs: Iterable[os.PathLike | str], what: str = "report") -> None:
    """OutputError if ``path`` is one of ``inputs`` (the same file, by any name)."""
    path = Path(path)
    for source in inputs:
        with contextlib.suppress(OSError):
            if path.exists() and os.path.samefile(path, source):
                raise OutputError(
                    f"the {what} path {path} is the input file {source}: klmle never writes "
                    "over its input; choose another path"
                )


def _check_parent(path: Path, what: str) -> None:
    """The nearest existing ancestor must be a directory the user may write in."""
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link where a directory should be
            raise OutputError(f"cannot write the {what} {path}: {parent} is a broken link")
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write the {what} {path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write the {what} {path}: no permission to write in {parent}")

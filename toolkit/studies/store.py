"""A study's durable store: one append-only file, one JSON line per finished task.

The first line says which study wrote the file and with which arguments; every
later line is one finished task (its key and its rows), written with a single
``write`` and ``fsync``-ed before the next task is recorded, so a run killed at any
moment (SIGKILL included) leaves every finished task on disk and at most one
unfinished last line, which the next run cuts off. A run with other arguments is
refused, and one process at a time may write (an exclusive ``flock`` on the file,
released by the kernel when the process dies, so a killed run leaves no stale lock).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: Version of the file format, in the first line.
FORMAT = 1
MAGIC = "klmle_study_store"


class StoreError(ValueError):
    """A store that cannot be used: other arguments, another writer, a damaged file."""


def normalise(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists, numpy scalars as numbers)."""
    return json.loads(json.dumps(value, default=_to_json, allow_nan=True))


def _to_json(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} {value!r}")


class Store:
    """An open store, locked for writing; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike, study: str, arguments: Mapping[str, Any]):
        self.path = Path(path)
        self.header = {"format": FORMAT, MAGIC: study, "arguments": normalise(dict(arguments))}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise StoreError(
                f"{self.path} is being written by another study run (one writer at a time); "
                "wait for it to finish or give another store"
            ) from None
        try:
            self.done = self._open(created)
        except BaseException:
            self.close()
            raise

    def _open(self, created: bool) -> dict[tuple, list[dict]]:
        data = _read_all(self._fd)
        if b"\n" not in data and data.startswith(b'{"format"'):
            data = b""  # killed while writing the header line: start afresh
            os.ftruncate(self._fd, 0)
        if not data:
            self._append(self.header)
            if created:
                _sync_directory(self.path.parent)
            return {}
        header, records, complete = parse(data, self.path)
        check_header(header, self.header, self.path)
        if complete < len(data):  # a last line cut short by a kill: drop it
            os.ftruncate(self._fd, complete)
            os.fsync(self._fd)
        return records

    def record(self, key: tuple, rows: list[dict]) -> None:
        """Append one finished task durably (written and fsync-ed before returning)."""
        self._append({"task": list(key), "rows": rows})
        self.done[tuple(key)] = rows

    def _append(self, item: Mapping[str, Any]) -> None:
        line = (json.dumps(item, default=_to_json, allow_nan=True) + "\n").encode("utf-8")
        os.lseek(self._fd, 0, os.SEEK_END)
        written = os.write(self._fd, line)
        while written < len(line):  # a short write (a full disk raises instead)
            written += os.write(self._fd, line[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read(path: str | os.PathLike) -> tuple[dict, dict[tuple, list[dict]]]:
    """(header, rows of each finished task by key) of a store, without locking it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"no study store at {path}") from None
    if not data:
        raise StoreError(f"{path} is empty: not a study store")
    header, records, _ = parse(data, path)
    return header, records


def parse(data: bytes, path: Path) -> tuple[dict, dict[tuple, list[dict]], int]:
    """(header, records by task key, length of the complete lines) of a store's bytes."""
    lines = list(_lines(data))
    complete = sum(len(line) + 1 for line, whole in lines if whole)
    items = []
    for number, (line, whole) in enumerate(lines, start=1):
        try:
            items.append(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError):
            if number == 1:
                break  # not even a header: refused below
            if whole:
                raise StoreError(f"{path}: line {number} is damaged") from None
    if not items or not isinstance(items[0], dict) or MAGIC not in items[0]:
        raise StoreError(f"{path} is not a klmle study store (no header line)")
    if items[0].get("format") != FORMAT:
        raise StoreError(f"{path} has store format {items[0].get('format')}; expected {FORMAT}")
    records: dict[tuple, list[dict]] = {}
    for item in items[1:]:
        records.setdefault(tuple(item["task"]), item["rows"])
    return items[0], records, complete


def _lines(data: bytes) -> Iterator[tuple[bytes, bool]]:
    """Each line and whether it ended with a newline (the last may not have)."""
    parts = data.split(b"\n")
    for part in parts[:-1]:
        yield part, True
    if parts[-1]:
        yield parts[-1], False


def check_header(found: Mapping[str, Any], wanted: Mapping[str, Any], path: Path) -> None:
    """StoreError naming what differs when a store was written by another study or arguments."""
    if found[MAGIC] != wanted[MAGIC]:
        raise StoreError(
            f"{path} holds a {found[MAGIC]} study, not a {wanted[MAGIC]} study; give another store"
        )
    there, here = found["arguments"], wanted["arguments"]
    differ = sorted(k for k in set(there) | set(here) if there.get(k) != here.get(k))
    if differ:
        details = "; ".join(f"{k}: {there.get(k)!r} there, {here.get(k)!r} here" for k in differ)
        raise StoreError(
            f"{path} was written by a {found[MAGIC]} study with other arguments ({details}); "
            "resume with the same arguments, or give another store"
        )


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _sync_directory(directory: Path) -> None:
    """fsync a directory, so that a new file's entry in it survives a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

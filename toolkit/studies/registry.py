"""The studies by name, and a stored study read back as its frame."""

from __future__ import annotations

import importlib
import os
from types import MappingProxyType

import pandas as pd

from toolkit.studies.runner import frame_of
from toolkit.studies.store import MAGIC, StoreError, read

#: The studies' modules (each defines NAME, and a function of that name).
_MODULES = [
    importlib.import_module(f"toolkit.studies.{name}")
    for name in ("convergence", "misspecification", "smoothing", "reverse", "prior")
]
#: Each study's function, by name.
STUDIES = MappingProxyType({m.NAME: getattr(m, m.NAME) for m in _MODULES})
#: Studies of many samples (sizes × replications), by name: their modules (with ``plan`` and
#: ``COLUMNS``). They run in parallel and resume from a store.
REPLICATED = MappingProxyType({m.NAME: m for m in _MODULES if hasattr(m, "plan")})


def load(path: str | os.PathLike) -> pd.DataFrame:
    """The frame of a study's store: every finished task's rows, in the study's order.

    The same frame the run returned when every task has finished (``attrs["tasks"]``
    counts them); a store of an unfinished run gives the finished tasks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from toolkit.studies import convergence, load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "study.jsonl"
    >>> ran = convergence("exponential", sizes=[30], reps=2, seed=4, store=path)
    >>> loaded = load(path)
    >>> loaded.equals(ran), loaded.attrs["tasks"]
    (True, {'total': 2, 'stored': 2})
    """
    header, records = read(path)
    name = header[MAGIC]
    if name not in REPLICATED:
        raise StoreError(f"{path} holds an unknown study {name!r}")
    arguments = header["arguments"]
    keys = sorted(records)
    rows = [row for key in keys for row in records[key]]
    frame = frame_of(rows, REPLICATED[name].COLUMNS, name, arguments)
    total = len(arguments["sizes"]) * arguments["reps"]
    frame.attrs["tasks"] = {"total": total, "stored": len(keys)}
    return frame

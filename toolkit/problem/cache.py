"""Compiled functions kept on disk, so that a new process skips PyTensor's graph rewriting.

PyTensor caches the C code it compiles, but every new process still rewrites each
graph before it looks that code up: 0.3–5 s per function, most of a warm
``klmle demo``. A catalog family's or a regression family's model is built by the same
code every time, and a user's model structure has a digest that is the same in every
process (:mod:`toolkit.problem.structure`), so their compiled functions (the rewritten
graphs, which link their C code again when loaded) are pickled here once and restored in
later processes: the model is rebuilt (cheap) and the restored functions are linked to
its data containers, so that data bound later reach them.

The files live in PyTensor's compile directory (``klmle-functions/``), beside the C
code the functions load: a temporary compile directory (a cold benchmark) starts
with none. A file's name digests the model's key, the versions of Python, NumPy,
SciPy, PyMC and PyTensor, PyTensor's flags and the source of ``toolkit`` and
``models``; any change there gives other names, never a stale function. A file that
does not load is ignored (the functions are compiled as if it were absent), and files
are written whole (a temporary file renamed) when the process ends, with every
function compiled in it that pickles. ``settings["function_cache"] = False`` turns
all of this off. The files are pickles, read with the same trust as PyTensor's own
``key.pkl`` files in that directory.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import os
import pickle
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.config import settings
from toolkit.problem.compiled import CompiledModel, compile_model
from toolkit.problem.tiers import c_flags, without_gc

#: Folder of the kept functions, inside PyTensor's compile directory.
FOLDER = "klmle-functions"

#: Files of another version of the code (another stamp) unused this long are removed.
STALE_SECONDS = 3600

#: The entry of a file holding the model's initial point (the others are functions).
_POINT = ("initial point",)

#: Models restored or compiled in this process, by file: (the model, the file's entries).
_KEPT: dict[Path, tuple[CompiledModel, dict[Any, bytes]]] = {}


def compiled_model(model, key: tuple, **options) -> CompiledModel:
    """``compile_model(model, **options)`` with the functions kept on disk for ``key``.

    ``key`` names the model's structure completely: two models built with equal keys
    (by the same code) must have equal graphs. The functions this process compiles
    for it are written to disk when it ends.
    """
    if not settings["function_cache"]:
        return compile_model(model, **options)
    path = _path(key)
    entries: dict[Any, bytes] = {}
    with contextlib.suppress(Exception):  # an unreadable file is as good as none
        entries = pickle.loads(path.read_bytes())
        os.utime(path)  # in use: not stale
    point = None
    with contextlib.suppress(Exception):
        point = pickle.loads(entries[_POINT])
    compiled = compile_model(model, point=point, **options)
    objects = _objects(compiled)
    for name, blob in entries.items():
        if name == _POINT or not blob:  # not a function, or one that did not pickle
            continue
        # One that does not load is compiled.
        with contextlib.suppress(Exception), c_flags(), without_gc():
            compiled._lazy[name] = _Unpickler(io.BytesIO(blob), objects).load()
    _KEPT[path] = (compiled, entries)
    return compiled


def save_all() -> None:
    """Write the file of every model that compiled a function not yet on disk."""
    for path, (compiled, entries) in list(_KEPT.items()):
        new = {name: f for name, f in compiled._lazy.items() if name not in entries}
        if not new and _POINT in entries:
            continue
        entries[_POINT] = pickle.dumps(compiled.point, protocol=pickle.HIGHEST_PROTOCOL)
        ids = {id(obj): tag for tag, obj in _objects(compiled).items()}
        for name, function in new.items():
            entries[name] = b""  # a function that does not pickle: compiled in every process
            with contextlib.suppress(Exception), warnings.catch_warnings():
                # PyTensor warns that arrays sharing memory (two views of one design) stay
                # apart when unpickled: the data are not in the file, so nothing is lost.
                warnings.filterwarnings("ignore", message="aliased relationship")
                buffer = io.BytesIO()
                _Pickler(buffer, ids).dump(function)
                entries[name] = buffer.getvalue()
        _write(path, pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
        _remove_stale(path.parent)


atexit.register(save_all)


def _objects(compiled: CompiledModel) -> dict[tuple, Any]:
    """What a file refers to instead of holding: the model, its data containers, their data.

    A bound value is restored as the array its container holds now (the data stay out
    of the file, and PyTensor's check that an unpickled function holds the values it
    was pickled with passes).
    """
    model = compiled.model
    objects: dict[tuple, Any] = {("model",): model}
    for rv, transform in model.rvs_to_transforms.items():  # some hold closures
        if transform is not None:
            objects[("transform", rv.name)] = transform
    data = {var.name: var for var in model.data_vars}
    data.update(compiled.containers)  # a structure's template: its data containers
    for name, var in data.items():
        objects[("container", name)] = var.container
        objects[("storage", name)] = var.container.storage  # what functions read from
        if isinstance(var.container.storage[0], np.ndarray):  # never a shared None or int
            objects[("value", name)] = var.container.storage[0]
    return objects


#: Attributes of a graph's scratchpads (``tag``) left out of a file: where a variable was
#: made (long, for error messages only) and a Blockwise node's vectorised perform (a
#: closure, built again when the function is linked).
_LEFT_OUT = frozenset({"trace", "gufunc"})

#: Attributes of a compiled function's graph left out of a file: the features that serve
#: its rewriting only (the shapes of every variable, the merge's memory of nodes seen),
#: half of a file; the in-place bookkeeping that orders its nodes stays.
_REWRITING_ONLY = frozenset({"shape_feature", "merge_feature"})


class _Pickler(pickle.Pickler):
    """Pickles ``ids``' objects by reference, and graphs without their caches."""

    def __init__(self, file, ids: dict[int, tuple]):
        from pytensor.compile.builders import OpFromGraph
        from pytensor.graph.fg import FunctionGraph
        from pytensor.graph.utils import Scratchpad
        from pytensor.link.c.op import ExternalCOp

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._ids = ids
        self._scratchpad, self._op_from_graph = Scratchpad, OpFromGraph
        self._external, self._graph = ExternalCOp, FunctionGraph

    def persistent_id(self, obj):
        return self._ids.get(id(obj))

    def reducer_override(self, obj):
        if isinstance(obj, self._scratchpad):
            state = {k: v for k, v in vars(obj).items() if k not in _LEFT_OUT}
            return _rebuilt, (type(obj), state)
        if isinstance(obj, self._op_from_graph):  # its gradient caches hold closures
            state = {**vars(obj), "_lop_op_cache": {}, "_rop_op_cache": None}
            return _rebuilt, (type(obj), state)
        if type(obj) is self._graph:  # PyTensor's own state, without its rewriting's
            state = obj.__getstate__()
            dropped = [state.pop(name, None) for name in _REWRITING_ONLY]
            state["_features"] = [f for f in obj._features if all(f is not d for d in dropped)]
            return _with_state, (type(obj), state)
        if isinstance(obj, self._external):  # its C source, read again from PyTensor's files
            state = {k: v for k, v in vars(obj).items() if k not in ("func_codes", "code_sections")}
            return _with_c_code, (type(obj), state)
        return NotImplemented


def _with_c_code(cls, state: dict):
    """An ``ExternalCOp`` of ``cls`` with attributes ``state`` and its C code loaded.

    The code is read and split once per process for each class and set of files
    (PyTensor's ``load_c_code``), and copied to every later op of that kind: a demo's
    kept functions hold hundreds of such ops, and reading their files again each time
    was seconds of a warm run.
    """
    op = _rebuilt(cls, {**state, "func_codes": [], "code_sections": {}})
    key = (cls, tuple(str(f) for f in op.func_files))
    if key not in _C_CODE:
        op.load_c_code(op.func_files)
        _C_CODE[key] = (tuple(op.func_codes), dict(op.code_sections))
    codes, sections = _C_CODE[key]
    op.func_codes, op.code_sections = list(codes), dict(sections)
    return op


#: (ExternalCOp class, its C files) -> the code ``load_c_code`` read and split.
_C_CODE: dict[tuple, tuple[tuple[str, ...], dict[str, str]]] = {}


def _with_state(cls, state: dict):
    """An object of ``cls`` given ``state`` by its own ``__setstate__``."""
    obj = cls.__new__(cls)
    obj.__setstate__(state)
    return obj


def _rebuilt(cls, state: dict):
    """An object of ``cls`` with attributes ``state``, built without calling its ``__init__``."""
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, objects: dict[tuple, Any]):
        super().__init__(file)
        self._objects = objects

    def persistent_load(self, pid):
        return self._objects[tuple(pid)]


def kept_files() -> int:
    """Files of this version of the code in :func:`folder` (one per model structure)."""
    try:
        return sum(1 for _ in folder().glob(f"{_stamp()[:12]}-*.pkl"))
    except OSError:
        return 0


def folder() -> Path:
    """Where the files are: ``klmle-functions/`` in PyTensor's compile directory."""
    import pytensor

    return Path(pytensor.config.compiledir) / FOLDER


def _path(key: tuple) -> Path:
    """``<stamp>-<key>.pkl``: the stamp's prefix tells a file of another version."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    return folder() / f"{_stamp()[:12]}-{digest}.pkl"


def _remove_stale(directory: Path) -> None:
    """Remove files of other versions of the code left unused for :data:`STALE_SECONDS`."""
    now = time.time()
    for path in directory.glob("*.pkl"):
        with contextlib.suppress(OSError):
            if (
                not path.name.startswith(_stamp()[:12])
                and now - path.stat().st_mtime > STALE_SECONDS
            ):
                path.unlink()


@functools.cache
def _stamp() -> str:
    """Everything a kept function depends on besides its key, as one digest."""
    import numpy
    import pymc
    import pytensor
    import scipy

    config = pytensor.config
    versions = [sys.version, numpy.__version__, scipy.__version__, pymc.__version__]
    versions += [pytensor.__version__, config.floatX, config.mode, config.linker]
    versions += [config.optimizer, config.optimizer_including, config.optimizer_excluding]
    versions += [config.cxx, config.traceback__limit]
    digest = hashlib.sha256(repr(versions).encode())
    root = Path(__file__).resolve().parents[2]
    for package in ("toolkit", "models"):
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def _write(path: Path, blob: bytes) -> None:
    """``blob`` as ``path``, whole or not at all (a temporary file renamed over it)."""
    with contextlib.suppress(OSError):  # a read-only cache: the functions are compiled again
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

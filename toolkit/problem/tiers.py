"""Where a model's compiled functions run: PyTensor's Python implementation, then C.

Compiling a graph to C costs about half a second per distinct operation on a cold
compile cache (10–50 s for a family's Hessian), and a one-off comparison calls that
function 20–50 times. PyTensor's Python implementation of the same graph (every
operation a NumPy/SciPy call) costs nothing to compile and 0.3–40 ms a call. So a
model's functions are built for the Python implementation first, and compiled to C
once a function has been called ``settings["compile_after"]`` times in the process
(1000 by default: a studies' worth of fits, or the kl engine's walk on a user's model,
never a single comparison of a catalog family). Both are PyTensor's own
implementations of the same rewritten graph (PyMC's log-probability and its exact
derivatives): the numbers agree to rounding, with SciPy's special functions where the
Python implementation calls them (PyTensor's C digamma is good to about 2e-10).

Which implementation a call uses depends only on how often that function was called
before in the process, never on what a compile cache holds: a process gives the same
digits for the same sequence of fits. Studies compile to C from their first fit
(``compile_after=0``), so serial, parallel and resumed runs give identical frames.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
from collections.abc import Iterator

from toolkit.config import settings

#: The two tiers: PyTensor's Python implementation, and C code compiled by PyTensor.
PYTHON, C = "python", "c"

_TIER: contextvars.ContextVar[str] = contextvars.ContextVar("klmle_tier", default=C)


def tier_at(calls: int) -> str:
    """The tier of a function's ``calls``-th call in this process (1 for the first)."""
    return C if calls > settings["compile_after"] else PYTHON


@contextlib.contextmanager
def building(tier: str) -> Iterator[None]:
    """Functions compiled inside run on ``tier`` (unless given a mode of their own)."""
    token = _TIER.set(tier)
    try:
        with without_gc(), c_flags() if tier == C else contextlib.nullcontext():
            yield
    finally:
        _TIER.reset(token)


@contextlib.contextmanager
def without_gc() -> Iterator[None]:
    """Python's cycle collector paused inside (and restored as it was).

    Building, rewriting or unpickling a graph allocates hundreds of thousands of
    objects, and every collection that triggers walks all objects of the process,
    PyMC's and PyTensor's included: paused, a family's graph rewrites in 35–45 % less
    time and a kept function unpickles ten times faster. Cycles made inside are
    collected after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def mode(requested=None):
    """The PyTensor mode a function is compiled with: ``requested`` when given, else the
    current tier's (None, PyTensor's default, for C)."""
    if requested is not None:
        return requested
    return python_mode() if _TIER.get() == PYTHON else None


@functools.cache
def python_mode():
    """PyTensor's Python implementation of the graph rewritten as for C (``fast_run``),
    without fusing elementwise operations into one loop (a loop only C runs fast), and
    with n-ary sums and products as chains of binary ones (NumPy's ``add`` and
    ``multiply`` take two operands; wider ones would loop over elements in Python)."""
    from pytensor.compile.mode import Mode
    from pytensor.graph.rewriting.basic import in2out
    from pytensor.graph.rewriting.db import RewriteDatabaseQuery
    from pytensor.link.vm import VMLinker

    class PythonMode(Mode):
        def __reduce__(self):  # pickled by name: a kept function restores this same mode
            return (python_mode, ())

    rewrites = RewriteDatabaseQuery(include=["fast_run"], exclude=["fusion"])
    mode = PythonMode(linker=VMLinker(use_cloop=False, c_thunks=False), optimizer=rewrites)
    # After PyTensor's specialisations, before its in-place rewrites (49.5).
    return mode.register((in2out(_binary_elemwise(), name="klmle_binary_elemwise"), 49.3))


def _binary_elemwise():
    """A node rewriter: an elementwise sum or product of more than two operands as a
    chain of binary ones, in the same order."""
    import pytensor.tensor as pt
    from pytensor.graph.rewriting.basic import node_rewriter
    from pytensor.scalar import basic as ps
    from pytensor.tensor.elemwise import Elemwise

    @node_rewriter([Elemwise])
    def binary_elemwise(fgraph, node):
        scalar = node.op.scalar_op
        if not isinstance(scalar, ps.Add | ps.Mul) or len(node.inputs) <= 2:
            return None
        pair = pt.add if isinstance(scalar, ps.Add) else pt.mul
        out = node.inputs[0]
        for operand in node.inputs[1:]:
            out = pair(out, operand)
        return [pt.cast(out, node.outputs[0].dtype)]

    return binary_elemwise


#: Added to PyTensor's C compiler flags for this toolkit's functions: no debug information.
#: PyTensor passes ``-g``; without it the same code is generated (the same numbers) and each
#: module compiles in about 15% less time, most of a cold first fit.
NO_DEBUG_INFO = "-g0"


@contextlib.contextmanager
def c_flags() -> Iterator[None]:
    """PyTensor compiles (and links restored functions to) C code built without debug
    information, unless the user's own ``gcc__cxxflags`` choose a ``-g`` level.

    The flags are part of a C module's key in PyTensor's cache: every function of this
    toolkit is compiled, and restored from disk (:mod:`toolkit.problem.cache`), within
    this context, so that they find the same modules.
    """
    import pytensor

    flags = pytensor.config.gcc__cxxflags
    if any(flag.startswith("-g") for flag in flags.split()):
        yield
        return
    with pytensor.config.change_flags(gcc__cxxflags=f"{flags} {NO_DEBUG_INFO}".strip()):
        yield

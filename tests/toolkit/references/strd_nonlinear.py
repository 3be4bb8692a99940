"""NIST StRD nonlinear least-squares problems as PyMC models with certified references.

Source: NIST/ITL Statistical Reference Datasets (StRD), nonlinear regression,
https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml (public domain). Each problem's
data, both NIST starting values, the certified parameter values (11 significant digits)
and the certified residual sum of squares are in ``nist_nls/<Name>.txt`` beside this
module, with the dataset's own NIST page and where the transcription was read from in
its header. ``test_references.py`` checks every transcription: the residual sum of
squares at the certified values equals NIST's certified RSS, its gradient vanishes, and
Gauss-Newton in extended precision (mpmath) returns to the certified values.

Every model function is written once as ``f(x, b, math)``: ``math`` is ``numpy``,
``pymc.math`` (PyTensor) or :data:`strd_mp.MP` (mpmath scalars), and ``b`` is any
indexable of the parameters b1..bk (``b[0]`` is b1).

The MLE of (b1..bk, sigma) in :func:`nist_model` is the least-squares solution (the
certified values) with sigma = sqrt(RSS/N).
"""

from __future__ import annotations

import functools
import itertools
import math as _math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(__file__).with_name("nist_nls")


def _pi(math: Any):
    """pi in the given namespace (pymc.math has none; a float is exact enough there)."""
    return getattr(math, "pi", np.pi)


def _misra1a(x, b, math):
    return b[0] * (1 - math.exp(-b[1] * x))


def _misra1b(x, b, math):
    return b[0] * (1 - (1 + b[1] * x / 2) ** -2)


def _misra1c(x, b, math):
    return b[0] * (1 - (1 + 2 * b[1] * x) ** -0.5)


def _misra1d(x, b, math):
    return b[0] * b[1] * x / (1 + b[1] * x)


def _chwirut(x, b, math):
    return math.exp(-b[0] * x) / (b[1] + b[2] * x)


def _lanczos(x, b, math):
    return b[0] * math.exp(-b[1] * x) + b[2] * math.exp(-b[3] * x) + b[4] * math.exp(-b[5] * x)


def _danwood(x, b, math):
    return b[0] * x ** b[1]


def _kirby2(x, b, math):
    return (b[0] + b[1] * x + b[2] * x**2) / (1 + b[3] * x + b[4] * x**2)


def _rational_cubic(x, b, math):  # Hahn1, Thurber
    return (b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3) / (
        1 + b[4] * x + b[5] * x**2 + b[6] * x**3
    )


def _nelson(x, b, math):  # x = (x1, x2); the response is log(y)
    return b[0] - b[1] * x[0] * math.exp(-b[2] * x[1])


def _mgh17(x, b, math):
    return b[0] + b[1] * math.exp(-x * b[3]) + b[2] * math.exp(-x * b[4])


def _roszman1(x, b, math):
    return b[0] - b[1] * x - math.arctan(b[2] / (x - b[3])) / _pi(math)


def _enso(x, b, math):
    w = 2 * _pi(math) * x
    return (
        b[0]
        + b[1] * math.cos(w / 12)
        + b[2] * math.sin(w / 12)
        + b[4] * math.cos(w / b[3])
        + b[5] * math.sin(w / b[3])
        + b[7] * math.cos(w / b[6])
        + b[8] * math.sin(w / b[6])
    )


def _mgh09(x, b, math):
    return b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3])


def _rat42(x, b, math):
    return b[0] / (1 + math.exp(b[1] - b[2] * x))


def _mgh10(x, b, math):
    return b[0] * math.exp(b[1] / (x + b[2]))


def _eckerle4(x, b, math):
    return (b[0] / b[1]) * math.exp(-0.5 * ((x - b[2]) / b[1]) ** 2)


def _rat43(x, b, math):
    return b[0] / (1 + math.exp(b[1] - b[2] * x)) ** (1 / b[3])


def _bennett5(x, b, math):
    return b[0] * (b[1] + x) ** (-1 / b[2])


#: name -> (NIST level of difficulty, model function), in NIST's order within a level.
MODELS = {
    "Misra1a": ("lower", _misra1a),
    "Chwirut2": ("lower", _chwirut),
    "Lanczos3": ("lower", _lanczos),
    "DanWood": ("lower", _danwood),
    "Misra1b": ("lower", _misra1b),
    "Kirby2": ("average", _kirby2),
    "Hahn1": ("average", _rational_cubic),
    "Nelson": ("average", _nelson),
    "MGH17": ("average", _mgh17),
    "Lanczos1": ("average", _lanczos),
    "Lanczos2": ("average", _lanczos),
    "Misra1c": ("average", _misra1c),
    "Misra1d": ("average", _misra1d),
    "Roszman1": ("average", _roszman1),
    "ENSO": ("average", _enso),
    "MGH09": ("higher", _mgh09),
    "Thurber": ("higher", _rational_cubic),
    "BoxBOD": ("higher", _misra1a),
    "Rat42": ("higher", _rat42),
    "MGH10": ("higher", _mgh10),
    "Eckerle4": ("higher", _eckerle4),
    "Rat43": ("higher", _rat43),
    "Bennett5": ("higher", _bennett5),
}
PROBLEMS = tuple(MODELS)
STARTS = ("start1", "start2")

#: Groups of parameters (0-based) that the model leaves interchangeable: the same mean
#: function with the groups permuted (e.g. the three exponentials of Lanczos).
SYMMETRIES = {
    "Lanczos1": ((0, 1), (2, 3), (4, 5)),
    "Lanczos2": ((0, 1), (2, 3), (4, 5)),
    "Lanczos3": ((0, 1), (2, 3), (4, 5)),
    "MGH17": ((1, 3), (2, 4)),
    "ENSO": ((3, 4, 5), (6, 7, 8)),
}
#: Parameters (0-based) whose signs can flip together without changing the mean function:
#: (b1, b2) of Eckerle4; a period and its sine amplitude in ENSO.
SIGN_FLIPS = {
    "Eckerle4": ((0, 1),),
    "ENSO": ((3, 5), (6, 8)),
}


def read_table(path: Path) -> tuple[dict[str, list[str]], list[str], list[list[str]]]:
    """A reference file: ``key value...`` lines, then ``data col...`` and rows.

    Numbers stay text, so extended precision can read NIST's decimals exactly.
    """
    fields: dict[str, list[str]] = {}
    columns: list[str] = []
    rows: list[list[str]] = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, *values = line.split()
        if columns:
            rows.append(line.split())
        elif key == "data":
            columns = values
        else:
            fields[key] = values
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"{path.name}: a data row does not have {len(columns)} columns")
    return fields, columns, rows


@dataclass(frozen=True)
class NistProblem:
    """One StRD nonlinear problem; numbers as float64 and as NIST's decimal text."""

    name: str
    difficulty: str
    model: Any
    text: dict  # key -> list of decimal strings (start1, start2, certified, rss, columns)

    @property
    def url(self) -> str:
        slug = {"DanWood": "daniel_wood", "Rat42": "ratkowsky2", "Rat43": "ratkowsky3"}
        return (
            "https://www.itl.nist.gov/div898/strd/nls/data/"
            f"{slug.get(self.name, self.name.lower())}.shtml"
        )

    def _floats(self, key: str) -> np.ndarray:
        return np.array([float(v) for v in self.text[key]])

    @property
    def k(self) -> int:
        return len(self.text["certified"])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"b{i + 1}" for i in range(self.k))

    @property
    def x(self):
        """The predictor as float64 (a tuple (x1, x2) for Nelson)."""
        if self.name == "Nelson":
            return (self._floats("x1"), self._floats("x2"))
        return self._floats("x")

    @property
    def y(self) -> np.ndarray:
        """The response NIST fits: log(y) for Nelson."""
        y = self._floats("y")
        return np.log(y) if self.name == "Nelson" else y

    @property
    def n(self) -> int:
        return len(self.text["y"])

    @property
    def certified(self) -> dict[str, float]:
        return dict(zip(self.names, self._floats("certified"), strict=True))

    @property
    def rss(self) -> float:
        return float(self.text["rss"][0])

    @property
    def sigma(self) -> float:
        """The MLE of the error SD at the certified values: sqrt(RSS/N)."""
        return _math.sqrt(self.rss / self.n)

    def start(self, which: str) -> dict[str, float]:
        return dict(zip(self.names, self._floats(which), strict=True))

    def align(self, estimates: dict) -> dict:
        """``estimates`` relabelled to lie nearest the certified values, if the model allows.

        Interchangeable groups are permuted and sign-symmetric pairs flipped: each
        candidate is the same fit (same mean function, same RSS).
        """
        groups = SYMMETRIES.get(self.name, ())
        flips = SIGN_FLIPS.get(self.name, ())
        if not groups and not flips:
            return dict(estimates)
        cert = self.certified

        def distance(candidate):
            return sum(abs(candidate[n] - cert[n]) / abs(cert[n]) for n in self.names)

        best = dict(estimates)
        for order in itertools.permutations(groups) if groups else [()]:
            permuted = dict(estimates)
            for target, source in zip(groups, order, strict=True):
                for t, s in zip(target, source, strict=True):
                    permuted[self.names[t]] = estimates[self.names[s]]
            for signs in itertools.product((1, -1), repeat=len(flips)):
                candidate = dict(permuted)
                for sign, flip in zip(signs, flips, strict=True):
                    for i in flip:
                        candidate[self.names[i]] = sign * permuted[self.names[i]]
                if distance(candidate) < distance(best):
                    best = candidate
        return best

    def rss_at(self, b) -> float:
        r = self.residuals(b)
        return float(r @ r)

    def mean(self, b, math=np):
        return self.model(self.x, b, math)

    def residuals(self, b) -> np.ndarray:
        return self.y - self.mean(np.asarray(b, dtype=float))


@functools.cache
def load(name: str) -> NistProblem:
    """The problem ``name`` (one of :data:`PROBLEMS`) from its file."""
    difficulty, model = MODELS[name]
    fields, columns, rows = read_table(DATA_DIR / f"{name}.txt")
    text = {key: list(values) for key, values in fields.items()}
    for i, column in enumerate(columns):
        text[column] = [row[i] for row in rows]
    for key in ("start1", "start2"):
        if len(text[key]) != len(text["certified"]):
            raise ValueError(f"{name}: {key} has {len(text[key])} values")
    return NistProblem(name, difficulty, model, text)


def nist_model(problem: NistProblem | str, start: str | dict = "start1"):
    """``pm.Model``: flat b1..bk (initval = the start), HalfFlat sigma, Normal response.

    ``start`` is "start1", "start2" or a dict of b values.
    """
    import pymc as pm

    if isinstance(problem, str):
        problem = load(problem)
    init = problem.start(start) if isinstance(start, str) else dict(start)
    with pm.Model() as model:
        b = [pm.Flat(name, initval=float(init[name])) for name in problem.names]
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", problem.model(problem.x, b, pm.math), sigma, observed=problem.y)
    return model

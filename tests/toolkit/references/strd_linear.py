"""NIST StRD linear least-squares problems as PyMC models with certified references.

Source: NIST/ITL Statistical Reference Datasets (StRD), linear regression,
https://www.itl.nist.gov/div898/strd/lls/lls.shtml (public domain). Certified estimates
(15 significant digits) and residual standard deviations are NIST's. Longley's data are
the copy statsmodels ships (``sm.datasets.longley``, identical to NIST's Longley.dat);
Filip, Pontius and Wampler1-5 are in ``nist_lls/<Name>.txt`` beside this module.
``test_references.py`` checks that the certified values solve the normal equations in
60-digit arithmetic (mpmath) and reproduce the certified residual SD.

Norris (lower difficulty) and NoInt1/NoInt2 are not included: their data were not
transcribed.

The MLE of (beta, sigma) in :func:`linear_model` is the least-squares solution, with
sigma = sqrt(RSS/N) = residual SD * sqrt((N - p)/N) (NIST's residual SD divides by N - p).
Wampler1 and Wampler2 are exact fits (certified residual SD 0): there the Gaussian
likelihood has no maximum (sigma -> 0), which the measurement records as it happens.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from strd_nonlinear import read_table

DATA_DIR = Path(__file__).with_name("nist_lls")

#: NIST's Longley certified values (B0..B6) and residual SD.
LONGLEY_CERTIFIED = (
    "-3482258.63459582",
    "15.0618722713733",
    "-0.358191792925910E-01",
    "-2.02022980381683",
    "-1.03322686717359",
    "-0.511041056535807E-01",
    "1829.15146461355",
)
LONGLEY_SD = "304.854073561965"

#: name -> NIST level of difficulty.
DIFFICULTY = {
    "Pontius": "lower",
    "Longley": "higher",
    "Filip": "higher",
    "Wampler1": "higher",
    "Wampler2": "higher",
    "Wampler3": "higher",
    "Wampler4": "higher",
    "Wampler5": "higher",
}
PROBLEMS = tuple(DIFFICULTY)


@dataclass(frozen=True)
class LinearProblem:
    """Covariates, response, certified beta and residual SD, as NIST's decimal text.

    The design is an intercept column and the covariates (Longley), or the powers
    1, x, ..., x**degree of the one covariate (the polynomial problems).
    """

    name: str
    difficulty: str
    covariates_text: tuple[tuple[str, ...], ...]
    degree: int | None
    y_text: tuple[str, ...]
    certified_text: tuple[str, ...]
    sd_text: str

    @property
    def url(self) -> str:
        return f"https://www.itl.nist.gov/div898/strd/lls/data/{self.name}.shtml"

    @property
    def design(self) -> np.ndarray:
        """The float64 design matrix, intercept first."""
        cov = np.array([[float(v) for v in row] for row in self.covariates_text])
        if self.degree is not None:
            return np.vander(cov[:, 0], self.degree + 1, increasing=True)
        return np.column_stack([np.ones(len(cov)), cov])

    def design_rows(self, convert):
        """Design rows with every number made by ``convert`` from its decimal text."""
        rows = []
        for row in self.covariates_text:
            values = [convert(v) for v in row]
            if self.degree is not None:
                rows.append([values[0] ** d for d in range(self.degree + 1)])
            else:
                rows.append([convert("1"), *values])
        return rows

    @property
    def y(self) -> np.ndarray:
        return np.array([float(v) for v in self.y_text])

    @property
    def n(self) -> int:
        return len(self.y_text)

    @property
    def p(self) -> int:
        return len(self.certified_text)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"beta[{i}]" for i in range(self.p))

    @property
    def certified(self) -> dict[str, float]:
        return dict(zip(self.names, (float(v) for v in self.certified_text), strict=True))

    @property
    def residual_sd(self) -> float:
        """NIST's certified residual SD, sqrt(RSS / (N - p))."""
        return float(self.sd_text)

    @property
    def sigma(self) -> float:
        """The MLE of sigma at the certified values, sqrt(RSS / N)."""
        return self.residual_sd * math.sqrt((self.n - self.p) / self.n)


@functools.cache
def load(name: str) -> LinearProblem:
    """The problem ``name`` (one of :data:`PROBLEMS`)."""
    if name == "Longley":
        import statsmodels.api as sm

        data = sm.datasets.longley.load_pandas()
        exog = data.exog[["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]].to_numpy()
        covariates = tuple(tuple(repr(float(v)) for v in row) for row in exog)
        y = tuple(repr(float(v)) for v in data.endog.to_numpy())
        return LinearProblem(
            name, DIFFICULTY[name], covariates, None, y, LONGLEY_CERTIFIED, LONGLEY_SD
        )
    fields, columns, rows = read_table(DATA_DIR / f"{name}.txt")
    if columns != ["y", "x"]:
        raise ValueError(f"{name}: expected columns y x, got {columns}")
    degree = int(fields["degree"][0])
    certified = tuple(fields["certified"])
    if len(certified) != degree + 1:
        raise ValueError(f"{name}: {len(certified)} certified values for degree {degree}")
    covariates = tuple((row[1],) for row in rows)
    y = tuple(row[0] for row in rows)
    return LinearProblem(name, DIFFICULTY[name], covariates, degree, y, certified, fields["sd"][0])


def linear_model(problem: LinearProblem | str):
    """``pm.Model``: ``pm.Data`` design, flat vector ``beta``, HalfFlat ``sigma``."""
    import pymc as pm

    if isinstance(problem, str):
        problem = load(problem)
    with pm.Model() as model:
        x = pm.Data("X", problem.design)
        beta = pm.Flat("beta", shape=problem.p)
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", pm.math.dot(x, beta), sigma, observed=problem.y)
    return model

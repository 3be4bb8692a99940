"""A regression entry rebuilt from its saved data: design, response, fit, profiles, calibration.

Everything is computed from the results file alone (the design ``X`` and the
response ``y`` in ``observed_data``, the linear predictor at the MLE in the
comparison group) and the family's declaration, whose numpy/scipy row
log-density is independent of PyMC. Nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from toolkit.report.stats import PROFILE_HALF_WIDTH, PROFILE_POINTS, Profile

INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class RegressionView:
    """The saved response and design of a regression entry, with its fit at the MLE."""

    family: object
    x: np.ndarray
    y: np.ndarray
    columns: list[str]
    response: str
    intercept: bool
    #: Linear predictor Xβ (or the mean function) at the MLE, one value per row.
    eta: np.ndarray
    #: The family's extra parameters (sigma, alpha) at the MLE.
    extra: dict[str, float]

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def covariates(self) -> tuple[list[str], np.ndarray]:
        """Names and values of the design's columns without the intercept."""
        if self.intercept:
            return self.columns[1:], self.x[:, 1:]
        return self.columns, self.x

    @property
    def fitted_mean(self) -> np.ndarray | None:
        """E[y | x] at the MLE, from the declaration's ``response_mean``; None without one."""
        if self.family.response_mean is None:
            return None
        return np.asarray(self.family.response_mean(self.eta, self.extra), dtype=float)


def regression_view(entry) -> RegressionView:
    """The :class:`RegressionView` of a regression :class:`~toolkit.report.results.ReportEntry`."""
    from models import get_family

    spec = entry.regression
    if spec is None:
        raise ValueError(f"{entry.label}: not a regression entry")
    family = get_family(spec["family"])
    observed = entry.idata.observed_data
    mle = entry.estimates["mle"]
    return RegressionView(
        family=family,
        x=np.asarray(observed["X"].values, dtype=float),
        y=np.asarray(observed["y"].values, dtype=float),
        columns=list(spec["columns"]),
        response=str(spec["response"]),
        intercept=bool(spec["intercept"]),
        eta=np.asarray(entry.idata.comparison["eta_mle"].values, dtype=float),
        extra={p: float(mle[p]) for p in family.extra},
    )


def terms(entry) -> dict[str, str]:
    """``beta[i]`` -> the design column it multiplies (empty for mean-function families)."""
    from models import get_family

    spec = entry.regression
    if spec is None or get_family(spec["family"]).mean_function:
        return {}
    return {f"beta[{i}]": column for i, column in enumerate(spec["columns"])}


def can_profile(view: RegressionView) -> bool:
    """Profiles need θ -> Xβ; a user's mean function is Python code, not in the results."""
    return not view.family.mean_function


def kl_profiles(view: RegressionView, mle: dict, se: dict) -> list[Profile]:
    """Conditional KL(p̂‖q_θ) over atoms and −ℓ(θ)/N over rows, along each parameter.

    The KL is Σ w log(p̂(y|x) / q(y|x)) over the distinct (x, y) rows with weights
    w = count/N (the conditional entropy term p̂(y|x) = count / count of x only for
    discrete responses; for continuous ones the KL engine's objective is the
    cross-entropy, so the term is 0). −ℓ(θ)/N sums the family's row log-density over
    every row. The two are computed separately; they differ by a θ-free constant.
    """
    atoms, counts, inverse_x = _atoms(view)
    weights = counts / view.n
    k = view.x.shape[1]
    x_atoms, y_atoms = atoms[:, :k], atoms[:, k]
    log_phat = np.log(counts / np.bincount(inverse_x)[inverse_x]) if view.family.discrete else 0.0
    names = [f"beta[{i}]" for i in range(k)] + list(view.family.extra)
    profiles = []
    for name in names:
        grid = _line(view, name, float(mle[name]), float(se.get(name, np.nan)))
        nll, kl = [], []
        for value in grid:
            point = dict(mle, **{name: float(value)})
            beta = np.array([point[f"beta[{i}]"] for i in range(k)])
            extra = {p: point[p] for p in view.family.extra}
            with np.errstate(all="ignore"):
                rows = view.family.logpdf(view.y, view.x @ beta, extra)
                at_atoms = view.family.logpdf(y_atoms, x_atoms @ beta, extra)
                nll.append(-float(np.mean(rows)))
                kl.append(float(np.dot(weights, log_phat - at_atoms)))
        profiles.append(Profile(name, grid, np.array(nll), np.array(kl)))
    return profiles


def _atoms(view: RegressionView):
    """Distinct (x, y) rows, their counts, and each atom's x-group index."""
    rows = np.column_stack([view.x, view.y])
    atoms, counts = np.unique(rows, axis=0, return_counts=True)
    _, inverse_x = np.unique(atoms[:, :-1], axis=0, return_inverse=True)
    return atoms, counts, np.ravel(inverse_x)


def _line(view: RegressionView, name: str, value: float, se: float) -> np.ndarray:
    if not (np.isfinite(se) and se > 0):
        se = 0.1 * max(abs(value), 1e-3)
    t = np.linspace(-PROFILE_HALF_WIDTH, PROFILE_HALF_WIDTH, PROFILE_POINTS)
    if name in view.family.extra:  # positive: a log-scale line
        return value * np.exp(t * min(se / value, 1.0))
    return value + t * se


@dataclass(frozen=True)
class Calibration:
    """Rows binned by fitted mean: mean fitted, mean observed and its SE, rows per bin."""

    fitted: np.ndarray
    observed: np.ndarray
    se: np.ndarray
    rows: np.ndarray


def calibration_bins(y: np.ndarray, fitted: np.ndarray, bins: int = 10) -> Calibration:
    """Equal-count bins of the fitted mean (deciles by default) with the observed mean in each.

    Examples
    --------
    >>> c = calibration_bins(np.array([0, 1, 0, 1.0]), np.array([0.1, 0.2, 0.7, 0.8]), bins=2)
    >>> c.fitted.round(2).tolist(), c.observed.tolist(), c.rows.tolist()
    ([0.15, 0.75], [0.5, 0.5], [2, 2])
    """
    order = np.argsort(fitted, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, len(order))) if g.size]
    fit = np.array([fitted[g].mean() for g in groups])
    obs = np.array([y[g].mean() for g in groups])
    se = np.array([y[g].std(ddof=1) / np.sqrt(g.size) if g.size > 1 else np.nan for g in groups])
    return Calibration(fit, obs, se, np.array([g.size for g in groups]))

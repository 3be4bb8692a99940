"""Numbers the report shows beside the fits: goodness of fit, information criteria, profiles.

Everything here works on a :class:`~toolkit.engines.problem.Problem` (family,
data, options) and flat natural-space estimates, with the family's own
independent log-density; nothing here draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

#: Profiles span this many standard errors either side of the MLE.
PROFILE_HALF_WIDTH = 4.0
PROFILE_POINTS = 61
#: Correct digits are capped here: beyond double precision they mean nothing.
MAX_DIGITS = 16.0


def free_parameters(problem) -> int:
    """Number of free parameters: a simplex of k probabilities has k − 1."""
    simplex = sum(d == "simplex" for d in problem.family.domains.values())
    return len(problem.names) - simplex


def information_criteria(problem, loglik: float) -> dict[str, float]:
    """AIC = 2k − 2ℓ and BIC = k log N − 2ℓ at the maximised log-likelihood ``loglik``."""
    return information_criteria_kn(free_parameters(problem), problem.n, loglik)


def information_criteria_kn(k: int, n: int, loglik: float) -> dict[str, float]:
    """AIC and BIC for ``k`` free parameters and ``n`` observations.

    Examples
    --------
    >>> information_criteria_kn(2, 100, -50.0)["AIC"]
    104.0
    """
    return {"k": float(k), "AIC": 2 * k - 2 * loglik, "BIC": k * np.log(n) - 2 * loglik}


def correct_digits(estimate: np.ndarray, reference: np.ndarray) -> float:
    """−log10 of the largest relative error against ``reference``, capped at 16.

    Examples
    --------
    >>> round(correct_digits(np.array([1.0001]), np.array([1.0])), 3)
    4.0
    """
    estimate, reference = np.asarray(estimate, float), np.asarray(reference, float)
    scale = np.where(reference != 0, np.abs(reference), 1.0)
    err = float(np.max(np.abs(estimate - reference) / scale))
    if not np.isfinite(err):
        return float("nan")
    return MAX_DIGITS if err == 0 else float(min(MAX_DIGITS, max(0.0, -np.log10(err))))


def frozen_scipy(problem, params: dict):
    """The scipy.stats frozen distribution of the family, or None if it has none."""
    family = problem.family
    if family.scipy_dist is None or family.to_scipy is None:
        return None
    return getattr(stats, family.scipy_dist)(**family.to_scipy(params, problem.options))


def pmf_table(problem, params: dict, upto: int) -> np.ndarray:
    """Probabilities of 0, 1, ..., ``upto`` (discrete families on the integers ≥ 0)."""
    values = np.arange(upto + 1, dtype=float)
    with np.errstate(all="ignore"):
        logq = problem.family.logpdf(values, params, problem.options)
    return np.exp(np.nan_to_num(logq, nan=-np.inf))


@dataclass(frozen=True)
class GoodnessOfFit:
    """Goodness-of-fit statistics at the MLE, as rows of (test, statistic, p-value, note)."""

    rows: list[tuple[str, float, float, str]]


def goodness_of_fit(problem, params: dict) -> GoodnessOfFit:
    """KS, Cramér–von Mises and Anderson–Darling (continuous) or chi-square (discrete).

    p-values treat the parameters as known; with estimated parameters they are
    conservative (too large), which the report says.
    """
    if problem.family.discrete:
        return GoodnessOfFit([_chi_square(problem, params)])
    dist = frozen_scipy(problem, params)
    if dist is None:
        return GoodnessOfFit([])
    x = np.sort(problem.data)
    ks = stats.kstest(x, dist.cdf)
    cvm = stats.cramervonmises(x, dist.cdf)
    note = "p-value as if θ were known: conservative"
    return GoodnessOfFit(
        [
            ("Kolmogorov–Smirnov D", float(ks.statistic), float(ks.pvalue), note),
            ("Cramér–von Mises W²", float(cvm.statistic), float(cvm.pvalue), note),
            ("Anderson–Darling A²", _anderson_darling(x, dist.cdf), float("nan"), "statistic only"),
        ]
    )


def _anderson_darling(sorted_x: np.ndarray, cdf) -> float:
    n = sorted_x.size
    u = np.clip(cdf(sorted_x), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))))


def _chi_square(problem, params: dict) -> tuple[str, float, float, str]:
    x = problem.data.astype(int)
    top = int(x.max())
    observed = np.bincount(x, minlength=top + 1).astype(float)
    probs = pmf_table(problem, params, top)
    probs[-1] = max(0.0, 1.0 - probs[:-1].sum())  # the last cell is the upper tail
    expected = problem.n * probs
    observed, expected = _merge_small_cells(observed, expected)
    df = observed.size - 1 - free_parameters(problem)
    if df <= 0:
        return ("Pearson χ²", float("nan"), float("nan"), "too few cells with expected ≥ 5")
    stat = float(np.sum((observed - expected) ** 2 / expected))
    return ("Pearson χ²", stat, float(stats.chi2.sf(stat, df)), f"{observed.size} cells, df {df}")


def _merge_small_cells(observed, expected, minimum: float = 5.0):
    """Merge neighbouring cells until every expected count is at least ``minimum``."""
    obs, exp = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= minimum:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 or acc_o > 0:
        if obs:
            obs[-1] += acc_o
            exp[-1] += acc_e
        else:
            obs.append(acc_o)
            exp.append(acc_e)
    return np.array(obs), np.array(exp)


@dataclass(frozen=True)
class Profile:
    """−ℓ(θ)/N and KL(p̂‖q_θ) along one parameter, the others held at the MLE."""

    parameter: str
    grid: np.ndarray
    neg_loglik: np.ndarray
    kl: np.ndarray


def kl_profiles(problem, mle: dict[str, float], se: dict[str, float]) -> list[Profile]:
    """One :class:`Profile` per flat parameter, ±4 SE around the MLE in its own domain.

    Parameters
    ----------
    problem : Problem
    mle : dict
        Flat natural-space MLE.
    se : dict
        Standard errors by flat name (a non-finite SE falls back to 10 % of the value).
    """
    from toolkit.engines.kl import kl_objective

    objective, parametrisation, _ = kl_objective(problem)
    profiles = []
    for name in problem.names:
        grid_points = _line(problem, mle, name, se.get(name, np.nan))
        nll, kl = [], []
        for point in grid_points:
            with np.errstate(all="ignore"):
                nll.append(-problem.loglik(point) / problem.n)
                kl.append(objective(parametrisation.pack(problem.unflatten(point))))
        grid = np.array([p[name] for p in grid_points])
        profiles.append(Profile(name, grid, np.array(nll), np.array(kl)))
    return profiles


def _line(problem, mle: dict, name: str, se: float) -> list[dict]:
    """Points along ``name`` in the domain's natural coordinate (log, logit or linear)."""
    base = name.split("[")[0]
    domain = problem.family.domains[base]
    value = float(mle[name])
    if not (np.isfinite(se) and se > 0):
        se = 0.1 * max(abs(value), 1e-3)
    t = np.linspace(-PROFILE_HALF_WIDTH, PROFILE_HALF_WIDTH, PROFILE_POINTS)
    if domain == "positive":
        values = value * np.exp(t * min(se / value, 1.0))
    elif domain in ("unit", "simplex"):
        width = min(se / (value * (1 - value)), 3.0)
        values = special.expit(special.logit(value) + t * width)
    else:
        values = value + t * se
    points = []
    for v in values:
        point = dict(mle)
        point[name] = float(v)
        if domain == "simplex":
            _renormalise(point, base, name, value, float(v))
        points.append(point)
    return points


def _renormalise(point: dict, base: str, moved: str, old: float, new: float) -> None:
    """Scale the other components of a simplex so that it still sums to one."""
    scale = (1 - new) / (1 - old)
    for key in point:
        if key.startswith(f"{base}[") and key != moved:
            point[key] *= scale

"""Numbers the report computes from saved arrays: information criteria, digits, test statistics.

Everything here is a plain function of numpy arrays; nothing here fits or draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Correct digits are capped here: beyond double precision they mean nothing.
MAX_DIGITS = 16.0


def information_criteria_kn(k: int, n: int, loglik: float) -> dict[str, float]:
    """AIC = 2k − 2ℓ and BIC = k log N − 2ℓ for ``k`` free parameters and ``n`` observations.

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


def anderson_darling(sorted_x: np.ndarray, cdf) -> float:
    """The Anderson–Darling statistic A² of a sorted sample against a CDF."""
    n = sorted_x.size
    u = np.clip(cdf(sorted_x), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))))


def chi_square(
    observed: np.ndarray, probs: np.ndarray, k_free: int
) -> tuple[str, float, float, str]:
    """Pearson's χ² of counts at 0, 1, ..., top against pmf ``probs`` (the last cell the tail).

    Neighbouring cells are merged until each expects at least 5. With as many fitted
    parameters as free cell probabilities (2 cells and 1 parameter: a Bernoulli), the
    MLE reproduces the counts, there are no degrees of freedom left and no test: the
    statistic is shown with that reason.

    Examples
    --------
    >>> name, stat, p, note = chi_square(np.array([700.0, 300.0]), np.array([0.7, 0.3]), 1)
    >>> round(stat, 12), note
    (0.0, 'no test: 2 cells and 1 fitted parameter leave 0 degrees of freedom')
    """
    probs = np.array(probs, dtype=float)
    probs[-1] = max(0.0, 1.0 - probs[:-1].sum())  # the last cell is the upper tail
    n = observed.sum()
    cells = observed.size
    observed, expected = merge_small_cells(observed, n * probs)
    stat = float(np.sum((observed - expected) ** 2 / expected))
    df = observed.size - 1 - k_free
    if df <= 0:
        merged = (
            f" (of {cells}, after merging cells expecting fewer than 5)"
            if observed.size < cells
            else ""
        )
        parameters = "parameter" if k_free == 1 else "parameters"
        note = (
            f"no test: {observed.size} cells{merged} and {k_free} fitted {parameters} leave "
            f"{max(df, 0)} degrees of freedom"
        )
        return ("Pearson χ²", stat, float("nan"), note)
    return ("Pearson χ²", stat, float(stats.chi2.sf(stat, df)), f"{observed.size} cells, df {df}")


def merge_small_cells(observed, expected, minimum: float = 5.0):
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

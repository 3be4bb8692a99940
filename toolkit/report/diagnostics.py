"""What a report shows beside the estimates, computed once when a comparison is saved.

Everything here evaluates the problem's own density at the fitted parameters (no
fitting): the KL profile along each parameter, the fitted density or pmf on a
grid, QQ or PP points, goodness-of-fit statistics, the fitted mean of a
regression and the pointwise ELPD of the posterior. The results go into the
``diagnostics`` group of the comparison's InferenceData, so that the report is
drawn from saved numbers alone.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from toolkit.problem.names import variable_of
from toolkit.report import stats as report_stats
from toolkit.report.psis import PsisLoo, psis_loo

#: Profiles span this many standard errors either side of the MLE.
PROFILE_HALF_WIDTH = 4.0
PROFILE_POINTS = 61
#: Points of the fitted density's grid.
GRID_POINTS = 400


def profiles(problem, theta: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    """KL(p̂‖q_θ) and −ℓ(θ)/N along each parameter, the others held at the MLE.

    Returns arrays of shape (parameters, PROFILE_POINTS): ``value`` (the moved
    parameter's natural value), ``kl`` and ``neg_loglik``. The grid's centre is the
    MLE itself; a constrained parameter moves on its log or logit scale.
    """
    domains = parameter_domains(problem)
    names = list(problem.names)
    shape = (len(names), PROFILE_POINTS)
    value, kl, nll = np.empty(shape), np.empty(shape), np.empty(shape)
    for i in range(len(names)):
        for j, point in enumerate(_line(theta, i, se[i], domains[i], names)):
            value[i, j] = point[i]
            with np.errstate(all="ignore"):
                kl[i, j] = problem.kl(point)
                nll[i, j] = -problem.loglik(point) / problem.n
    return {"value": value, "kl": kl, "neg_loglik": nll}


def parameter_domains(problem) -> list[str]:
    """The domain of each flat parameter: from the declaration, else PyMC's transforms."""
    if problem.domains is not None:
        return [problem.domains[variable_of(n)] for n in problem.names]
    kinds = {
        "LogTransform": "positive",
        "LogOddsTransform": "unit",
        "SimplexTransform": "simplex",
    }
    model = problem.pymc.model
    by_variable = {
        rv.name: kinds.get(type(model.rvs_to_transforms.get(rv)).__name__, "real")
        for rv in model.free_RVs
    }
    return [by_variable[variable_of(n)] for n in problem.names]


def _line(theta: np.ndarray, i: int, se: float, domain: str, names: list[str]):
    """Points along parameter ``i`` (linear, log or logit scale by its domain)."""
    v = float(theta[i])
    if not (np.isfinite(se) and se > 0):
        se = 0.1 * max(abs(v), 1e-3)
    t = np.linspace(-PROFILE_HALF_WIDTH, PROFILE_HALF_WIDTH, PROFILE_POINTS)
    if domain == "positive":
        values = v * np.exp(t * min(se / v, 1.0))
    elif domain in ("unit", "simplex"):
        width = min(se / (v * (1 - v)), 3.0)
        values = special.expit(special.logit(v) + t * width)
    else:
        values = v + t * se
    siblings = [j for j, n in enumerate(names) if n.split("[")[0] == names[i].split("[")[0]]
    for new in values:
        point = np.array(theta, dtype=float)
        point[i] = new
        if domain == "simplex":  # the other components scaled so that it still sums to one
            others = [j for j in siblings if j != i]
            point[others] *= (1 - new) / (1 - v)
        yield point


def fit_grid(problem, theta: np.ndarray) -> dict[str, np.ndarray] | None:
    """The fitted pmf at 0..max(x), or density on a grid over the data (1-D families)."""
    if problem.response_logpdf is None or problem.data is None:
        return None
    x = problem.data
    if problem.discrete:
        grid = np.arange(int(x.max()) + 1, dtype=float)
    else:
        lo, hi = np.quantile(x, [0.005, 0.995])
        pad = 0.05 * (hi - lo or 1.0)
        grid = np.linspace(min(lo - pad, x.min()), hi + pad, GRID_POINTS)
    with np.errstate(all="ignore"):
        density = np.exp(np.nan_to_num(problem.response_logpdf(grid, theta), nan=-np.inf))
    return {"x": grid, "density": density}


def calibration(problem, theta: np.ndarray) -> tuple[str, dict[str, np.ndarray]] | None:
    """("QQ", model and data quantiles) for continuous data, ("PP", model and data CDFs) for
    discrete. Quantiles are scipy's where the family has them, else the integrated density's.
    """
    if problem.response_logpdf is None or problem.data is None:
        return None
    x = np.sort(problem.data)
    if not problem.discrete:
        levels = (np.arange(1, x.size + 1) - 0.5) / x.size
        if problem.frozen is not None:
            theory = problem.frozen(theta).ppf(levels)
        else:
            theory = model_quantiles(problem, theta, x, levels)
        return "QQ", {"model": theory, "data": x}
    values, counts = np.unique(x, return_counts=True)
    empirical = np.cumsum(counts) / x.size
    return "PP", {"model": model_cdf(problem, theta, values), "data": empirical}


def model_cdf(problem, theta: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The model's CDF at sorted ``values``: scipy's where it has one, else summed or integrated."""
    if problem.frozen is not None:
        return problem.frozen(theta).cdf(values)
    if problem.discrete:
        pmf = np.exp(problem.response_logpdf(np.arange(int(values.max()) + 1.0), theta))
        return np.cumsum(pmf)[values.astype(int)]
    lo, hi = values[0], values[-1]
    span = hi - lo or 1.0
    grid = np.linspace(lo - 10 * span, hi, 20001)
    dens = np.exp(problem.response_logpdf(grid, theta))
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    return np.interp(values, grid, cdf)


def model_quantiles(problem, theta, sorted_x: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of a continuous model without scipy's ppf: its density integrated on a
    fine grid well beyond the data (trapezoid rule), normalised, and inverted."""
    lo, hi = sorted_x[0], sorted_x[-1]
    span = hi - lo or 1.0
    grid = np.linspace(lo - 5 * span, hi + 5 * span, 40001)
    with np.errstate(all="ignore"):
        density = np.exp(np.nan_to_num(problem.response_logpdf(grid, theta), nan=-np.inf))
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    cdf /= cdf[-1]
    keep = np.concatenate([[True], np.diff(cdf) > 0])  # strictly increasing for interpolation
    return np.interp(levels, cdf[keep], grid[keep])


def goodness_of_fit(problem, theta: np.ndarray) -> list[tuple[str, float, float, str]] | None:
    """KS, Cramér–von Mises and Anderson–Darling (continuous) or Pearson χ² (discrete).

    p-values treat the parameters as known; with estimated parameters they are
    conservative (too large), which the note says.
    """
    if problem.response_logpdf is None or problem.data is None:
        return None
    x = np.sort(problem.data)
    if problem.discrete:
        top = int(x.max())
        probs = np.exp(problem.response_logpdf(np.arange(top + 1.0), theta))
        observed = np.bincount(x.astype(int), minlength=top + 1).astype(float)
        return [report_stats.chi_square(observed, probs, problem.k_free)]

    def cdf(values):
        return model_cdf(problem, theta, np.sort(values))

    ks = stats.kstest(x, cdf)
    cvm = stats.cramervonmises(x, cdf)
    note = "p-value as if θ were known: conservative"
    return [
        ("Kolmogorov–Smirnov D", float(ks.statistic), float(ks.pvalue), note),
        ("Cramér–von Mises W²", float(cvm.statistic), float(cvm.pvalue), note),
        (
            "Anderson–Darling A²",
            report_stats.anderson_darling(x, cdf),
            float("nan"),
            "statistic only",
        ),
    ]


def pointwise_elpd(problem, draws: dict[str, np.ndarray], max_draws: int = 500) -> PsisLoo | None:
    """PSIS-LOO of the posterior ``draws``, pointwise, or None when undefined.

    The log-likelihood of every row at up to ``max_draws`` evenly thinned draws,
    from the problem's own density, smoothed as ``az.loo`` does (one chain of
    thinned draws: relative efficiency 1) by :func:`toolkit.report.psis.psis_loo`.
    """
    if problem.row_logq is None or not draws:
        return None
    first = next(iter(draws.values()))
    chains, n_draws = first.shape[:2]
    flat = {k: v.reshape(chains * n_draws, -1) for k, v in draws.items()}
    keep = np.unique(
        np.linspace(0, chains * n_draws - 1, min(max_draws, chains * n_draws)).astype(int)
    )
    with np.errstate(all="ignore"):
        rows = np.array(
            [problem.row_logq(np.concatenate([flat[k][d] for k in problem.shapes])) for d in keep]
        )
    if not np.all(np.isfinite(rows)):
        return None
    return psis_loo(rows)

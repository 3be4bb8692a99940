"""Smoothing p̂: minimise KL(p̂_h ‖ q_θ) instead, and watch the gap to the MLE close as h → 0.

p̂ is a set of atoms; a density estimate p̂_h (a Gaussian kernel with standard
deviation h, or a histogram with bins of width h) is not, and minimising the KL from
it is a different objective with a different minimiser. As h → 0, p̂_h → p̂ and the
minimiser tends to the MLE. For the normal family with a Gaussian KDE the answer is
exact: p̂_h has the sample's mean and variance s² + h² (s² with divisor N), and the
normal closest to it in KL matches those moments: μ = x̄, σ² = s² + h².
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from toolkit.divergence import histogram_kl, kde_grid
from toolkit.engines.transforms import Parametrisation
from toolkit.studies import arguments as checks
from toolkit.studies.fitting import OK, fit_sample
from toolkit.studies.laws import Law, law
from toolkit.studies.optimise import minimise
from toolkit.studies.runner import frame_of

NAME = "smoothing"
SMOOTHERS = ("kde", "histogram")
COLUMNS = ("n", "smoother", "bandwidth", "parameter", "estimate", "mle", "gap", "kl", "status")
#: Most histogram bins the study builds (bins of width h across the data).
MAX_BINS = 1 << 20


def smoothing(
    family: str,
    data: Any,
    bandwidths: Sequence[float],
    *,
    smoothers: Sequence[str] = SMOOTHERS,
    options: Mapping[str, Any] | None = None,
):
    """Minimisers of KL(p̂_h ‖ q_θ) for each bandwidth h, beside the MLE on the same data.

    Parameters
    ----------
    family : str
        A continuous catalog family with one value per observation.
    data : array_like
        The sample (validated as for :func:`toolkit.compare`).
    bandwidths : sequence of float
        The kernel's standard deviation h (``"kde"``) or the bins' width h
        (``"histogram"``, bins aligned on multiples of h).
    smoothers : sequence of str
        ``"kde"`` and/or ``"histogram"``.
    options : dict, optional
        The family's options.

    Returns
    -------
    pandas.DataFrame
        One row per (smoother, bandwidth, parameter): ``estimate`` (the minimiser),
        ``mle``, ``gap`` = estimate − mle, ``kl`` (the smoothed KL at the minimiser;
        the histogram's is between binned distributions) and ``status`` ("ok" for a
        certified minimum), with ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> from toolkit.studies import smoothing
    >>> x = np.random.default_rng(0).normal(size=200)
    >>> frame = smoothing("normal", x, [0.5], smoothers=["kde"])
    >>> sigma = frame.set_index("parameter").loc["sigma", "estimate"]
    >>> bool(abs(sigma**2 - (x.var() + 0.5**2)) < 1e-6)
    True
    """
    model = continuous_law(family, options)
    bandwidths = checks.bandwidths(bandwidths)
    smoothers = _smoothers(smoothers)
    fitted = fit_sample(family, data, model.options, ("mle",))
    x, mle = fitted.problem.data, fitted.fits["mle"].theta
    par = Parametrisation(dict(model.family.domains), model.shapes)
    rows = []
    start = par.from_flat(mle)
    for smoother in smoothers:
        for h in bandwidths:
            try:
                objective = OBJECTIVES[smoother](x, h, model, par)
                objective(start)
            except ValueError as err:  # e.g. a density that vanishes at a bound of the support
                nan = np.full_like(mle, np.nan)
                rows += _rows(x.size, smoother, h, model, nan, np.nan, f"failed: {err}", mle)
                continue
            found = minimise(infinite_on_error(objective), start)
            status = OK if found.certified else found.status
            rows += _rows(x.size, smoother, h, model, par.to_flat(found.x), found.fun, status, mle)
    arguments = {
        "family": model.name,
        "options": model.options,
        "bandwidths": bandwidths,
        "smoothers": list(smoothers),
    }
    return frame_of(rows, COLUMNS, NAME, arguments)


def continuous_law(family: str, options=None) -> Law:
    """The family's law (its demo parameters), refused unless it is continuous."""
    model = law(family, None, options)
    if model.family.discrete:
        raise ValueError(
            f"family {family!r} is discrete: smoothing and the reverse KL need a density"
        )
    return model


def support_bounds(model: Law) -> tuple[float, float] | None:
    """The family's support as KDE bounds, or None on the whole real line."""
    lo, hi = (float(v) for v in model.frozen().support())
    return None if (lo, hi) == (-math.inf, math.inf) else (lo, hi)


def logq_of(model: Law, par: Parametrisation, u: np.ndarray):
    """The model's log-density at free coordinates ``u``."""
    return model.at(par.to_flat(u)).logpdf


def _kde_objective(x, h, model: Law, par) -> Callable[[np.ndarray], float]:
    kde = kde_grid(x, bandwidth=h, bounds=support_bounds(model))

    def objective(u):
        return kde.kl(logq_of(model, par, u))

    return objective


def infinite_on_error(objective: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    """``objective``, with +inf where it raises a ValueError (parameters it cannot take)."""

    def guarded(u):
        try:
            return objective(u)
        except ValueError:
            return math.inf

    return guarded


def _histogram_objective(x, h, model: Law, par) -> Callable[[np.ndarray], float]:
    first, last = math.floor(x.min() / h), math.ceil(x.max() / h)
    if last - first > MAX_BINS:
        raise ValueError(f"bins of width {h:g} across the data would be more than {MAX_BINS}")
    edges = h * np.arange(first, max(last, first + 1) + 1)

    def objective(u):
        with np.errstate(all="ignore"):
            return histogram_kl(x, model.at(par.to_flat(u)).cdf, bins=edges)

    return objective


OBJECTIVES = {"kde": _kde_objective, "histogram": _histogram_objective}


def _smoothers(smoothers: Sequence[str]) -> tuple[str, ...]:
    smoothers = (smoothers,) if isinstance(smoothers, str) else tuple(smoothers)
    if not smoothers or set(smoothers) - set(SMOOTHERS):
        raise ValueError(f"smoothers must be among {list(SMOOTHERS)}, got {list(smoothers)}")
    return tuple(s for s in SMOOTHERS if s in smoothers)


def _rows(n, smoother, h, model, theta, kl, status, mle) -> list[dict]:
    return [
        {
            "n": int(n),
            "smoother": smoother,
            "bandwidth": float(h),
            "parameter": name,
            "estimate": float(theta[i]),
            "mle": float(mle[i]),
            "gap": float(theta[i] - mle[i]),
            "kl": float(kl),
            "status": status,
        }
        for i, name in enumerate(model.names)
    ]

"""The reverse KL: what minimising KL(q_θ ‖ p̂) gives, the question the derivation leaves open.

On atoms KL(q_θ ‖ p̂) is infinite for a continuous q (q puts mass where p̂ has
none), so both directions are taken on the smoothed p̂_h, a Gaussian KDE with
bandwidth h. The forward minimiser, argmin KL(p̂_h ‖ q_θ), must put mass wherever
the data are: on bimodal data a unimodal model sits between the modes, wide enough
to cover both (mean-seeking). The reverse one, argmin KL(q_θ ‖ p̂_h), is charged
for every bit of mass it puts where the data are not, so it locks onto one mode
(mode-seeking), and each mode is a local minimum of its own. The study starts the
reverse minimiser from the MLE, from the forward answer and from the MLE of each
slice of the sorted data, and keeps every distinct end point certified as a
minimum (a saddle between the modes is not one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models import get_family
from toolkit.divergence import kde_grid
from toolkit.engines.transforms import Parametrisation
from toolkit.studies.fitting import OK, fit_sample
from toolkit.studies.optimise import Minimum, minimise
from toolkit.studies.runner import frame_of
from toolkit.studies.smoothing import continuous_law, infinite_on_error, logq_of, support_bounds

NAME = "reverse"
COLUMNS = (
    "n",
    "bandwidth",
    "direction",
    "optimum",
    "parameter",
    "estimate",
    "mle",
    "kl",
    "starts",
    "status",
)
#: Smallest slice of the sorted data whose MLE starts a reverse minimisation.
MIN_SLICE = 10


def reverse(
    family: str,
    data: Any,
    bandwidth: float,
    *,
    n_starts: int = 6,
    options: Mapping[str, Any] | None = None,
):
    """Forward and reverse KL minimisers on the smoothed data, every reverse local minimum.

    Parameters
    ----------
    family : str
        A continuous catalog family with one value per observation.
    data : array_like
        The sample.
    bandwidth : float
        The KDE's kernel standard deviation h.
    n_starts : int
        Slices of the sorted data whose MLEs start the reverse minimiser (besides the
        MLE and the forward minimiser).
    options : dict, optional
        The family's options.

    Returns
    -------
    pandas.DataFrame
        One row per (direction, optimum, parameter): ``direction`` "forward" (one
        optimum) or "reverse" (each distinct certified local minimum, best first),
        ``estimate``, ``mle`` (on the same data), ``kl`` (KL(p̂_h ‖ q) forward,
        KL(q ‖ p̂_h) reverse, at the optimum), ``starts`` (how many starts ended there),
        ``status``, with ``n`` and ``bandwidth``. ``attrs["ends"]`` counts where the
        reverse starts ended (certified minima, saddles, others).

    Examples
    --------
    >>> from toolkit.studies import bimodal_sample, reverse
    >>> frame = reverse("normal", bimodal_sample(300, seed=1), 0.4)   # modes at −3 and 3
    >>> mu = frame[frame["parameter"] == "mu"]
    >>> round(float(mu[mu["direction"] == "forward"]["estimate"].iloc[0]))   # between them
    0
    >>> sorted(round(m) for m in mu[mu["direction"] == "reverse"]["estimate"][:2])  # the best two
    [-3, 3]
    """
    model = continuous_law(family, options)
    h = float(bandwidth)
    fitted = fit_sample(family, data, model.options, ("mle",))
    x, mle = fitted.problem.data, fitted.fits["mle"].theta
    par = Parametrisation(dict(model.family.domains), model.shapes)
    span = float(x.max() - x.min())
    extent = (x.min() - span, x.max() + span)
    kde = kde_grid(x, bandwidth=h, bounds=support_bounds(model), extent=extent)

    def forward_kl(u):
        return kde.kl(logq_of(model, par, u))

    def reverse_kl(u):
        return kde.reverse_kl(logq_of(model, par, u))

    forward = minimise(infinite_on_error(forward_kl), par.from_flat(mle))
    starts = [par.from_flat(mle), forward.x] + [
        par.from_flat(theta) for theta in _slice_fits(family, x, model.options, n_starts)
    ]
    ends = [minimise(infinite_on_error(reverse_kl), u) for u in starts]
    minima = _distinct([e for e in ends if e.certified])
    rows = _rows(x.size, h, "forward", 0, model, par, forward, mle, 1)
    for i, (found, count) in enumerate(minima):
        rows += _rows(x.size, h, "reverse", i, model, par, found, mle, count)
    arguments = {
        "family": model.name,
        "options": model.options,
        "bandwidth": h,
        "n_starts": int(n_starts),
    }
    frame = frame_of(rows, COLUMNS, NAME, arguments)
    saddles = sum("saddle" in e.status for e in ends)
    frame.attrs["ends"] = {
        "starts": len(ends),
        "certified minima": sum(e.certified for e in ends),
        "saddles": saddles,
        "other": len(ends) - sum(e.certified for e in ends) - saddles,
    }
    return frame


def bimodal_sample(n: int = 400, seed: int = 0, separation: float = 6.0) -> np.ndarray:
    """Well-separated bimodal data: an equal mixture of N(∓separation/2, 0.8²), seeded."""
    mixture = get_family("gaussian_mixture")
    params = {
        "w": np.array([0.5, 0.5]),
        "mu": np.array([-0.5, 0.5]) * separation,
        "sigma": np.array([0.8, 0.8]),
    }
    return np.asarray(mixture.simulate(np.random.default_rng(seed), n, params, {"k": 2}), float)


def _slice_fits(family: str, x: np.ndarray, options, n_starts: int) -> list[np.ndarray]:
    """The MLE of each of ``n_starts`` consecutive slices of the sorted data (where it exists)."""
    fits = []
    for part in np.array_split(np.sort(x), max(int(n_starts), 0)):
        if part.size < MIN_SLICE:
            continue
        try:
            fits.append(fit_sample(family, part, options, ("mle",)).fits["mle"].theta)
        except ValueError:  # a slice the family cannot fit (a DataError or BoundaryError)
            continue
    return fits


def _distinct(ends: list[Minimum]) -> list[tuple[Minimum, int]]:
    """Distinct minima, best first, each with how many ends reached it."""
    found: list[list] = []
    for end in sorted(ends, key=lambda e: e.fun):
        for entry in found:
            if np.all(np.abs(end.x - entry[0].x) <= 1e-4 * np.maximum(1.0, np.abs(end.x))):
                entry[1] += 1
                break
        else:
            found.append([end, 1])
    return [(end, count) for end, count in found]


def _rows(n, h, direction, optimum, model, par, found: Minimum, mle, starts) -> list[dict]:
    theta = par.to_flat(found.x)
    return [
        {
            "n": int(n),
            "bandwidth": h,
            "direction": direction,
            "optimum": int(optimum),
            "parameter": name,
            "estimate": float(theta[i]),
            "mle": float(mle[i]),
            "kl": float(found.fun),
            "starts": int(starts),
            "status": OK if found.certified else found.status,
        }
        for i, name in enumerate(model.names)
    ]

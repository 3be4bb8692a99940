"""The declaration of a model family: one frozen record per family.

A family is declared once, in one module under ``models/``. The record says
everything the toolkit needs to know about the family, so that no other code
has to branch on a family's name:

- how to build it in PyMC (a PyMC distribution and flat priors on the natural
  domain of each parameter),
- an independent log-density (scipy.stats) for the direct KL minimiser,
- the support of the data, the closed-form MLE where one exists, scipy's own
  fit as a peer reference, a simulator and demonstration parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Parameter domains, each with the flat prior the PyMC model puts on it. "ordered" is a
#: strictly increasing vector (mixture means: no label switching); "cholesky" is the
#: lower-triangular Cholesky factor of a covariance with a positive diagonal, stored as
#: its packed lower triangle in row-major order (numpy's ``tril_indices``, PyMC's
#: ``expand_packed_triangular``) and given to the PyMC distribution as the matrix.
DOMAINS = ("real", "positive", "unit", "simplex", "ordered", "cholesky")

#: Names the toolkit's PyMC model of a family gives its data and likelihood.
RESERVED = ("atoms", "counts", "obs")

Params = Mapping[str, Any]
Options = Mapping[str, Any]


#: PyMC holds integers as int32 (``pymc.intX`` under float64): larger ones wrap or overflow.
LARGEST_INTEGER = 2**31 - 1


def positive_integer(value: Any) -> int:
    """``value`` as an int from 1 to 2**31 − 1; a ValueError for 10.5, 0, "ten" or 1e30."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a positive integer, got {value!r}") from None
    if not number.is_integer() or number < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    if number > LARGEST_INTEGER:
        raise ValueError(
            f"expected a positive integer up to {LARGEST_INTEGER} (PyMC's int32), got {value!r}"
        )
    return int(number)


def packed_size(d: int) -> int:
    """Entries of the packed lower triangle of a d × d matrix: d(d+1)/2."""
    return d * (d + 1) // 2


def triangle_order(size: int) -> int:
    """The d of a packed lower triangle with ``size`` entries; a ValueError otherwise."""
    d = (math.isqrt(8 * size + 1) - 1) // 2
    if packed_size(d) != size:
        raise ValueError(f"{size} values are not a packed lower triangle")
    return d


def unpack_lower(packed) -> np.ndarray:
    """The lower-triangular matrix of a packed row-major lower triangle (numpy)."""
    packed = np.asarray(packed, dtype=float)
    d = triangle_order(packed.size)
    out = np.zeros((d, d))
    out[np.tril_indices(d)] = packed
    return out


def pack_lower(matrix) -> np.ndarray:
    """The packed row-major lower triangle of a square matrix."""
    matrix = np.asarray(matrix, dtype=float)
    return matrix[np.tril_indices(matrix.shape[0])]


@dataclass(frozen=True)
class Statistics:
    """Sufficient statistics of a family: Σ w log q(x; θ) through a few weighted means.

    ``compute(values, weights, options)`` reduces the distinct values and their
    weights (summing to 1) to a tuple of weighted means (centred where that keeps
    digits: a location far from 0 must not cancel them); ``mean_logpdf(stats, params,
    options)`` is then Σ w log q(x; θ) exactly (algebra, not an approximation), written
    with numpy/scipy.special, independent of PyMC. The kl engine's objective is the same
    sum over atoms, evaluated in O(1) per step instead of O(distinct values).

    ``pseudo_atoms(stats, options)``, where the log-density is linear in statistics
    that a point set can match, gives one or two values with weights (summing to 1)
    whose weighted statistics are ``stats``: any log-density of the family summed over
    them equals its sum over the sample's atoms, for every θ (the normal: two points
    m ± s with the sample's mean and variance). PyMC's own density then sees a large
    sample in O(1) per evaluation.
    """

    compute: Callable[[np.ndarray, np.ndarray, Options], tuple]
    mean_logpdf: Callable[[tuple, Params, Options], float]
    pseudo_atoms: Callable[[tuple, Options], tuple[np.ndarray, np.ndarray]] | None = None


@dataclass(frozen=True)
class Option:
    """A user-supplied setting of a family (the number of trials of a binomial)."""

    name: str
    help: str
    convert: Callable[[Any], Any] = positive_integer
    #: Passed to the PyMC distribution as a keyword of the same name.
    to_pymc: bool = True
    #: Value used when the user gives none; ``None`` means the user must give one.
    default: Callable[[np.ndarray], Any] | None = None


@dataclass(frozen=True)
class Family:
    """Everything the toolkit knows about one model family.

    Parameters are named as PyMC names them and are listed in ``domains``
    (name -> one of :data:`DOMAINS`). ``scipy_dist`` and ``to_scipy`` give the
    independent log-density and the simulator; ``logpdf``/``simulate`` override
    them where scipy.stats has no such distribution.

    ``data_ndim`` is 1 for one value per observation and 2 for a row of d values
    per observation (an N × d array); a family with ``data_ndim=2`` declares an
    option ``d``, the number of columns, defaulting to the data's.
    """

    name: str
    description: str
    domains: Mapping[str, str]
    support: str
    discrete: bool
    pymc_dist: str
    in_support: Callable[[np.ndarray, Options], np.ndarray]
    demo_params: Params
    scipy_dist: str | None = None
    to_scipy: Callable[[Params, Options], dict] | None = None
    logpdf_override: Callable[[np.ndarray, Params, Options], np.ndarray] | None = None
    simulate_override: Callable[[np.random.Generator, int, Params, Options], np.ndarray] | None = (
        None
    )
    closed_form: Callable[[np.ndarray, Options], dict] | None = None
    scipy_fit: Callable[[np.ndarray, Options], dict] | None = None
    #: Returns a sentence when the MLE does not exist or lies on the boundary.
    boundary: Callable[[np.ndarray, Options], str | None] | None = None
    #: Shapes of vector parameters, from the options; scalars are omitted.
    shapes: Callable[[Options], dict[str, tuple[int, ...]]] | None = None
    options: tuple[Option, ...] = ()
    demo_options: Options = field(default_factory=dict)
    #: For parameters whose maximiser is a set (not a point), its bounds.
    argmax_set: Callable[[np.ndarray, Options], dict[str, tuple[float, float]]] | None = None
    #: The log-density is not twice differentiable in these parameters.
    nonsmooth: tuple[str, ...] = ()
    #: 1: one value per observation; 2: one row of ``d`` values per observation.
    data_ndim: int = 1
    #: A data-driven starting point for every optimiser (natural space): rough (quantiles,
    #: moments) and moving with the data when they are shifted or rescaled, or placed for
    #: likelihoods with several local maxima; otherwise the model's initial point.
    start: Callable[[np.ndarray, Options], Params] | None = None
    #: Returns a sentence when fitted parameters sit at a degenerate point where the
    #: likelihood is unbounded (a mixture component collapsed onto one value); engines
    #: then report the fit as on the boundary.
    degenerate_fit: Callable[[np.ndarray, Params, Options], str | None] | None = None
    #: Sufficient statistics, for families that have them (exponential families).
    statistics: Statistics | None = None

    def __post_init__(self) -> None:
        bad = {p: d for p, d in self.domains.items() if d not in DOMAINS}
        if bad:
            raise ValueError(f"family {self.name!r}: unknown domains {bad}; valid: {DOMAINS}")
        taken = sorted(set(self.domains) & set(RESERVED))
        if taken:
            raise ValueError(f"family {self.name!r}: parameter names {taken} are reserved")
        if self.scipy_dist is None and (
            self.logpdf_override is None or self.simulate_override is None
        ):
            raise ValueError(f"family {self.name!r}: give scipy_dist or both overrides")
        if self.data_ndim not in (1, 2):
            raise ValueError(f"family {self.name!r}: data_ndim must be 1 or 2")
        if self.data_ndim == 2 and "d" not in {o.name for o in self.options}:
            raise ValueError(f"family {self.name!r}: data_ndim=2 needs an option 'd' (columns)")

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.domains)

    @property
    def has_closed_form(self) -> bool:
        return self.closed_form is not None

    def param_shapes(self, options: Options) -> dict[str, tuple[int, ...]]:
        shapes = self.shapes(options) if self.shapes else {}
        return {p: tuple(shapes.get(p, ())) for p in self.params}

    def resolve_options(self, data: np.ndarray | None, given: Options) -> dict[str, Any]:
        """Options with defaults filled in and values converted; unknown names rejected."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise ValueError(f"family {self.name!r}: unknown option(s) {unknown}; valid: {valid}")
        resolved = {}
        for name, opt in known.items():
            try:
                if given.get(name) is not None:
                    resolved[name] = opt.convert(given[name])
                elif opt.default is not None and data is not None:
                    resolved[name] = opt.convert(opt.default(data))
            except ValueError as err:
                raise ValueError(f"family {self.name!r}, option {name!r}: {err}") from None
            if name not in resolved:
                raise ValueError(f"family {self.name!r} needs option {name!r}: {opt.help}")
        return resolved

    def pymc_arguments(self, params: Params, options: Options) -> dict[str, Any]:
        """Keywords of the PyMC distribution: the parameters (a "cholesky" one expanded to
        its lower-triangular matrix) and the options passed to PyMC."""
        import pymc as pm

        out = {}
        for name, value in params.items():
            if self.domains[name] == "cholesky":
                size = value.type.shape[-1] if hasattr(value, "type") else np.size(value)
                value = pm.expand_packed_triangular(triangle_order(size), value, lower=True)
            out[name] = value
        out.update({o.name: options[o.name] for o in self.options if o.to_pymc})
        return out

    def logpdf(self, x: np.ndarray, params: Params, options: Options) -> np.ndarray:
        """Log-density (or log-mass) from scipy.stats: independent of PyMC."""
        if self.logpdf_override is not None:
            return self.logpdf_override(x, params, options)
        from scipy import stats

        dist = getattr(stats, self.scipy_dist)  # not frozen: freezing costs more than the sum
        arguments = self.to_scipy(params, options)
        return dist.logpmf(x, **arguments) if self.discrete else dist.logpdf(x, **arguments)

    def simulate(self, rng: np.random.Generator, n: int, params: Params, options: Options):
        """Draw ``n`` observations at ``params``."""
        if self.simulate_override is not None:
            return self.simulate_override(rng, n, params, options)
        return self._scipy(params, options).rvs(size=n, random_state=rng)

    def _scipy(self, params: Params, options: Options):
        from scipy import stats

        return getattr(stats, self.scipy_dist)(**self.to_scipy(params, options))

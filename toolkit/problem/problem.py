"""The one problem type every engine fits: a compiled model, data reduced to atoms, names.

A :class:`Problem` is built by an adapter (:mod:`.family`, :mod:`.regression`,
:mod:`.model`) and is the same kind of object whichever built it: what differs
between a catalog family, a regression family and a user's ``pm.Model`` is held
in its fields (the independent density or not, the design or not, the
declaration's closed form or not), so nothing downstream asks which adapter
made it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.divergence import RowAtoms, conditional_kl_from_logq, cross_entropy
from toolkit.problem.compiled import CompiledModel
from toolkit.problem.names import flat_names, unflatten

#: Natural flat parameters -> log q at each atom.
LogQ = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Design:
    """The response and design of a regression, with the names a reader needs.

    ``columns`` names the design's columns (``"(intercept)"`` first when there is
    one); ``mean`` is the user's mean function of a mean-function family (None
    for a linear predictor Xβ).
    """

    y: np.ndarray
    x: np.ndarray
    columns: tuple[str, ...]
    response: str
    intercept: bool
    family: str
    mean: Callable | None = None


@dataclass(frozen=True, eq=False)
class Problem:
    """A model and its data, ready for every engine.

    Attributes
    ----------
    label : str
        What is fitted, for messages and reports (``"gamma"``, ``"logistic_regression:
        admit ~ 1 + gre + gpa"``, the model's name).
    shapes : dict
        Natural shape of each free variable, in the model's order; ``names`` expands them.
    compiled : CompiledModel
        The PyMC side: derivatives and transforms on the unconstrained vector z.
    bound : dict
        ``pm.Data`` values of this problem, put in the compiled model before each use.
    atoms : RowAtoms
        The rows (response and covariates) reduced to distinct atoms with counts.
    logq : callable
        Natural flat θ -> log q at each atom: the density the kl engine minimises over.
    density : str
        Where ``logq`` comes from (and whether it is independent of PyMC).
    independent : bool
        ``logq`` is an implementation independent of PyMC's.
    discrete : bool
        The response is discrete: the KL is then exact.
    kl_offset : float
        Subtracted from the cross-entropy for continuous data: an entropy estimate of p
        (0 when there is none). Discrete data use the exact conditional entropy instead.
    kl_note : str
        What the reported KL is, in words.
    domains : dict or None
        Natural domain of each variable (``"real"``, ``"positive"``, ...) when the
        declaration gives them: the kl engine then uses its own parametrisation;
        None for a user's model (the kl engine uses PyMC's transforms).
    """

    label: str
    shapes: dict[str, tuple[int, ...]]
    compiled: CompiledModel = field(repr=False)
    bound: Mapping[str, np.ndarray] = field(repr=False)
    atoms: RowAtoms = field(repr=False)
    logq: LogQ = field(repr=False)
    density: str
    independent: bool
    discrete: bool
    kl_offset: float
    kl_note: str
    domains: dict[str, str] | None = None
    #: The catalog declaration (Family or RegressionFamily) or None for a user's model.
    declaration: Any = field(default=None, repr=False)
    #: Natural flat θ -> Σ w log q over the atoms, through the family's sufficient
    #: statistics (O(1) per call), where it has them.
    mean_logq: Callable[[np.ndarray], float] | None = field(default=None, repr=False)
    #: z -> log q at each atom, for the kl engine in PyMC's coordinates (a user's model).
    logq_z: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    #: z -> (Σ w log q over the atoms, its exact gradient in z), beside ``logq_z``.
    mean_logq_z: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = field(
        default=None, repr=False
    )
    #: The observed data by name, as saved in an InferenceData's observed_data group.
    observed: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: A catalog family's data (1-D or N × d values); None otherwise.
    data: np.ndarray | None = field(default=None, repr=False)
    design: Design | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)
    has_priors: bool = False
    #: A declared start (natural flat θ); None: the model's initial point.
    start: np.ndarray | None = field(default=None, repr=False)
    #: Jittered starts when the settings leave ``n_starts`` to the problem.
    default_starts: int = 0
    #: () -> natural flat θ of the closed-form MLE, where one exists.
    closed_form: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    #: () -> natural flat θ of scipy.stats' own fit, where the family has one.
    peer_fit: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    #: Flat names of parameters whose maximiser is a set, with the set's bounds.
    argmax_sets: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Flat names of parameters in which the log-density is not differentiable.
    nonsmooth: tuple[str, ...] = ()
    #: Natural flat θ -> a sentence when θ sits where the likelihood is unbounded.
    degenerate: Callable[[np.ndarray], str | None] | None = field(default=None, repr=False)
    #: Free parameters (a simplex of k probabilities has k − 1): for AIC and BIC.
    k_free: int = 0
    #: Natural flat θ -> log q of every row, in the data's order (for pointwise ELPD).
    row_logq: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    #: (values, θ) -> log q at any response values: a family of one value per observation.
    response_logpdf: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = field(
        default=None, repr=False
    )
    #: θ -> the frozen scipy.stats distribution at θ (CDF, quantiles), where there is one.
    frozen: Callable[[np.ndarray], Any] | None = field(default=None, repr=False)
    #: θ -> E[y | x] of every row: a regression family's fitted mean.
    fitted_mean: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Flat parameter names: ``p[0]``, ``p[1]``, ... for vector variables."""
        return flat_names(self.shapes)

    @property
    def n(self) -> int:
        """Number of observations (rows)."""
        return self.atoms.n

    @property
    def pymc(self) -> CompiledModel:
        """The compiled model with this problem's data in its containers."""
        self.compiled.bind(self.bound)
        return self.compiled

    def unflatten(self, theta: np.ndarray) -> dict[str, Any]:
        """Natural flat θ as variables by name (floats and arrays)."""
        return unflatten(theta, self.shapes)

    def loglik(self, theta: np.ndarray) -> float:
        """Total log-likelihood at natural flat θ (the problem's own density, over atoms)."""
        theta = np.asarray(theta, dtype=float)
        with np.errstate(all="ignore"):
            if self.mean_logq is not None:
                return float(self.n * self.mean_logq(theta))
            return float(np.sum(self.atoms.counts * self.logq(theta)))

    def kl(self, theta: np.ndarray) -> float:
        """KL(p̂ ‖ q_θ) at natural flat θ, as ``kl_note`` describes it (inf where undefined).

        Exact for discrete data: one correctly rounded sum over the atoms.
        """
        theta = np.asarray(theta, dtype=float)
        if self.mean_logq is not None and not self.discrete:
            with np.errstate(all="ignore"):
                value = -float(self.mean_logq(theta)) - self.kl_offset
            return value if np.isfinite(value) else np.inf
        with np.errstate(all="ignore"):
            logq = self.logq(theta)
        if np.any(np.isnan(logq)) or np.any(logq == np.inf):
            return np.inf
        weights = self.atoms.weights
        if self.discrete:
            return conditional_kl_from_logq(weights, self.atoms.log_conditional, logq)
        return cross_entropy(weights, logq) - self.kl_offset

    def kl_objective(self) -> Callable[[np.ndarray], float]:
        """A fast θ -> KL for optimisers: the sum of :meth:`kl`, through the sufficient
        statistics where the problem has them, pairwise-summed over atoms otherwise."""
        weights = self.atoms.weights
        offset = (
            float(np.sum(weights * self.atoms.log_conditional))
            if self.discrete
            else -self.kl_offset
        )
        mean_logq = self.mean_logq
        if mean_logq is None:
            logq_of = self.logq

            def mean_logq(theta):
                return float(np.sum(weights * logq_of(theta)))

        def objective(theta: np.ndarray) -> float:
            value = offset - mean_logq(theta)
            return value if value == value and abs(value) != np.inf else np.inf

        return objective

"""Pure numpy/scipy kernels for entropies and KL divergences (the lowest layer of klmle).

The identity the project demonstrates, for a sample with empirical distribution
p̂ (atoms with weights ``w``) and a model pmf q_θ evaluated at the atoms::

    kl_from_logq(w, logq) == cross_entropy(w, logq) - entropy(w)   # = -H(p̂) - ℓ(θ)/N

Modules: :mod:`.atoms` (p̂ as atoms), :mod:`.discrete` (exact discrete
quantities), :mod:`.differential` (differential-entropy estimators of the data
density), :mod:`.smoothed` (KDE, histogram and grid KL for 1-D studies).
"""

from toolkit.divergence.atoms import EmpiricalAtoms, RowAtoms, empirical_atoms, row_atoms
from toolkit.divergence.differential import (
    EntropyEstimate,
    entropy_estimate,
    kozachenko_leonenko_entropy,
    vasicek_entropy,
)
from toolkit.divergence.discrete import (
    conditional_kl_from_logq,
    cross_entropy,
    entropy,
    kl_divergence,
    kl_from_logq,
)
from toolkit.divergence.smoothed import (
    KdeGrid,
    histogram_kl,
    kde_grid,
    kde_kl,
    kl_grid,
    reverse_kl_grid,
)

__all__ = [
    "EmpiricalAtoms",
    "EntropyEstimate",
    "KdeGrid",
    "RowAtoms",
    "conditional_kl_from_logq",
    "cross_entropy",
    "empirical_atoms",
    "entropy",
    "entropy_estimate",
    "histogram_kl",
    "kde_grid",
    "kde_kl",
    "kl_divergence",
    "kl_from_logq",
    "kl_grid",
    "kozachenko_leonenko_entropy",
    "reverse_kl_grid",
    "row_atoms",
    "vasicek_entropy",
]

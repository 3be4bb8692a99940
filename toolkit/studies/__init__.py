"""Studies: many fits, to watch the law of large numbers turn the identity into consistency.

    from toolkit import studies

    frame = studies.convergence("gamma", sizes=[200, 2000], reps=60, seed=9)

Each study returns a tidy pandas DataFrame (one row per sample size, replication,
engine and parameter, or per smoother/direction for the one-sample studies):

- :func:`convergence`: the MLE of a correct model tends to the true θ (N^(−1/2)
  errors, √N-normality, N · E[KL(p ‖ q_θ̂)] → k/2);
- :func:`misspecification`: a wrong model's MLE tends to the pseudo-true θ*; the
  sandwich SE covers it, the model-based SE does not;
- :func:`smoothing`: minimising KL(p̂_h ‖ q_θ) for a KDE or histogram p̂_h, whose gap
  to the MLE closes as h → 0;
- :func:`reverse`: forward (mean-seeking) against reverse (mode-seeking) KL;
- :func:`prior`: MAP against MLE as N grows (a gap like 1/N).

The replicated studies (convergence, misspecification, prior) run on joblib's workers
(``n_jobs``) or a Dask cluster (``scheduler``), and resume from a store
(``store=PATH``; :func:`load` reads it back).
"""

from toolkit.studies.convergence import convergence
from toolkit.studies.misspecification import misspecification
from toolkit.studies.prior import prior
from toolkit.studies.registry import REPLICATED, STUDIES, load
from toolkit.studies.reverse import bimodal_sample, reverse
from toolkit.studies.smoothing import smoothing
from toolkit.studies.store import StoreError

__all__ = [
    "REPLICATED",
    "STUDIES",
    "StoreError",
    "bimodal_sample",
    "convergence",
    "load",
    "misspecification",
    "prior",
    "reverse",
    "smoothing",
]

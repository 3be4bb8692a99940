"""klmle: minimising KL(p̂ ‖ q_θ) is maximum likelihood, shown and measured.

import toolkit
cmp = toolkit.compare("gamma", data)
cmp.estimates, cmp.se, cmp.loglik, cmp.kl, cmp.agree
"""

from toolkit.compare import Comparison, compare
from toolkit.config import settings, settings_context
from toolkit.errors import BoundaryError, DataError, ModelError

__all__ = [
    "BoundaryError",
    "Comparison",
    "DataError",
    "ModelError",
    "compare",
    "settings",
    "settings_context",
]

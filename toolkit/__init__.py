"""klmle: minimising KL(p̂ ‖ q_θ) is maximum likelihood, shown and measured.

import toolkit
cmp = toolkit.compare("gamma", data)
cmp.estimates, cmp.se, cmp.loglik, cmp.kl, cmp.agree
results = toolkit.load_results("reports/demo")   # saved comparisons, by key
"""

from toolkit.compare import Comparison, compare
from toolkit.config import settings, settings_context
from toolkit.errors import BoundaryError, DataError, ModelError
from toolkit.report.results import load_results

__all__ = [
    "BoundaryError",
    "Comparison",
    "DataError",
    "ModelError",
    "compare",
    "load_results",
    "settings",
    "settings_context",
]

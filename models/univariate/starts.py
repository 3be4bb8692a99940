"""Data-driven starting points shared by univariate declarations.

Built from quantiles and moments, so that they move with the data: shifting or
rescaling the data shifts or rescales the start the same way, and an optimiser
starts equally close to the optimum whatever the data's units and origin. They
are rough (not the MLE), so the optimisers still have work to do.
"""

import numpy as np

#: Interquartile range of the standard normal: IQR / NORMAL_IQR estimates sigma.
NORMAL_IQR = 1.3489795003921634


def robust_scale(x) -> float:
    """IQR / 1.349 (the normal's sigma from its quartiles), or the SD where the IQR is 0."""
    q1, q3 = np.quantile(x, [0.25, 0.75])
    scale = (q3 - q1) / NORMAL_IQR
    return float(scale) if scale > 0 else float(np.std(x))


def location_scale(x) -> tuple[float, float]:
    """(median, robust scale) of ``x``."""
    return float(np.median(x)), robust_scale(x)

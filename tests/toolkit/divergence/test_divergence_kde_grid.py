"""Tests of toolkit.divergence.kde_grid: a KDE tabulated once, forward and reverse KL on it."""

import math

import numpy as np
import pytest
from scipy import stats

from toolkit.divergence import kde_grid, kde_kl


def kl_normals(m1, s1, m2, s2):
    """Closed form KL(N(m1, s1²) ‖ N(m2, s2²))."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


@pytest.mark.parametrize(("m", "s"), [(0.0, 2.0), (1.0, 0.5), (-2.0, 1.0)])
def test_one_point_is_a_normal_both_ways(m, s):
    # The KDE of one point at 0 with h = 1 is N(0, 1): both KLs have closed forms.
    kde = kde_grid([0.0], bandwidth=1.0, extent=(-40.0, 40.0))

    def logq(t):
        return stats.norm.logpdf(t, m, s)

    # Simpson on a grid of step h/8 over smooth, decaying integrands: ~1e-11.
    assert kde.kl(logq) == pytest.approx(kl_normals(0, 1, m, s), abs=1e-9)
    assert kde.reverse_kl(logq) == pytest.approx(kl_normals(m, s, 0, 1), abs=1e-9)


def test_kl_on_the_grid_is_kde_kl(rng):
    x = rng.gamma(3.0, 1.0, size=60)

    def logq(t):
        return stats.gamma.logpdf(t, 2.5)

    kde = kde_grid(x, bandwidth=0.4, bounds=(0.0, math.inf))
    # Gamma(2.5) has log q = -inf at 0: refused at the bound, as kde_kl refuses it.
    with pytest.raises(ValueError, match="singular at a bound"):
        kde.kl(logq)

    def logq_exp(t):
        return stats.expon.logpdf(t, scale=3.0)

    assert kde.kl(logq_exp) == kde_kl(x, logq_exp, bandwidth=0.4, bounds=(0.0, math.inf))


def test_reverse_kl_refuses_a_model_off_the_grid():
    kde = kde_grid([0.0, 1.0], bandwidth=0.5)  # the grid spans about [-4, 5]
    assert kde.reverse_kl(lambda t: stats.norm.logpdf(t, 0.5, 0.5)) < math.inf
    assert kde.reverse_kl(lambda t: stats.norm.logpdf(t, 0.5, 5.0)) == math.inf


def test_extent_widens_the_grid():
    narrow, wide = kde_grid([0.0], bandwidth=1.0), kde_grid([0.0], bandwidth=1.0, extent=(-50, 3))
    assert narrow.points[0] == -8.0 and wide.points[0] == -50.0 and wide.points[-1] == 8.0
    assert np.all(np.diff(wide.points) <= 1.0 / 8 + 1e-12)

"""References with no MLE: NIST's Wampler1 and Wampler2 are exact polynomials.

Their certified residual SD is 0 (NIST StRD, linear least squares; the data are in
``nist_lls/``): a normal model of them has no maximum, since the likelihood rises
without bound as sigma -> 0. ``toolkit.compare`` says so in a BoundaryError naming
sigma, never with a traceback from PyTensor or a "not identified" verdict.
"""

from __future__ import annotations

import pytest
import strd_linear

import toolkit


@pytest.mark.parametrize("name", ["Wampler1", "Wampler2"])
def test_an_exact_polynomial_has_no_mle(name):
    assert strd_linear.load(name).residual_sd == 0.0  # NIST's certified value
    with pytest.raises(toolkit.BoundaryError) as info:
        toolkit.compare(strd_linear.linear_model(name))
    message = str(info.value)
    assert "the MLE does not exist" in message and "fits the data exactly" in message
    assert "sigma → 0" in message and "\n" not in message


def test_a_near_exact_polynomial_is_fitted():
    # Wampler3 is the same polynomial with noise (certified residual SD 2360): an MLE.
    cmp = toolkit.compare(strd_linear.linear_model("Wampler3"))
    assert cmp.agree, cmp.reasons

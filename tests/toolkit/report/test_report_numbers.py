"""Numbers as a reader sees them (toolkit.report.numbers): KL never below 0, human times."""

from __future__ import annotations

import math

import pytest

from toolkit.report.numbers import duration, fmt, kl_floor, kl_row, kl_text, kl_value

#: The values the issue saw printed: bernoulli's mle KL and the horse-kick categorical's
#: kl KL (exact, rounding noise), and estimates a little below 0 (entropy estimate error).
NEGATIVE = [
    (-5.55e-17, 2.1e-15, "exact"),
    (-7.63e-17, 3.7e-15, "exact"),
    (-0.0077, 0.022, "estimate"),
    (-0.0077, math.nan, "estimate"),
    (-3e-3, None, "estimate"),
]


def _number(text: str) -> float:
    return float(text.replace("≈", "").replace("−", "-").split()[0])


@pytest.mark.parametrize(("value", "error", "kind"), NEGATIVE)
def test_a_kl_is_never_shown_below_zero(value, error, kind):
    for digits in (2, 10):
        for text in (kl_text(value, error, kind, digits), kl_value(value, error, kind, digits)):
            assert not text.lstrip().startswith(("-", "−")), text
            assert _number(text) == 0.0, text
    assert kl_floor(value, error, kind) == 0.0
    _, cells, keys = kl_row([value, value], [error, error], kind)
    assert cells == [kl_value(value, error, kind)] * 2 and "-" not in "".join(cells)
    assert keys == [0.0, 0.0]


def test_an_exact_kl_within_its_rounding_level_is_zero_with_the_level():
    assert kl_text(-5.55e-17, 2.1e-15, "exact") == "0 (±2.1e-15)"
    assert kl_text(1.9e-15, 2.1e-15, "exact") == "0 (±2.1e-15)"  # positive noise too
    assert kl_text(2.5e-14, 2.1e-15, "exact", 3) == "2.5e-14"  # above it: a real value
    assert kl_text(0.0123456, 2.1e-15, "exact", 3) == "0.0123"


def test_an_estimate_carries_its_standard_error():
    assert kl_text(0.0142, 0.021, "estimate", 3) == "0.0142 ± 0.021"
    assert kl_text(-0.0077, 0.022, "estimate", 3) == "≈0 ± 0.022"
    assert kl_text(0.0142, math.nan, "estimate", 3) == "0.0142"


def test_a_cross_entropy_is_not_a_kl_and_may_be_negative():
    # The KL up to a θ-free constant (continuous regression responses): shown as it is.
    assert kl_text(-1.25, math.nan, "cross-entropy", 3) == "-1.25"


def test_the_kl_row_says_its_error_once_in_the_label():
    label, cells, _ = kl_row([0.0098, 0.0098, -0.001], [0.011, 0.011, 0.011], "estimate", 4)
    assert label == "KL(p̂‖q), est. ± 0.011" and cells == ["0.0098", "0.0098", "≈0"]
    # Rounding levels differ in the last digit by engine: the largest is said.
    label, cells, _ = kl_row([-5e-17, 3e-14], [2.1e-15, 2.4e-15], "exact")
    assert label == "KL(p̂‖q) (±2.4e-15)" and cells == ["0", "3e-14"]
    label, _, _ = kl_row([0.1], [math.nan], "estimate")
    assert label == "KL(p̂‖q), est."


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (11.85, "11.8 s"),  # the "1.185e+04 ms"
        (0.0004, "0.4 ms"),
        (0.2273, "227 ms"),
        (59.94, "59.9 s"),
        (125.0, "2 min 5 s"),
        (math.nan, "–"),
    ],
)
def test_durations_read_in_human_units(seconds, text):
    assert duration(seconds) == text


def test_a_number_is_one_token():
    # One token: no space inside a number, so a table cell can keep it on one line.
    assert fmt(2.27e-13, 2) == "2.3e-13" and " " not in fmt(-1.5e300, 3)

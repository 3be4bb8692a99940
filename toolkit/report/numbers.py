"""Numbers as a reader sees them: significant digits, durations, and KL values with their error.

Plain functions from numbers to text, shared by the HTML report, the notebook view
and the terminal, so a KL reads the same everywhere.
"""

from __future__ import annotations

import math

import numpy as np

#: What a comparison's KL is (``Comparison.kl_kind``), as a table's row label.
KL_LABELS = {
    "exact": "KL(p̂‖q)",
    "estimate": "KL(p̂‖q), est.",
    "cross-entropy": "cross-entropy",
}


def fmt(value: object, digits: int = 6) -> str:
    """A number with ``digits`` significant digits; text unchanged; NaN as an en dash.

    Examples
    --------
    >>> fmt(2.0 / 3, 3), fmt(float("nan")), fmt(True), fmt("mle")
    ('0.667', '–', 'yes', 'mle')
    """
    if isinstance(value, bool) or value is None:
        return "–" if value is None else ("yes" if value else "no")
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{digits}g}"
    try:
        return fmt(float(value), digits)
    except (TypeError, ValueError):
        return str(value)


def duration(seconds: float) -> str:
    """A time in the unit a person reads it in: µs, ms, s or min.

    Examples
    --------
    >>> duration(0.0004), duration(0.0352), duration(3.21), duration(125.0)
    ('0.4 ms', '35 ms', '3.2 s', '2 min 5 s')
    """
    if not math.isfinite(seconds):
        return "–"
    if seconds < 0.01:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def kl_value(value: float, error: float, kind: str, digits: int = 10) -> str:
    """A KL value alone, as it may be read: never below 0 (see :func:`kl_text`).

    Examples
    --------
    >>> kl_value(-5.55e-17, 2.4e-15, "exact"), kl_value(-0.0077, 0.022, "estimate")
    ('0', '≈0')
    """
    if not math.isfinite(value) or kind == "cross-entropy":
        return fmt(value, digits)
    if kind == "exact":
        known = error is not None and math.isfinite(error)
        return "0" if known and value <= error else fmt(max(value, 0.0), digits)
    return "≈0" if value < 0 else fmt(value, digits)


def kl_text(value: float, error: float, kind: str, digits: int = 10) -> str:
    """A KL value as it may be read: never below 0, with its error where it has one.

    ``kind`` is "exact" (discrete data: ``error`` is the rounding level of the sum;
    a value within it is 0), "estimate" (continuous data: cross-entropy minus an
    entropy estimate, ``error`` its standard error or NaN; an estimate below 0 is 0
    within its error, since a KL is never negative) or "cross-entropy" (not a KL:
    shown as it is).

    Examples
    --------
    >>> kl_text(-5.55e-17, 2.4e-15, "exact")
    '0 (±2.4e-15)'
    >>> kl_text(0.0142, 0.021, "estimate", 3), kl_text(-0.0077, 0.022, "estimate", 3)
    ('0.0142 ± 0.021', '≈0 ± 0.022')
    """
    shown = kl_value(value, error, kind, digits)
    if not math.isfinite(value) or kind == "cross-entropy":
        return shown
    known = error is not None and math.isfinite(error)
    if kind == "exact":
        return f"{shown} (±{error:.2g})" if shown == "0" else shown
    return f"{shown} ± {error:.2g}" if known else shown


def kl_row(values, errors, kind: str, digits: int = 10) -> tuple[str, list[str], list[float]]:
    """The KL row of an estimates table: its label, one text per engine, and sort keys.

    The error is a property of the row (the entropy estimate's SE is the same for
    every engine; rounding levels differ in the last digit), so it is said once, in
    the label (the largest, to two digits), and each cell holds the value alone,
    never below 0 (the keys are the values shown, :func:`kl_floor`). This keeps a
    table of several engines narrow enough for a terminal.

    Examples
    --------
    >>> label, texts, keys = kl_row([-5.55e-17, 1.9e-14], [2.1e-15, 2.3e-15], "exact")
    >>> label, texts, keys
    ('KL(p̂‖q) (±2.3e-15)', ['0', '1.9e-14'], [0.0, 1.9e-14])
    >>> kl_row([0.0142, -0.003], [0.021, 0.021], "estimate", 3)[:2]
    ('KL(p̂‖q), est. ± 0.021', ['0.0142', '≈0'])
    """
    values = [float(v) for v in values]
    known = [float(e) for e in errors if e is not None and math.isfinite(float(e))]
    error = max(known) if known else float("nan")
    label = KL_LABELS.get(kind, "KL")
    if known and kind == "exact":
        label = f"{label} (±{error:.2g})"
    elif known and kind == "estimate":
        label = f"{label} ± {error:.2g}"
    texts = [kl_value(v, error, kind, digits) for v in values]
    return label, texts, [kl_floor(v, error, kind) for v in values]


def kl_floor(value: float, error: float, kind: str) -> float:
    """The number :func:`kl_text` leads with (for sorting): never below 0 for a KL."""
    if kind == "cross-entropy" or not math.isfinite(value):
        return value
    if kind == "exact" and error is not None and math.isfinite(error) and value <= error:
        return 0.0
    return max(value, 0.0)


def kl_error_note(kind: str, errors=(1.0,)) -> str:
    """What the ± beside a KL means, for the note under a table.

    ``errors`` are the KL's errors by engine (an estimate without any finite one has no
    standard error).
    """
    known = any(e is not None and math.isfinite(float(e)) for e in errors)
    if kind == "estimate" and not known:
        return (
            "the entropy estimator gives no standard error, so the estimate is shown alone; "
            "one below 0 is shown as ≈0 (a KL is never negative)"
        )
    return {
        "exact": "a value within the rounding level of the sum (±) is shown as 0",
        "estimate": "± the standard error of the entropy estimate; an estimate below 0 is 0 "
        "within that error (a KL is never negative)",
        "cross-entropy": "the cross-entropy is the KL up to a θ-free constant, so it may be "
        "negative",
    }.get(kind, "")

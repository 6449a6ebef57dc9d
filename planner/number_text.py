"""Numbers written for people: ``5.6`` not ``5.600000000000001``, ``1 day`` not ``1 days``.

One helper for every text the planner shows or writes (page captions and metrics, messages, agenda
lines, workbook text), so the same number reads the same everywhere:

>>> format_number(5.600000000000001)
'5.6'
>>> format_number(1, "days"), format_number(2.5, "days"), format_number(12345.678, "points")
('1 day', '2.5 days', '12,345.68 points')
>>> format_number(0.125, decimals=1), format_number(-0.0001), format_number(None, "days")
('0.1', '0', '-')

Rules: rounded to ``decimals`` places (default 2, enough for quarter days), trailing zeros and a
trailing point dropped, thousands separated by commas, no negative zero; missing values (None, NaN)
and infinities are ``-``. A unit follows after a space, in the singular when the number reads
exactly 1 (``days`` or ``day`` give ``1 day`` and ``3 days``). Tables keep numbers as numbers: for a
Streamlit ``NumberColumn`` use :data:`TABLE_FORMAT`.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["MISSING", "TABLE_FORMAT", "format_number", "format_percent", "unit_word"]

MISSING = "-"
TABLE_FORMAT = "%.1f"  # printf format of a number column in a page table: one decimal, as the metrics
_IRREGULAR = {"person": "people"}
_SINGULAR = {plural: singular for singular, plural in _IRREGULAR.items()}


def _finite(value: object) -> float | None:
    """``value`` as a finite float, or None (missing, NaN, infinite, not a number)."""
    if value is None or isinstance(value, bool) or not isinstance(value, Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def unit_word(unit: str, count: float) -> str:
    """``unit`` in the singular when ``count`` is exactly 1, else in the plural (``days``, ``points``)."""
    word = unit.strip()
    if not word:
        return ""
    singular = _SINGULAR.get(word) or (word[:-1] if word.endswith("s") and not word.endswith("ss") else word)
    plural = _IRREGULAR.get(singular) or (word if singular != word else f"{word}s")
    return singular if count == 1 else plural


def format_number(value: object, unit: str | None = None, *, decimals: int = 2) -> str:
    """``value`` as people read it: rounded to ``decimals`` places, no trailing zeros, thousands
    separators, then ``unit`` (singular for exactly 1). Missing or infinite values are ``-`` (no unit).
    """
    number = _finite(value)
    if number is None:
        return MISSING
    rounded = round(number, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{rounded:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit_word(unit, rounded)}" if unit else text


def format_percent(share: object, *, decimals: int = 0) -> str:
    """A share (0.25) as a percentage (``25%``), rounded to ``decimals`` places without trailing zeros."""
    number = _finite(share)
    if number is None:
        return MISSING
    return f"{format_number(number * 100, decimals=decimals)}%"

"""What a cell holds, the same way everywhere: is it blank, and the key two spellings compare by."""

from __future__ import annotations

import math
import re

import pandas as pd

__all__ = ["comparable_key", "is_blank"]


def comparable_key(label: object) -> str:
    """Lower-case and drop everything but letters and digits: ``Story_Points`` -> ``storypoints``.

    For labels people write differently: headers, sheet names, item types, statuses, priorities.
    """
    return re.sub(r"[\W_]+", "", str(label).casefold())


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None``, NaN, ``pd.NA``, ``NaT`` or text of only whitespace."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes are not one cell: not blank
        return False

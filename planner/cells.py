"""What a cell holds, the same way everywhere: is it blank, and the key two spellings compare by."""

from __future__ import annotations

import math
import re

import pandas as pd

__all__ = ["comparable_key", "is_blank"]

_NA, _NAT = pd.NA, pd.NaT


def comparable_key(label: object) -> str:
    """Lower-case and drop everything but letters and digits: ``Story_Points`` -> ``storypoints``.

    For labels people write differently: headers, sheet names, item types, statuses, priorities.
    """
    return re.sub(r"[\W_]+", "", str(label).casefold())


def is_blank(value: object) -> bool:
    """True for an empty cell: ``None``, NaN, ``pd.NA``, ``NaT`` or text of only whitespace."""
    if isinstance(value, str):  # first: most cells are text, and readers ask for every one of them
        return not value.strip()
    if value is None or value is _NA or value is _NAT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if not pd.api.types.is_scalar(value):  # list-likes are not one cell: not blank
        return False
    # Other scalars: numpy NaN and NaT, Decimal NaN. pandas-stubs list only pandas' own scalar types,
    # but pd.isna takes any object (False for what it does not know).
    return bool(pd.isna(value))  # type: ignore[call-overload]

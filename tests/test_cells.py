"""What a cell holds: ``planner.cells.is_blank`` (one rule for every reader and check) and ``comparable_key``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from planner.cells import comparable_key, is_blank


@pytest.mark.parametrize(
    "value",
    [None, pd.NA, pd.NaT, float("nan"), np.float32("nan"), np.datetime64("NaT"), Decimal("NaN"), "", "  ", "\t\n"],
)
def test_blank_cells(value: object) -> None:
    assert is_blank(value)


@pytest.mark.parametrize(
    "value",
    [
        0,
        0.0,
        False,
        "0",
        " x ",
        "nan",
        "None",
        np.int64(0),
        pd.Timestamp("2026-01-05"),
        dt.date(2026, 1, 5),
        dt.time(0, 0),
        dt.timedelta(0),
        b"",
        [],
        [None],  # a list is not one cell
        (None,),
        np.array([np.nan]),
    ],
)
def test_cells_holding_something(value: object) -> None:
    assert not is_blank(value)


def test_comparable_key_ignores_case_spaces_and_punctuation() -> None:
    assert comparable_key("Story_Points") == comparable_key(" story points ") == "storypoints"
    assert comparable_key("Won't Do") == "wontdo"

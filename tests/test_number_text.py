"""Numbers formatted for people (planner.number_text)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.number_text import MISSING, format_number, format_percent, unit_word


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (5.600000000000001, None, "5.6"),
        (0.1 + 0.2, None, "0.3"),
        (2.0, None, "2"),
        (1234567.891, None, "1,234,567.89"),
        (-0.0001, None, "0"),
        (-2.5, None, "-2.5"),
        (np.float64(29.844444), None, "29.84"),
        (np.int64(3), None, "3"),
        (1, "days", "1 day"),
        (1.0, "day", "1 day"),
        (1.000000001, "days", "1 day"),
        (2.5, "days", "2.5 days"),
        (0, "days", "0 days"),
        (1, "points", "1 point"),
        (12345, "points", "12,345 points"),
        (1, "sprints", "1 sprint"),
        (3, "sprint", "3 sprints"),
        (1, "people", "1 person"),
        (2, "person", "2 people"),
        (None, "days", MISSING),
        (math.nan, None, MISSING),
        (math.inf, None, MISSING),
        ("5", None, MISSING),
        (True, None, MISSING),
    ],
)
def test_format_number(value, unit, text):
    assert format_number(value, unit) == text


def test_decimals_and_percent():
    assert format_number(29.844444, decimals=1) == "29.8"
    assert format_number(0.125, decimals=3) == "0.125"
    assert format_number(1.04, "days", decimals=1) == "1 day"
    assert format_number(2 / 3, decimals=0) == "1"
    assert format_percent(0.25) == "25%"
    assert format_percent(2.1202531) == "212%"
    assert format_percent(0.12345, decimals=1) == "12.3%"
    assert format_percent(None) == MISSING
    assert unit_word("", 1) == ""


@pytest.mark.parametrize("value", [0.1 * n for n in range(200)] + [x / 3 for x in range(100)])
def test_no_float_artefacts(value):
    text = format_number(value)
    assert len(text.split(".")[-1]) <= 2 if "." in text else True
    assert not text.endswith("0") or "." not in text

"""planner.overrides: the pin editor's table, and the overrides read back from it."""

from __future__ import annotations

import pandas as pd

from planner.overrides import PIN_COLUMNS, PIN_IN, PIN_OUT, Override, overrides_from_table, pin_table


def backlog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["A", "B", "C", "D"],
            "title": ["a", "b", "c", "d"],
            "team": ["red", "red", "blue", "blue"],
            "effort": [1.0, 2.0, 3.0, 4.0],
            "moscow": pd.array(["Must", None, "Could", "Should"], dtype="string"),
            "done": [False, False, True, False],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_the_pin_table_shows_open_items_with_their_pins_and_classes():
    overrides = {"A": Override(pin=PIN_OUT), "B": Override(moscow="Should"), "D": Override(pin="S2", moscow="")}
    table = pin_table(backlog(), overrides)
    assert list(table.columns) == PIN_COLUMNS
    assert list(table.index) == [0, 1, 3]  # the done item is left out; the backlog's index is kept
    assert table["id"].tolist() == ["A", "B", "D"]
    assert table["pin"].tolist() == [PIN_OUT, "", "S2"]
    assert table["moscow"].tolist() == ["Must", "Should", ""]  # the override's class, blank when cleared


def test_an_unedited_table_gives_the_overrides_back():
    overrides = {"A": Override(pin=PIN_OUT), "B": Override(moscow="Should"), "D": Override(pin="S2", moscow="")}
    assert overrides_from_table(pin_table(backlog(), overrides), backlog()) == overrides
    assert overrides_from_table(pin_table(backlog(), {}), backlog()) == {}


def test_edits_become_overrides():
    table = pin_table(backlog(), {})
    table["pin"] = [PIN_IN, "", ""]
    table["moscow"] = ["Must", "Could", "Won't"]
    assert overrides_from_table(table, backlog()) == {
        "A": Override(pin=PIN_IN, moscow=None),  # pinned; its class is the saved one
        "B": Override(pin=None, moscow="Could"),  # a class where none was saved
        "D": Override(pin=None, moscow="Won't"),
    }


def test_a_class_set_back_to_the_saved_one_is_no_override():
    table = pin_table(backlog(), {"A": Override(moscow="Could")})
    table.loc[table["id"] == "A", "moscow"] = "Must"
    assert overrides_from_table(table, backlog()) == {}


def test_blank_cells_are_no_pin_and_no_class():
    table = pd.DataFrame({"id": ["A", "B", "D"], "pin": [None, float("nan"), "  "], "moscow": ["Must", None, "Should"]})
    assert overrides_from_table(table, backlog()) == {}
    table["moscow"] = ["", None, "Should"]
    assert overrides_from_table(table, backlog()) == {"A": Override(pin=None, moscow="")}  # Must cleared

"""Three-way merge of scenario settings: changes to different settings both land, the same one clashes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.settings_merge import merge_settings


def same(left: Any, right: Any) -> bool:
    """Equal as the merge means it, at any depth: JSON ``true`` is not ``1`` (Python's == says it is),
    but the numbers 1 and 1.0 are one value."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    return bool(left == right)


PIN_X = {"sprint": "S1"}
PIN_Y = {"sprint": "S2"}

MERGES = [
    pytest.param({"a": 1}, {"a": 2}, {"a": 1}, {"a": 2}, id="mine-only"),
    pytest.param({"a": 1}, {"a": 1}, {"a": 3}, {"a": 3}, id="theirs-only"),
    pytest.param({"a": 1}, {"a": 5}, {"a": 5}, {"a": 5}, id="both-same"),
    pytest.param({"a": 1, "b": 1}, {"a": 2, "b": 1}, {"a": 1, "b": 3}, {"a": 2, "b": 3}, id="different-keys"),
    pytest.param({}, {"a": 1}, {"b": 2}, {"b": 2, "a": 1}, id="both-add-different-keys"),
    pytest.param({"a": 1, "b": 2}, {"b": 2}, {"a": 1, "b": 3}, {"b": 3}, id="mine-deletes-theirs-changes-other"),
    pytest.param({"a": 1}, {}, {}, {}, id="both-delete"),
    pytest.param(
        {"what_if": {"overrides": {}}},
        {"what_if": {"overrides": {"X": PIN_X}}},
        {"what_if": {"overrides": {"Y": PIN_Y}}},
        {"what_if": {"overrides": {"Y": PIN_Y, "X": PIN_X}}},
        id="nested-pins-of-two-items",
    ),
    pytest.param(
        {"w": {"a": 1, "b": {"c": 1, "d": 1}}},
        {"w": {"a": 2, "b": {"c": 1, "d": 1}}},
        {"w": {"a": 1, "b": {"c": 1, "d": 9}}},
        {"w": {"a": 2, "b": {"c": 1, "d": 9}}},
        id="nested-three-deep",
    ),
    pytest.param(
        {},
        {"what_if": {"overrides": {"X": PIN_X}}},
        {"what_if": {"overrides": {"Y": PIN_Y}}},
        {"what_if": {"overrides": {"Y": PIN_Y, "X": PIN_X}}},
        id="both-add-same-key-as-dicts",
    ),
    pytest.param(
        {"a": [1, 2]}, {"a": [1, 2, 3]}, {"a": [1, 2], "b": 1}, {"a": [1, 2, 3], "b": 1}, id="list-is-one-value"
    ),
    pytest.param({"a": 1}, {"a": 1.0}, {"a": 1, "b": 2}, {"a": 1, "b": 2}, id="int-1-and-float-1.0-same"),
    pytest.param({"a": 1}, {"a": 2}, {"a": 2.0}, {"a": 2}, id="both-same-as-int-and-float"),
    pytest.param({"a": None}, {"a": 0}, {"a": None, "b": 1}, {"a": 0, "b": 1}, id="null-to-zero-is-a-change"),
]


@pytest.mark.parametrize(("base", "mine", "theirs", "expected"), MERGES)
def test_changes_to_different_settings_merge(base: dict, mine: dict, theirs: dict, expected: dict) -> None:
    merged, clashes = merge_settings(base, mine, theirs)
    assert clashes == []
    assert same(merged, expected), merged
    assert list(merged) == list(expected)  # their order first, then the keys only I added


CLASHES = [
    pytest.param({"a": 1}, {"a": 2}, {"a": 3}, ["a"], id="both-different"),
    pytest.param(
        {"what_if": {"overrides": {}}},
        {"what_if": {"overrides": {"X": PIN_X}}},
        {"what_if": {"overrides": {"X": PIN_Y}}},
        ["what_if.overrides.X.sprint"],  # both added X as a dict: merged key by key
        id="same-pin-different-sprints",
    ),
    pytest.param(
        {"what_if": {"overrides": {"X": PIN_X}}},
        {"what_if": {"overrides": {}}},
        {"what_if": {"overrides": {"X": PIN_Y}}},
        ["what_if.overrides.X"],
        id="unpin-against-repin",
    ),
    pytest.param({"a": 1, "b": 1}, {"b": 1}, {"a": 2, "b": 1}, ["a"], id="mine-deletes-theirs-changes"),
    pytest.param({"a": {"x": 1}}, {"a": {"x": 2}}, {}, ["a"], id="theirs-deletes-mine-changes-inside"),
    pytest.param({}, {"a": 1}, {"a": 2}, ["a"], id="both-add-different-values"),
    pytest.param({}, {"a": {"x": 1}}, {"a": {"x": 2}}, ["a.x"], id="both-add-dicts-clash-inside"),
    pytest.param({"a": 1}, {"a": {"x": 1}}, {"a": {"x": 2}}, ["a"], id="number-became-two-dicts"),
    pytest.param({"a": None}, {"a": True}, {"a": 2}, ["a"], id="true-against-2"),
    pytest.param(
        {"a": 1, "b": 1, "c": {"d": 1}},
        {"a": 2, "b": 2, "c": {"d": 2}},
        {"a": 3, "b": 1, "c": {"d": 3}},
        ["a", "c.d"],
        id="several-clashes-in-key-order",
    ),
    pytest.param({"a": [1]}, {"a": [1, 2]}, {"a": [1, 3]}, ["a"], id="lists-are-not-merged"),
    pytest.param({"1": 0}, {"1": 1}, {"1": 2}, ["1"], id="numeric-text-key"),
]


@pytest.mark.parametrize(("base", "mine", "theirs", "paths"), CLASHES)
def test_a_setting_both_changed_differently_clashes(base: dict, mine: dict, theirs: dict, paths: list[str]) -> None:
    _, clashes = merge_settings(base, mine, theirs)
    assert clashes == paths
    _, swapped = merge_settings(base, theirs, mine)
    assert sorted(swapped) == sorted(paths)


@pytest.mark.parametrize(
    ("base", "mine", "theirs", "expected", "paths"),
    [
        pytest.param({"a": 1}, {"a": True}, {"a": 1, "b": 2}, {"a": True, "b": 2}, [], id="top-level-1-to-true"),
        pytest.param({"a": 0}, {"a": False}, {"a": 0, "b": 2}, {"a": False, "b": 2}, [], id="top-level-0-to-false"),
        pytest.param(
            {"w": {"a": True}}, {"w": {"a": 1}}, {"w": {"a": True}, "b": 2}, {"w": {"a": 1}, "b": 2}, [], id="nested"
        ),
        pytest.param({"a": [0]}, {"a": [False]}, {"a": [0], "b": 2}, {"a": [False], "b": 2}, [], id="in-a-list"),
        pytest.param({"a": 1}, {"a": True}, {"a": 2}, None, ["a"], id="1-to-true-against-1-to-2"),
        pytest.param({"a": None}, {"a": True}, {"a": 1}, None, ["a"], id="true-against-1"),
    ],
)
def test_bool_and_int_1_are_different_values(
    base: dict, mine: dict, theirs: dict, expected: dict | None, paths: list[str]
) -> None:
    merged, clashes = merge_settings(base, mine, theirs)
    assert clashes == paths
    if expected is not None:
        assert same(merged, expected), merged


def test_int_1_and_float_1_are_one_value_when_both_changed() -> None:
    assert merge_settings({"a": None}, {"a": 1}, {"a": 1.0})[1] == []
    assert merge_settings({"a": None}, {"a": True}, {"a": True})[1] == []


def test_the_merge_does_not_change_its_inputs() -> None:
    base = {"w": {"o": {}}}
    mine = {"w": {"o": {"X": 1}}}
    theirs = {"w": {"o": {"Y": 2}}}
    merge_settings(base, mine, theirs)
    assert (base, mine, theirs) == ({"w": {"o": {}}}, {"w": {"o": {"X": 1}}}, {"w": {"o": {"Y": 2}}})


# --- properties -----------------------------------------------------------------------------------

# Leaves mix bools with the ints 0 and 1: JSON true is never 1.
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=0, max_value=6),
    st.sampled_from(["x", "y", "z"]),
    st.lists(st.integers(min_value=2, max_value=4), max_size=2),
)
KEYS = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.recursive(LEAVES, lambda inner: st.dictionaries(KEYS, inner, max_size=3), max_leaves=8)
SETTINGS = st.dictionaries(KEYS, VALUES, max_size=4)


@st.composite
def edited(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with some settings changed, added or removed, at any depth."""

    def edit(value: Any) -> Any:
        choice = draw(st.sampled_from(["keep", "keep", "replace", "recurse"]))
        if choice == "keep":
            return value
        if choice == "recurse" and isinstance(value, dict):
            changed = {key: edit(inner) for key, inner in value.items()}
            for key in draw(st.lists(KEYS, max_size=1)):
                changed[key] = draw(VALUES)
            for key in draw(st.lists(st.sampled_from(sorted(changed)), max_size=1)) if changed else []:
                changed.pop(key, None)
            return changed
        return draw(VALUES)

    result = {key: edit(value) for key, value in base.items()}
    for key in draw(st.lists(KEYS, max_size=2)):
        result[key] = draw(VALUES)
    for key in draw(st.lists(st.sampled_from(sorted(result)), max_size=1)) if result else []:
        result.pop(key, None)
    return result


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    base = draw(SETTINGS)
    return base, draw(edited(base)), draw(edited(base))


def leaves(settings_: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every path to a non-dict value (an empty dict counts as a value at its path)."""
    if isinstance(settings_, dict) and settings_:
        found: dict[tuple[str, ...], Any] = {}
        for key, value in settings_.items():
            found.update(leaves(value, (*path, key)))
        return found
    return {path: settings_}


_ABSENT = object()


def at(settings_: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(settings_, dict) or key not in settings_:
            return _ABSENT
        settings_ = settings_[key]
    return settings_


def same_or_absent(left: Any, right: Any) -> bool:
    if left is _ABSENT or right is _ABSENT:
        return left is right
    return same(left, right)


@settings(max_examples=300, deadline=None)
@given(three_versions())
def test_no_change_on_one_side_gives_the_other(versions: tuple[dict, dict, dict]) -> None:
    base, mine, theirs = versions
    assert merge_settings(base, base, theirs) == (theirs, [])
    merged, clashes = merge_settings(base, mine, base)
    assert clashes == []
    assert same(merged, mine)


@settings(max_examples=300, deadline=None)
@given(three_versions())
def test_the_same_change_on_both_sides_is_no_clash(versions: tuple[dict, dict, dict]) -> None:
    base, mine, _ = versions
    merged, clashes = merge_settings(base, mine, mine)
    assert clashes == []
    assert same(merged, mine)


@settings(max_examples=500, deadline=None)
@given(three_versions())
def test_clashes_are_the_same_whichever_side_is_mine(versions: tuple[dict, dict, dict]) -> None:
    base, mine, theirs = versions
    merged, clashes = merge_settings(base, mine, theirs)
    swapped, swapped_clashes = merge_settings(base, theirs, mine)
    assert sorted(clashes) == sorted(swapped_clashes)
    assert len(set(clashes)) == len(clashes)
    if not clashes:
        assert same(merged, swapped)


@settings(max_examples=500, deadline=None)
@given(three_versions())
def test_without_clashes_each_one_sided_change_lands(versions: tuple[dict, dict, dict]) -> None:
    base, mine, theirs = versions
    merged, clashes = merge_settings(base, mine, theirs)
    if clashes:
        return
    paths = set(leaves(base)) | set(leaves(mine)) | set(leaves(theirs))
    for path in paths:
        was, my, their, now = (at(side, path) for side in (base, mine, theirs, merged))
        mine_changed = not same_or_absent(my, was)
        theirs_changed = not same_or_absent(their, was)
        if mine_changed and not theirs_changed:
            # Only I changed this path: my value (an added dict may have gained their keys inside).
            if isinstance(my, dict) and isinstance(now, dict):
                assert set(leaves(my)) <= set(leaves(now)) or my == {}, path
            else:
                assert same_or_absent(now, my), (path, now, my)
        elif theirs_changed and not mine_changed:
            if isinstance(their, dict) and isinstance(now, dict):
                assert set(leaves(their)) <= set(leaves(now)) or their == {}, path
            else:
                assert same_or_absent(now, their), (path, now, their)
        elif not mine_changed:
            assert same_or_absent(now, was), path

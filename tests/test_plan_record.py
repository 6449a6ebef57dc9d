"""A plan stored as JSON reads back identical: every field, every dtype, every bit of every float."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from plan_fixtures import backlog, capacity

from planner.capacity import CapacitySettings
from planner.errors import PlannerError
from planner.input_problems import Problem
from planner.solve import PlanResult, SolveOptions, make_plan, plan_from_json, plan_to_json

TODAY = date(2026, 1, 1)
EXACT = SolveOptions(gap=0, time_limit=30)
ONE_PERSON = [("Ann", "pod-a", None, 10)]


def run(items, people=ONE_PERSON, sprints=1, options=EXACT, unit="days"):
    return make_plan(
        items, capacity(people, sprints), CapacitySettings(sprint_count=sprints, unit=unit), options, TODAY
    )


def same_number(a, b) -> bool:
    """Equal, NaN to NaN, and the same sign of zero."""
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and type(a) is type(b) and math.copysign(1, a) == math.copysign(1, b)


def assert_same_plan(before: PlanResult, after: PlanResult) -> None:
    """Every field of ``after`` equals ``before``'s: frames with dtypes, index and column types; floats exactly."""
    for field in dataclasses.fields(PlanResult):
        a, b = getattr(before, field.name), getattr(after, field.name)
        if isinstance(a, pd.DataFrame):
            assert_frame_equal(a, b, check_dtype=True, check_exact=True, check_index_type=True, check_column_type=True)
            assert list(a.columns) == list(b.columns)
            for column in a.columns:
                assert _same_cells(a[column], b[column]), column
        elif isinstance(a, float) or isinstance(b, float):
            assert same_number(a, b), field.name
        else:
            assert a == b, field.name
            assert type(a) is type(b), field.name
    assert before.as_json() == after.as_json()
    assert before.gain_over_baseline == after.gain_over_baseline


def _same_cells(a: pd.Series, b: pd.Series) -> bool:
    """Cell by cell: None stays None, NaN stays NaN (``tolist`` equality fails on NaN only)."""
    return all(
        (x is y)
        or (x == y and type(x) is type(y))
        or (isinstance(x, float) and isinstance(y, float) and x != x and y != y)
        for x, y in zip(a.tolist(), b.tolist())
    )


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def round_trip(result: PlanResult) -> PlanResult:
    text = plan_to_json(result)
    again = plan_from_json(text)
    assert_same_plan(result, again)
    assert plan_to_json(again) == text  # the record of a read record is the same text
    json.loads(text, parse_constant=_refuse)  # strict JSON: no NaN or Infinity literals
    return again


# Real plans ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cut_plan() -> PlanResult:
    """Optimal, with one item out for capacity: prices and an exact threshold in its reason."""
    items = backlog(
        {"id": "A", "effort": 5, "value": 10},
        {"id": "B", "effort": 5, "value": 8},
        {"id": "C", "effort": 5, "value": 3},
    )
    return run(items)


def test_optimal_plan_with_prices_reads_back_identical(cut_plan):
    assert cut_plan.status == "optimal" and len(cut_plan.prices) > 0 and cut_plan.excluded
    assert cut_plan.prices["team_has_skill"].dtype == bool
    again = round_trip(cut_plan)
    assert again.prices["value_per_day"].tolist() == cut_plan.prices["value_per_day"].tolist()


def test_infeasible_plan_reads_back_identical():
    items = backlog(
        {"id": "M1", "effort": 4, "value": 1, "moscow": "Must"},
        {"id": "M2", "effort": 3, "value": 1, "moscow": "Must"},
        {"id": "X", "effort": 1, "value": 5},
    )
    result = run(items, [("Ann", "pod-a", "backend", 5)])
    assert result.status == "infeasible" and result.bound is None and result.gap is None
    assert result.capacity["skill"].dtype == object  # every skill None: an object column, not a string one
    round_trip(result)


def test_re_plan_with_changes_reads_back_identical():
    items = backlog({"id": "A", "effort": 5, "value": 10}, {"id": "B", "effort": 5, "value": 10})
    half = [("Ann", "pod-a", None, 5)]
    [kept] = run(items, half).selected
    other = "B" if kept.id == "A" else "A"
    result = run(items, half, options=SolveOptions(gap=0, previous={other: ("pod-a", "S1"), "GONE": ("pod-a", "S1")}))
    assert result.changes is not None and result.free_changes is not None and result.free_objective is not None
    again = round_trip(result)
    assert again.as_json()["changes"] == result.changes.as_json()


def test_plan_with_empty_prices_reads_back_identical():
    # Everything fits: no capacity reason to explain, so no prices: an empty frame of object columns.
    result = run(backlog({"id": "A", "effort": 2, "value": 3}, {"id": "B", "effort": 3, "value": 1.1}), sprints=2)
    assert result.status == "optimal" and result.prices.empty
    assert set(result.prices.dtypes) == {np.dtype(object)}
    round_trip(result)


def test_sample_plan_in_points_reads_back_identical():
    from planner.ingest import read_backlog, read_capacity
    from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY

    items = read_backlog(SAMPLE_BACKLOG).table
    tables = read_capacity(SAMPLE_CAPACITY).tables
    result = make_plan(items, tables, CapacitySettings(sprint_count=3, unit="points"), EXACT, TODAY)
    assert result.unit == "points" and len(result.selected) > 10 and len(result.prices) > 0
    # Total rows have no skill: a string column with NaN for them, kept as such.
    assert isinstance(result.capacity["skill"].dtype, pd.StringDtype) and result.capacity["skill"].isna().any()
    round_trip(result)


def test_problems_and_numbers_json_cannot_hold_read_back(cut_plan):
    problems = (
        Problem("warning", "a note", "capacity.xlsx", "People", 7, "Days"),
        Problem("error", "unicode \u2013 and a lone \ud800", "backlog.csv"),
    )
    odd = replace(
        cut_plan,
        problems=problems,
        bound=math.inf,
        gap=math.nan,
        free_objective=-math.inf,
        seconds=5e-324,
        objective=-0.0,
        baseline_objective=0.1 + 0.2,
    )
    text = plan_to_json(odd)
    again = plan_from_json(text)
    assert again.problems == problems
    assert again.bound == math.inf and math.isnan(again.gap) and again.free_objective == -math.inf
    assert again.seconds == 5e-324 and math.copysign(1, again.objective) == -1
    assert again.baseline_objective == 0.30000000000000004


def test_frames_of_other_dtypes_read_back_identical(cut_plan):
    frame = pd.DataFrame(
        {
            "text_na": pd.array(["a", None], dtype=pd.StringDtype("python", na_value=pd.NA)),
            "text_nan": pd.array(["a", None], dtype=pd.StringDtype("python", na_value=np.nan)),
            "objects": pd.Series([None, math.nan], dtype=object),
            "mixed": pd.Series([pd.NA, 1], dtype=object),
            "floats": [math.inf, -0.0],
            "ints": np.array([1, 2**62], dtype=np.int64),
            "small": np.array([1.5, 2.25], dtype=np.float32),
            "nullable": pd.array([1, None], dtype="Int64"),
            "flags": pd.array([True, None], dtype="boolean"),
        }
    )
    again = plan_from_json(plan_to_json(replace(cut_plan, capacity=frame)))
    assert_frame_equal(frame, again.capacity, check_exact=True, check_index_type=True, check_column_type=True)
    assert again.capacity["objects"].tolist()[0] is None and math.isnan(again.capacity["objects"].tolist()[1])
    assert again.capacity["mixed"].tolist()[0] is pd.NA
    assert math.copysign(1, again.capacity["floats"].tolist()[1]) == -1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=8))
def test_any_float_column_reads_back_bit_for_bit(values):
    frame = pd.DataFrame({"load": np.array(values, dtype=float)})
    result = PlanResult("optimal", 0.0, None, None, 0.0, (), (), frame, frame.iloc[:0], 0.0)
    again = plan_from_json(plan_to_json(result)).capacity["load"].to_numpy()
    original = frame["load"].to_numpy()
    assert np.array_equal(np.isnan(again), np.isnan(original))
    numbers = ~np.isnan(original)
    assert again[numbers].tobytes() == original[numbers].tobytes()


# Refusals ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def record(cut_plan) -> dict:
    return json.loads(plan_to_json(cut_plan))


@pytest.mark.parametrize(
    "text",
    ["", "not json", "{", "[1, 2]", "null", '"plan"', "{}", '{"record": NaN}', '{"status": "optimal"}'],
)
def test_garbage_is_refused(text):
    with pytest.raises(PlannerError, match=r"plan record|solve the plan again"):
        plan_from_json(text)


@pytest.mark.parametrize("version", [0, 2, "1", 1.0, True, None])
def test_another_record_version_is_refused(record, version):
    with pytest.raises(PlannerError, match="version"):
        plan_from_json(json.dumps({**record, "record": version}))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda r: r.pop("prices"), "lacks prices"),
        (lambda r: r.update(extra=1), "does not know: extra"),
        (lambda r: r.update(kind="scenario"), "kind"),
        (lambda r: r.update(status="great"), "status"),
        (lambda r: r.update(objective="12"), "objective is not a number"),
        (lambda r: r.update(bound=True), "bound is not a number"),
        (lambda r: r["selected"][0].pop("team"), r"selected\[0\] lacks team"),
        (lambda r: r["capacity"]["columns"][0]["values"].append("x"), "values for 1 rows"),
        (lambda r: r["capacity"]["columns"][3]["values"].__setitem__(0, "ten"), "not a number"),
        (lambda r: r["prices"]["columns"][4]["values"].__setitem__(0, 1), "not true or false"),
        (lambda r: r["capacity"]["columns"][0].update(dtype={"numpy": "datetime64[ns]"}), "not a dtype"),
        (lambda r: r["capacity"]["columns"][0].update(dtype={"string": "rope", "na": "nan"}), "string dtype"),
        (lambda r: r["capacity"].update(rows=-1), "negative"),
        (lambda r: r.update(changes={"entered": [1], "left": [], "moved": []}), "not text"),
    ],
)
def test_a_damaged_record_is_refused_naming_what_is_wrong(record, change, said):
    damaged = json.loads(json.dumps(record))
    change(damaged)
    with pytest.raises(PlannerError, match=said):
        plan_from_json(json.dumps(damaged))


def test_a_key_given_twice_is_refused(record):
    text = json.dumps(record)
    with pytest.raises(PlannerError, match="twice"):
        plan_from_json(text[:-1] + ', "unit": "points"}')


def test_a_frame_the_record_cannot_hold_is_refused_on_writing(cut_plan):
    dated = pd.DataFrame({"when": pd.to_datetime(["2026-01-05"])})
    with pytest.raises(PlannerError, match="cannot store"):
        plan_to_json(replace(cut_plan, capacity=dated))
    with pytest.raises(PlannerError, match="index"):
        plan_to_json(replace(cut_plan, prices=cut_plan.prices.set_index("team")))

"""What differs between two versions of a table: rows matched by key (or content), cells compared by value."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.ingest import read_backlog, read_capacity
from planner.sample import SAMPLE_BACKLOG, SAMPLE_CAPACITY, create_sample
from planner.schema import CapacityTables
from planner.store import Scenario, Store
from planner.table_changes import CHANGE_COLUMNS, TABLE_KEYS, scenario_table_changes, table_changes

REAL_BACKLOG = Path(__file__).resolve().parents[2] / "shared" / "real-backlogs" / "mesos.csv"


@pytest.fixture(scope="module")
def sample_backlog() -> pd.DataFrame:
    return read_backlog(SAMPLE_BACKLOG).table


@pytest.fixture(scope="module")
def sample_capacity() -> CapacityTables:
    return read_capacity(SAMPLE_CAPACITY).tables


def scenario(backlog: pd.DataFrame, capacity: CapacityTables) -> Scenario:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return Scenario("s1", "Sample", backlog, capacity, {}, now, now)


def rows(changes: pd.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(row) for row in changes.itertuples(index=False)]


PEOPLE = pd.DataFrame({"name": ["Ana", "Ben", "Cy"], "team": ["a", "b", "c"], "allocation": [1.0, 0.5, 1.0]})


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (PEOPLE, []),
        (PEOPLE.iloc[::-1], []),  # order alone is no change
        (
            pd.concat([PEOPLE, pd.DataFrame({"name": ["Di"], "team": ["d"], "allocation": [1.0]})]),
            [("added", "Di", "", "", "")],
        ),
        (PEOPLE.iloc[[0, 2]], [("removed", "Ben", "", "", "")]),
        (PEOPLE.assign(allocation=[1.0, 0.75, 1.0]), [("changed", "Ben", "allocation", "0.5", "0.75")]),
        (PEOPLE.assign(team=["a", None, "c"]), [("changed", "Ben", "team", "b", "")]),
        (PEOPLE.assign(skills=["", "ios", None]), [("changed", "Ben", "skills", "", "ios")]),  # new column
        (
            PEOPLE.drop(columns="team"),
            [("changed", name, "team", team, "") for name, team in zip("Ana Ben Cy".split(), "abc")],
        ),
    ],
    ids=["same", "reordered", "added", "removed", "changed", "blanked", "new-column", "dropped-column"],
)
def test_rows_are_matched_by_key_and_cells_compared(after: pd.DataFrame, expected: list[tuple[str, ...]]) -> None:
    changes = table_changes(PEOPLE, after, ["name"])
    assert list(changes.columns) == list(CHANGE_COLUMNS)
    assert sorted(rows(changes)) == sorted(expected)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([np.nan, None, pd.NA], [None, pd.NA, np.nan]),
        ([pd.NaT, "", "  "], [None, np.nan, pd.NA]),
        ([1, 2, 3], [1.0, 2.0, 3.0]),
        ([True, False, True], [1, 0, 1.0]),
        (["x", 1, pd.Timestamp("2026-01-05")], ["x", 1.0, datetime(2026, 1, 5)]),
    ],
    ids=["nan-none-na", "nat-and-blank-text", "int-float", "bool-number", "mixed-objects"],
)
def test_blanks_equal_each_other_and_numbers_compare_by_value(before: list, after: list) -> None:
    keyed = {"id": ["A", "B", "C"]}
    assert table_changes(pd.DataFrame({**keyed, "cell": before}), pd.DataFrame({**keyed, "cell": after}), ["id"]).empty


def test_a_composite_key_names_the_row_with_its_parts() -> None:
    before = pd.DataFrame(
        {
            "name": ["Ana", "Ana"],
            "start": pd.to_datetime(["2026-01-05", "2026-02-02"]),
            "end": pd.to_datetime(["2026-01-09", "2026-02-06"]),
        }
    )
    after = before.assign(end=pd.to_datetime(["2026-01-12", "2026-02-06"]))
    assert rows(table_changes(before, after, ["name", "start"])) == [
        ("changed", "Ana · 2026-01-05", "end", "2026-01-09", "2026-01-12")
    ]


@pytest.mark.parametrize(
    "key",
    [["name"], ["no such column"], []],
    ids=["duplicate-key", "missing-key", "no-key"],
)
def test_without_a_unique_key_rows_match_by_content(key: list[str]) -> None:
    before = pd.DataFrame({"name": ["Ana", "Ana", "Ben"], "allocation": [1.0, 1.0, 0.5]})
    after = pd.DataFrame({"name": ["Ana", "Ben", "Ben"], "allocation": [1, 0.5, 1.0]})
    changes = table_changes(before, after, key)
    assert sorted(changes["change"]) == ["added", "removed"]  # one "Ana 1" went; "Ben 1" came
    assert set(changes["column"]) == {""}
    if key == ["name"]:
        assert sorted(changes["row"]) == ["Ana", "Ben"]


def test_the_real_backlog_with_twenty_edits_reports_exactly_them() -> None:
    # Timing is not asserted here (bench/, README): 0.05-0.08 s measured on the 2-core machine.
    if not REAL_BACKLOG.exists():
        pytest.skip(f"{REAL_BACKLOG} is not here")
    before = read_backlog(REAL_BACKLOG).table
    assert len(before) == 1680
    after = before.copy()
    rng = np.random.default_rng(7)
    edited = rng.choice(len(before), size=20, replace=False)
    for number, row in enumerate(edited):
        column = ("title", "effort", "description", "status")[number % 4]
        after.loc[row, column] = 99.5 + number if column == "effort" else f"edited {number}"
    changes = table_changes(before, after, ["id"])
    assert len(changes) == 20 and set(changes["change"]) == {"changed"}
    assert set(changes["row"]) == set(before["id"].iloc[edited])


def test_identical_scenarios_give_nothing(sample_backlog: pd.DataFrame, sample_capacity: CapacityTables) -> None:
    assert (
        scenario_table_changes(
            scenario(sample_backlog, sample_capacity), scenario(sample_backlog.copy(), sample_capacity)
        )
        == {}
    )


def test_an_ooo_row_added_shows_under_the_ooo_table(
    sample_backlog: pd.DataFrame, sample_capacity: CapacityTables
) -> None:
    ooo = sample_capacity.ooo
    extra = pd.DataFrame(
        {"name": ["Maya Patel"], "start": [pd.Timestamp("2027-01-04")], "end": [pd.Timestamp("2027-01-06")]}
    )
    more = CapacityTables.from_frames({**sample_capacity.sheets(), "ooo": pd.concat([ooo, extra], ignore_index=True)})
    changes = scenario_table_changes(scenario(sample_backlog, sample_capacity), scenario(sample_backlog, more))
    assert list(changes) == ["ooo"]
    assert rows(changes["ooo"]) == [("added", "Maya Patel · 2027-01-04", "", "", "")]


def test_the_tables_and_keys_are_the_scenarios_own(
    sample_backlog: pd.DataFrame, sample_capacity: CapacityTables
) -> None:
    tables = {"backlog": sample_backlog, **sample_capacity.sheets()}
    assert set(TABLE_KEYS) == set(tables)
    for name, key in TABLE_KEYS.items():
        assert set(key) <= set(tables[name].columns), name
        assert not tables[name].duplicated(list(key)).any(), f"{name}: {key} names two rows alike in the sample"


def test_a_saved_version_against_the_current_one(tmp_path: Path) -> None:
    with Store(tmp_path / "planner.duckdb") as store:
        scenario_id = create_sample(store)
        first = store.load(scenario_id)
        backlog = first.backlog.copy()
        backlog.loc[0, "effort"] = backlog.loc[0, "effort"] + 1
        teams = first.capacity.teams.iloc[1:]  # a team removed: rows below move up in the file
        capacity = replace(first.capacity, teams=teams.assign(source_row=range(2, 2 + len(teams))))
        store.replace_tables(scenario_id, backlog, capacity)
        old, current = store.load_version(scenario_id, 1), store.load(scenario_id)
    assert scenario_table_changes(old, first) == {}
    changes = scenario_table_changes(old, current)
    assert list(changes) == ["backlog", "teams"]
    [(change, row, column, before, after)] = rows(changes["backlog"])
    assert (change, row, column) == ("changed", str(first.backlog.loc[0, "id"]), "effort")
    assert float(after) == float(before) + 1
    assert rows(changes["teams"]) == [("removed", str(first.capacity.teams.loc[0, "team"]), "", "", "")]


# --------------------------------------------------------------------------------------------------
# Properties


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """A frame of every kind of column the planner's tables hold, with blanks, and a unique ``id``."""
    size = draw(st.integers(0, 12))
    cells = st.lists
    floats = st.one_of(st.none(), st.just(float("nan")), st.floats(-1e6, 1e6))
    texts = st.one_of(st.none(), st.just(""), st.just("  "), st.text(alphabet="ab ,·\n", max_size=5))
    dates = st.one_of(st.none(), st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)))
    mixed = st.one_of(
        st.none(), st.integers(-5, 5), st.floats(-5, 5), st.text(alphabet="ab", max_size=3), st.booleans()
    )
    return pd.DataFrame(
        {
            "id": pd.Series(draw(st.permutations(range(size))), dtype="int64"),
            "count": pd.Series(draw(cells(st.integers(-100, 100), min_size=size, max_size=size)), dtype="int64"),
            "number": pd.Series(draw(cells(floats, min_size=size, max_size=size)), dtype="float64"),
            "text": pd.Series(draw(cells(texts, min_size=size, max_size=size)), dtype="string"),
            "date": pd.Series(draw(cells(dates, min_size=size, max_size=size)), dtype="datetime64[ns]"),
            "flag": pd.Series(draw(cells(st.booleans(), min_size=size, max_size=size)), dtype="bool"),
            "mixed": pd.Series(draw(cells(mixed, min_size=size, max_size=size)), dtype="object"),
        }
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), key=st.sampled_from([["id"], ["text"], []]))
def test_a_frame_against_itself_or_its_object_copy_has_no_changes(frame: pd.DataFrame, key: list[str]) -> None:
    assert table_changes(frame, frame, key).empty
    assert table_changes(frame, frame.copy().astype(object), key).empty


def edited(value: object, column: str, number: int) -> object:
    """A value no generated cell of ``column`` equals, nor blank."""
    if column == "count":
        return 1000 + number
    if column == "number":
        return 1e7 + number + 0.5
    if column == "date":
        return pd.Timestamp("2040-01-01") + pd.Timedelta(days=number)
    if column == "flag":
        return not value
    return f"EDIT {number}"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), data=st.data())
def test_k_cell_edits_report_exactly_k_changed_cells(frame: pd.DataFrame, data: st.DataObject) -> None:
    columns = [column for column in frame.columns if column != "id"]
    places = [(row, column) for row in range(len(frame)) for column in columns]
    chosen = data.draw(st.lists(st.sampled_from(places), unique=True, max_size=10) if places else st.just([]))
    after = frame.copy()
    for number, (row, column) in enumerate(chosen):
        after.iloc[row, after.columns.get_loc(column)] = edited(frame[column].iloc[row], column, number)
    changes = table_changes(frame, after, ["id"])
    assert len(changes) == len(chosen)
    assert set(changes["change"]) <= {"changed"}
    assert set(zip(changes["row"], changes["column"])) == {
        (str(frame["id"].iloc[row]), column) for row, column in chosen
    }

"""The scenario store on both backends (a real DuckDB file, a real PostgreSQL schema): round trips,
lifecycle, failures, threads. Tests of what only a file has (its path, its lock, old file formats) use DuckDB."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import sql_rows
from pandas.testing import assert_frame_equal

import planner.store as store_module
import planner.store.scenario_store as scenario_store_module
from planner.errors import PlannerError, ScenarioNotFound, StoreError
from planner.schema import BACKLOG_COLUMNS, CAPACITY_SHEETS, CapacityTables, coerce_table, empty_table
from planner.store import SCHEMA_VERSION, Scenario, Store, default_database_path, is_server_url

ODD_IDS = [
    "007",
    "NA",
    "1e3",
    " spaced ",
    "",
    "null",
    "None",
    "ü💥\n\t",
    '"quoted"',
    "'; DROP TABLE scenarios; --",
]
ODD_HEADERS = [
    "Owner (née)",
    "  spaced header ",
    "a.b[0]",
    "$.x",
    '"; DROP TABLE scenarios; --',
    "extra",
    "scenario_id",
    "position",
    "effort_by_skill",
    "Effort",
    "名前 / 🚀",
    "",
]


# --- builders -------------------------------------------------------------------------------------


def make_backlog(rows: int = 4, efforts_after_effort: bool = True) -> pd.DataFrame:
    """A full-shape backlog with every kind of column and missing values wherever allowed."""
    ids = (["007", "NA", "1e3", " spaced "] * rows)[:rows]
    data: dict[str, object] = {}
    for column, kind in BACKLOG_COLUMNS.items():
        data[column] = _sample(column, kind, rows)
    data["id"] = ids
    frame = coerce_table(pd.DataFrame(data), BACKLOG_COLUMNS)
    efforts = pd.DataFrame(
        {
            "effort:backend": ([1.5, np.nan, 0.0, np.inf] * rows)[:rows],
            "effort:ios dev's": ([np.nan, 2.0, np.nan, 1e-300] * rows)[:rows],
        }
    )
    extras = pd.DataFrame(
        {
            "Owner (née)": pd.array((["Zoë", None, "", "O'Brien"] * rows)[:rows], dtype="string"),
            "名前 / 🚀": pd.array((["火箭", "NA", None, "1e3"] * rows)[:rows], dtype="string"),
        }
    )
    columns = list(frame.columns)
    at = columns.index("effort") + 1
    if efforts_after_effort:
        order = columns[:at] + list(efforts.columns) + columns[at:] + list(extras.columns)
    else:
        order = columns + list(extras.columns) + list(efforts.columns)
    return pd.concat([frame, efforts, extras], axis=1)[order]


def _sample(column: str, kind: str, rows: int) -> list[object]:
    if kind == "text":
        return ([f"{column} ü", None, "", "NA"] * rows)[:rows]
    if kind == "number":
        return ([1.0, np.nan, 0.1, -0.0] * rows)[:rows]
    if kind == "date":
        dates = ["2024-02-29", None, "2024-01-02 10:11:12.123456789", "1700-01-01"]
        return list(pd.to_datetime((dates * rows)[:rows], format="mixed"))
    if kind == "bool":
        return ([True, False] * rows)[:rows]
    return list(range(2, rows + 2))


def make_capacity() -> CapacityTables:
    """All six sheets: filled ones with gaps and an extra column, and empty ones."""
    return CapacityTables.from_frames(
        {
            "people": pd.DataFrame(
                {
                    "name": ["Ana", "Bő", "NA"],
                    "team": ["Core", None, "Core"],
                    "skills": ["backend, ios", "", None],
                    "allocation": [1.0, 0.8, np.nan],
                    "days_per_sprint": [np.nan, 7.5, np.nan],
                    "source_row": [2, 3, 4],
                    "Notes (optional)": ["x", None, "🙂"],
                }
            ),
            "sprints": pd.DataFrame(
                {
                    "sprint": ["S1", "S2"],
                    "start": pd.to_datetime(["2024-01-01", None]),
                    "end": pd.to_datetime(["2024-01-12", "2024-01-26"]),
                    "source_row": [2, 3],
                }
            ),
            "ooo": pd.DataFrame({"name": ["Ana"], "start": pd.to_datetime(["2024-01-03"]), "end": [pd.NaT]}),
            "oncall": pd.DataFrame(
                {
                    "name": ["Bő"],
                    "start": pd.to_datetime(["2024-01-08"]),
                    "end": pd.to_datetime(["2024-01-14"]),
                    "load": [np.nan],
                }
            ),
            "holidays": pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "team": [None], "name": ["New Year"]}),
        }
    )  # no "teams" sheet: it comes back as an empty table


def assert_capacity_equal(actual: CapacityTables, expected: CapacityTables) -> None:
    for sheet, frame in expected.sheets().items():
        assert_frame_equal(actual.sheets()[sheet], frame, obj=f"capacity sheet {sheet}")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "planner.duckdb"


@pytest.fixture
def file_store(db_path: Path):
    with Store(db_path) as opened:
        yield opened


@pytest.fixture
def store(store_target: str | Path):
    with Store(store_target) as opened:
        yield opened


def kept_by(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as ``store`` keeps it: PostgreSQL timestamps hold microseconds, DuckDB's nanoseconds."""
    if not is_server_url(store.location):
        return frame
    dates = [column for column in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[column])]
    return frame.assign(**{column: frame[column].dt.floor("us") for column in dates})


def assert_kept(store: Store, actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """``actual`` (loaded from ``store``) is ``expected`` as the store keeps it."""
    assert_frame_equal(actual, kept_by(store, expected))


def count_rows(store: Store, target: str | Path, table: str) -> int:
    return int(sql_rows(target, f"SELECT count(*) FROM {table}")[0][0])


# --- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("efforts_after_effort", [True, False])
def test_backlog_round_trip_keeps_columns_order_dtypes_and_values(store: Store, efforts_after_effort: bool) -> None:
    backlog = make_backlog(rows=8, efforts_after_effort=efforts_after_effort)
    scenario_id = store.create("Q3", backlog, CapacityTables())
    assert_kept(store, store.load(scenario_id).backlog, backlog)


@pytest.mark.parametrize("value", ODD_IDS + [None])
def test_odd_text_values_come_back_unchanged(store: Store, value: str | None) -> None:
    frame = pd.DataFrame({"id": [value], "title": [value], "Extra col": [value]})
    backlog = coerce_table(frame, BACKLOG_COLUMNS)
    loaded = store.load(store.create("odd", backlog, CapacityTables())).backlog
    assert_kept(store, loaded, backlog)
    if value is not None:
        assert loaded.loc[0, "id"] == value


@pytest.mark.parametrize("header", ODD_HEADERS)
def test_unknown_columns_keep_their_headers(store: Store, header: str) -> None:
    backlog = make_backlog(rows=2)
    backlog[header] = pd.array(["v1", None], dtype="string")
    assert_kept(store, store.load(store.create("headers", backlog, CapacityTables())).backlog, backlog)


@pytest.mark.parametrize("skill", ["backend", "iOS dev's", "a.b", "数据", ""])
def test_effort_skill_columns_round_trip(store: Store, skill: str) -> None:
    frame = pd.DataFrame({"id": ["A", "B"], "title": ["a", "b"], f"effort:{skill}": [3.0, np.nan]})
    backlog = coerce_table(frame, BACKLOG_COLUMNS)
    assert_kept(store, store.load(store.create("skills", backlog, CapacityTables())).backlog, backlog)


def test_partial_backlog_comes_back_as_coerce_table_shapes_it(store: Store) -> None:
    partial = pd.DataFrame({"Notes": ["n"], "title": ["t"], "id": ["1"], "effort": ["2"]})
    loaded = store.load(store.create("partial", partial, CapacityTables())).backlog
    assert_kept(store, loaded, coerce_table(partial, BACKLOG_COLUMNS))


def test_empty_backlog_keeps_its_headers(store: Store) -> None:
    backlog = make_backlog(rows=0)
    loaded = store.load(store.create("empty", backlog, CapacityTables())).backlog
    assert_kept(store, loaded, backlog)
    assert list(loaded.columns) == list(backlog.columns)


def test_capacity_round_trip_all_sheets(store: Store) -> None:
    capacity = make_capacity()
    loaded = store.load(store.create("cap", make_backlog(), capacity)).capacity
    assert_capacity_equal(loaded, capacity)
    assert loaded.teams.empty and list(loaded.teams.columns) == list(CAPACITY_SHEETS["teams"])


def test_empty_capacity_round_trip(store: Store) -> None:
    loaded = store.load(store.create("none", make_backlog(), CapacityTables())).capacity
    for sheet, columns in CAPACITY_SHEETS.items():
        assert_kept(store, loaded.sheets()[sheet], empty_table(columns))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"sprints": 3, "buffer": 0.1, "unit": "points", "solver": None, "strict": True},
        {"weights": {"wsjf": [1, 2.5, {"deep": ["ü", None]}]}, "big": 2**70, "tiny": 1e-300, "": ""},
        {"名前": "🚀", "quote'\"": "a\\b"},
    ],
)
def test_settings_round_trip(store: Store, settings: dict) -> None:
    scenario_id = store.create("s", make_backlog(), CapacityTables(), settings)
    assert store.load(scenario_id).settings == settings
    store.save_settings(scenario_id, {"after": settings})
    assert store.load(scenario_id).settings == {"after": settings}


def test_settings_default_to_empty_and_tuples_come_back_as_lists(store: Store) -> None:
    scenario_id = store.create("s", make_backlog(), CapacityTables())
    assert store.load(scenario_id).settings == {}
    store.save_settings(scenario_id, {"range": (1, 3)})
    assert store.load(scenario_id).settings == {"range": [1, 3]}


@pytest.mark.parametrize("settings", [{"when": pd.Timestamp("2024-01-01")}, {"x": float("nan")}, ["not", "a dict"]])
def test_settings_that_are_not_json_are_refused_and_nothing_saved(store: Store, settings: object) -> None:
    with pytest.raises(StoreError, match="settings"):
        store.create("bad", make_backlog(), CapacityTables(), settings)  # type: ignore[arg-type]
    assert store.list() == []


# --- lifecycle ------------------------------------------------------------------------------------


def test_list_is_newest_updated_first_with_counts(store: Store) -> None:
    first = store.create("first", make_backlog(rows=3), make_capacity())
    second = store.create("second", make_backlog(rows=5), CapacityTables())
    assert [summary.id for summary in store.list()] == [second, first]

    store.rename(first, "first again")
    summaries = store.list()
    assert [(s.id, s.name, s.items, s.people) for s in summaries] == [
        (first, "first again", 3, 3),
        (second, "second", 5, 0),
    ]
    assert summaries[0].updated_at > summaries[0].created_at
    assert summaries[0].updated_at.tzinfo is not None


def test_replace_tables_keeps_name_and_settings_and_bumps_updated_at(store: Store) -> None:
    scenario_id = store.create("keep", make_backlog(rows=2), CapacityTables(), {"buffer": 0.2})
    before = store.load(scenario_id)
    backlog, capacity = make_backlog(rows=6, efforts_after_effort=False), make_capacity()

    store.replace_tables(scenario_id, backlog, capacity)

    after = store.load(scenario_id)
    assert_kept(store, after.backlog, backlog)
    assert_capacity_equal(after.capacity, capacity)
    assert (after.name, after.settings, after.created_at) == ("keep", {"buffer": 0.2}, before.created_at)
    assert after.updated_at > before.updated_at


@pytest.mark.parametrize("name, stored", [("  Plan A  ", "Plan A"), ("Ünïcode 🚀", "Ünïcode 🚀"), ("x", "x")])
def test_names_are_stripped_and_may_repeat(store: Store, name: str, stored: str) -> None:
    one = store.create(name, make_backlog(), CapacityTables())
    two = store.create(name, make_backlog(), CapacityTables())
    assert one != two
    assert store.load(one).name == store.load(two).name == stored
    store.rename(two, f" {name} ")
    assert store.load(two).name == stored


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_empty_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(PlannerError, match="name"):
        store.create(name, make_backlog(), CapacityTables())
    scenario_id = store.create("ok", make_backlog(), CapacityTables())
    with pytest.raises(PlannerError, match="name"):
        store.rename(scenario_id, name)
    with pytest.raises(PlannerError, match="name"):
        store.duplicate(scenario_id, name)
    assert [summary.name for summary in store.list()] == ["ok"]


def test_delete_removes_the_scenario_and_only_it(store: Store) -> None:
    doomed = store.create("doomed", make_backlog(), make_capacity())
    kept = store.create("kept", make_backlog(), make_capacity())
    store.delete(doomed)
    with pytest.raises(ScenarioNotFound):
        store.load(doomed)
    assert [summary.id for summary in store.list()] == [kept]
    assert_kept(store, store.load(kept).backlog, make_backlog())


def test_a_deleted_scenario_waits_in_the_bin_and_comes_back_whole(store: Store) -> None:
    # Issue 11: anyone who reaches the server can delete, so a deletion must be recoverable.
    doomed = store.create("doomed", make_backlog(), make_capacity(), {"unit": "days"})
    store.delete(doomed)
    [binned] = store.binned()
    assert (binned.id, binned.name, binned.items) == (doomed, "doomed", len(make_backlog()))
    assert binned.deleted_at is not None and binned.deleted_at.tzinfo is not None
    for write in (
        lambda: store.rename(doomed, "x"),
        lambda: store.save_settings(doomed, {}),
        lambda: store.replace_tables(doomed, make_backlog(rows=1), CapacityTables()),
        lambda: store.duplicate(doomed),
        lambda: store.delete(doomed),
    ):
        with pytest.raises(ScenarioNotFound):
            write()  # out of reach while in the bin
    store.restore(doomed)
    assert store.binned() == [] and [summary.id for summary in store.list()] == [doomed]
    restored = store.load(doomed)
    assert (restored.name, restored.settings) == ("doomed", {"unit": "days"})
    assert_kept(store, restored.backlog, make_backlog())
    assert_capacity_equal(restored.capacity, make_capacity())
    with pytest.raises(ScenarioNotFound):
        store.restore(doomed)  # not in the bin any more


def test_purge_removes_a_scenario_for_good(store: Store, store_target: str | Path) -> None:
    binned = store.create("binned", make_backlog(), make_capacity())
    live = store.create("live", make_backlog(), make_capacity())
    store.delete(binned)
    store.purge(binned)
    store.purge(live)
    assert store.list() == [] and store.binned() == []
    for missing in (binned, live):
        with pytest.raises(ScenarioNotFound):
            store.restore(missing)
    for table in ["backlog_items", *(f"capacity_{sheet}" for sheet in CAPACITY_SHEETS), "scenario_history"]:
        assert count_rows(store, store_target, table) == 0, table
        if table != "scenario_history":
            assert count_rows(store, store_target, f"{table}_versions") == 0, table


def test_a_file_of_schema_1_gets_the_bin_and_keeps_its_scenarios(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        kept = store.create("kept", make_backlog(), make_capacity())
    with duckdb.connect(str(path)) as connection:  # as a planner before the bin wrote it
        connection.execute("ALTER TABLE scenarios DROP COLUMN deleted_at")
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with Store(path) as store:
        assert [summary.id for summary in store.list()] == [kept]
        store.delete(kept)
        assert [summary.id for summary in store.binned()] == [kept]
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (str(SCHEMA_VERSION),)
        ]


def test_duplicate_is_a_full_and_independent_copy(store: Store) -> None:
    original = store.create("Base", make_backlog(), make_capacity(), {"unit": "days"})
    copy = store.duplicate(original)

    loaded = store.load(copy)
    assert loaded.name == "Base (copy)"
    assert loaded.settings == {"unit": "days"}
    assert_kept(store, loaded.backlog, make_backlog())
    assert_capacity_equal(loaded.capacity, make_capacity())

    store.replace_tables(copy, make_backlog(rows=1), CapacityTables())
    store.save_settings(copy, {"unit": "points"})
    store.rename(copy, "Changed")
    unchanged = store.load(original)
    assert (unchanged.name, unchanged.settings) == ("Base", {"unit": "days"})
    assert_kept(store, unchanged.backlog, make_backlog())
    assert_capacity_equal(unchanged.capacity, make_capacity())

    store.delete(copy)
    assert_kept(store, store.load(original).backlog, make_backlog())


def test_duplicate_with_a_name(store: Store) -> None:
    copy = store.duplicate(store.create("Base", make_backlog(), CapacityTables()), "  Variant B ")
    assert store.load(copy).name == "Variant B"


def test_duplicate_with_settings_makes_the_copy_with_them_in_one_write(store: Store) -> None:
    original = store.create("Base", make_backlog(), make_capacity(), {"unit": "days"})
    copy = store.duplicate(original, "With what-ifs", settings={"unit": "days", "what_if": {"sprints": 2}})
    assert store.load(copy).settings == {"unit": "days", "what_if": {"sprints": 2}}
    assert_kept(store, store.load(copy).backlog, make_backlog())
    assert store.load(original).settings == {"unit": "days"}
    # Settings that cannot be saved: no copy at all (nor one in the bin), and the original as it was.
    with pytest.raises(StoreError, match="JSON"):
        store.duplicate(original, "Broken", settings={"bad": float("nan")})
    assert sorted(summary.name for summary in store.list()) == ["Base", "With what-ifs"]
    assert store.binned() == []


def test_two_scenarios_are_independent(store: Store) -> None:
    one = store.create("one", make_backlog(rows=2), make_capacity(), {"n": 1})
    two = store.create("two", make_backlog(rows=3), CapacityTables(), {"n": 2})
    store.replace_tables(one, make_backlog(rows=1), CapacityTables())
    store.save_settings(one, {"n": 10})
    other = store.load(two)
    assert_kept(store, other.backlog, make_backlog(rows=3))
    assert_capacity_equal(other.capacity, CapacityTables())
    assert other.settings == {"n": 2}


@pytest.mark.parametrize(
    "operation",
    [
        lambda store, missing: store.load(missing),
        lambda store, missing: store.replace_tables(missing, make_backlog(), CapacityTables()),
        lambda store, missing: store.save_settings(missing, {}),
        lambda store, missing: store.rename(missing, "x"),
        lambda store, missing: store.delete(missing),
        lambda store, missing: store.duplicate(missing),
    ],
    ids=["load", "replace_tables", "save_settings", "rename", "delete", "duplicate"],
)
def test_unknown_id_raises_scenario_not_found_naming_it(store: Store, operation) -> None:
    existing = store.create("there", make_backlog(), CapacityTables())
    missing = "no-such-scenario-Zx9"
    with pytest.raises(ScenarioNotFound, match=re.escape(missing)) as raised:
        operation(store, missing)
    assert "list" in str(raised.value)
    assert [summary.id for summary in store.list()] == [existing]


def test_ids_are_unguessable(store: Store) -> None:
    ids = [store.create(f"s{n}", make_backlog(rows=1), CapacityTables()) for n in range(30)]
    ids.append(store.duplicate(ids[0]))
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22,}", scenario_id) for scenario_id in ids)


def test_reopening_the_database_keeps_everything(store_target: str | Path) -> None:
    with Store(store_target) as first:
        scenario_id = first.create("persist", make_backlog(), make_capacity(), {"k": [1]})
        saved = first.load(scenario_id)
    with Store(store_target) as second:
        loaded = second.load(scenario_id)
        assert [summary.id for summary in second.list()] == [scenario_id]
    assert (loaded.name, loaded.settings, loaded.created_at, loaded.updated_at) == (
        saved.name,
        saved.settings,
        saved.created_at,
        saved.updated_at,
    )
    assert_frame_equal(loaded.backlog, saved.backlog)
    assert_capacity_equal(loaded.capacity, saved.capacity)


def test_the_tables_are_queryable_with_sql(db_path: Path) -> None:
    with Store(db_path) as store:
        scenario_id = store.create("sql", make_backlog(rows=2), make_capacity())
    with duckdb.connect(str(db_path)) as connection:
        rows = connection.execute(
            "SELECT id, effort_by_skill['backend'], extra ->> '$.\"Owner (née)\"' "
            "FROM backlog_items WHERE scenario_id = ? ORDER BY position",
            [scenario_id],
        ).fetchall()
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        people = connection.execute("SELECT name FROM capacity_people ORDER BY position").fetchall()
    assert rows == [("007", 1.5, "Zoë"), ("NA", None, None)]
    assert version == [(str(SCHEMA_VERSION),)]
    assert people == [("Ana",), ("Bő",), ("NA",)]


# --- where the file is ----------------------------------------------------------------------------


def test_planner_db_environment_variable_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "from-env" / "scenarios.duckdb"
    monkeypatch.setenv("PLANNER_DB", str(target))
    assert default_database_path() == target
    with Store() as store:
        store.create("env", make_backlog(), CapacityTables())
        assert store.path == target
    assert target.exists()


def test_explicit_path_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLANNER_DB", str(tmp_path / "env.duckdb"))
    with Store(tmp_path / "explicit.duckdb") as store:
        assert store.path == tmp_path / "explicit.duckdb"
    assert not (tmp_path / "env.duckdb").exists()


def test_default_path_is_data_folder_of_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_DB", raising=False)
    repo = Path(store_module.__file__).resolve().parents[2]
    assert default_database_path() == repo / "data" / "planner.duckdb"


# --- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure, expected", [("driver", StoreError), (RuntimeError, RuntimeError)], ids=["driver-error", "other-error"]
)
def test_failed_replace_leaves_the_saved_scenario_intact(
    store: Store, monkeypatch: pytest.MonkeyPatch, failure: object, expected: type[Exception]
) -> None:
    scenario_id = store.create("safe", make_backlog(), make_capacity(), {"v": 1})
    before = store.load(scenario_id)
    _fail_after_first_insert(monkeypatch, driver_error(store) if failure == "driver" else failure)

    with pytest.raises(expected):
        store.replace_tables(scenario_id, make_backlog(rows=1), CapacityTables())

    after = store.load(scenario_id)
    assert_kept(store, after.backlog, before.backlog)
    assert_capacity_equal(after.capacity, before.capacity)
    assert after.updated_at == before.updated_at


def test_failed_create_saves_nothing(store: Store, store_target: str | Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = store.create("kept", make_backlog(), make_capacity())
    _fail_after_first_insert(monkeypatch, driver_error(store))
    with pytest.raises(StoreError, match="Nothing was changed"):
        store.create("half", make_backlog(), make_capacity())
    monkeypatch.undo()
    assert [summary.id for summary in store.list()] == [kept]
    assert sql_rows(store_target, "SELECT count(DISTINCT scenario_id) FROM backlog_items") == [(1,)]
    assert sql_rows(store_target, "SELECT count(*) FROM scenario_history") == [(1,)]


def driver_error(store: Store) -> type[Exception]:
    """The error the store's database driver raises when a disk fills up."""
    if is_server_url(store.location):
        import psycopg

        return psycopg.errors.DiskFull
    return duckdb.IOException


def _fail_after_first_insert(monkeypatch: pytest.MonkeyPatch, failure: type[Exception]) -> None:
    """Let the backlog insert run, then fail on the first capacity sheet: mid-transaction.

    A fresh exception each time: one kept in the parametrisation would keep its traceback, and
    with it the store's cursors, alive until the interpreter exits.
    """
    calls = []

    def insert_then_fail(session, scenario_id, staged):
        for name, table in staged.items():
            calls.append(name)
            if len(calls) > 1:
                raise failure("simulated failure: disk full")
            session.insert_staged(scenario_store_module.TABLES[name], scenario_id, table)

    monkeypatch.setattr(scenario_store_module, "_write_tables", insert_then_fail)


def test_write_conflict_is_retried(file_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB: a write that conflicts with another transaction is run again. (A server queues the
    # writers of one scenario instead: test_store_postgres.)
    store = file_store
    scenario_id = store.create("busy", make_backlog(), CapacityTables(), {"v": 0})
    with duckdb.connect(str(store.path)) as other:  # same process: shares the open database
        other.execute("BEGIN")
        # Like every store write, this one sets updated_at: that is what makes the two conflict.
        other.execute(
            "UPDATE scenarios SET name = 'renamed elsewhere', updated_at = updated_at + INTERVAL 1 SECOND WHERE id = ?",
            [scenario_id],
        )
        # The first attempt conflicts with the open transaction; it commits before the retry.
        monkeypatch.setattr(scenario_store_module, "_backoff", lambda attempt: other.execute("COMMIT"))
        store.save_settings(scenario_id, {"v": 1})
    loaded = store.load(scenario_id)
    assert (loaded.name, loaded.settings) == ("renamed elsewhere", {"v": 1})


def test_persistent_conflict_raises_store_error_and_changes_nothing(
    file_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = file_store
    scenario_id = store.create("busy", make_backlog(), CapacityTables(), {"v": 0})
    monkeypatch.setattr(scenario_store_module, "_backoff", lambda attempt: None)
    with duckdb.connect(str(store.path)) as other:
        other.execute("BEGIN")
        other.execute(
            "UPDATE scenarios SET name = 'held', updated_at = updated_at + INTERVAL 1 SECOND WHERE id = ?",
            [scenario_id],
        )
        with pytest.raises(StoreError, match="same time"):
            store.replace_tables(scenario_id, make_backlog(rows=1), CapacityTables())
        other.execute("ROLLBACK")
    loaded = store.load(scenario_id)
    assert (loaded.name, loaded.settings) == ("busy", {"v": 0})
    assert_kept(store, loaded.backlog, make_backlog())


def test_file_held_by_another_process_gives_a_clear_error(db_path: Path) -> None:
    with Store(db_path) as store:
        store.create("x", make_backlog(), CapacityTables())
    hold_open = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold_open, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="another planner process") as raised:
            Store(db_path)
        assert str(db_path) in str(raised.value)
    finally:
        holder.communicate(input="", timeout=30)


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    Store(db_path).close()
    with duckdb.connect(str(db_path)) as connection:
        newer = str(SCHEMA_VERSION + 1)
        connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [newer])
    with pytest.raises(StoreError, match="newer planner"):
        Store(db_path)


def test_a_file_that_is_not_a_database_gives_a_clear_error(db_path: Path) -> None:
    db_path.write_text("not a database " * 1000)
    with pytest.raises(StoreError, match=re.escape(str(db_path))):
        Store(db_path)


def test_closed_store_refuses_work(db_path: Path) -> None:
    store = Store(db_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list()


@pytest.mark.parametrize(
    "backlog",
    [
        pd.DataFrame([["1", "a", "x"]], columns=["id", "title", "id"]),
        pd.DataFrame({"id": ["1"], 5: ["five"]}),
        "not a frame",
    ],
    ids=["repeated-header", "non-text-header", "not-a-frame"],
)
def test_unsavable_backlogs_are_refused_clearly(store: Store, backlog: object) -> None:
    with pytest.raises(StoreError, match="backlog"):
        store.create("bad", backlog, CapacityTables())  # type: ignore[arg-type]
    assert store.list() == []


# --- threads --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_store_serves_many_threads(store: Store) -> None:
    shared = store.create("shared", make_backlog(), make_capacity())
    errors: list[BaseException] = []
    created: dict[int, str] = {}
    start = threading.Barrier(4)

    def work(worker: int) -> None:
        try:
            start.wait()
            for round_ in range(3):
                backlog = make_backlog(rows=worker + round_ + 1)
                scenario_id = store.create(f"w{worker}", backlog, make_capacity(), {"worker": worker})
                assert_kept(store, store.load(scenario_id).backlog, backlog)
                store.replace_tables(scenario_id, make_backlog(rows=worker + 1), CapacityTables())
                store.save_settings(scenario_id, {"worker": worker, "round": round_})
                copy = store.duplicate(scenario_id)
                store.delete(copy)
                assert_kept(store, store.load(shared).backlog, make_backlog())
                assert len(store.list()) >= 2
                created[worker * 10 + round_] = scenario_id
        except BaseException as error:  # collected: a thread's assertion must fail the test
            errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(store.list()) == 1 + len(created) == 13
    for key, scenario_id in created.items():
        worker, round_ = divmod(key, 10)
        loaded = store.load(scenario_id)
        assert loaded.settings == {"worker": worker, "round": round_}
        assert_kept(store, loaded.backlog, make_backlog(rows=worker + 1))


def test_delete_racing_a_replace_leaves_no_orphan_rows(store: Store, store_target: str | Path) -> None:
    outcomes: list[str] = []
    for _ in range(10):
        scenario_id = store.create("race", make_backlog(rows=0), CapacityTables())
        start = threading.Barrier(2)

        def replace(scenario_id: str, start: threading.Barrier) -> None:
            start.wait()
            try:
                store.replace_tables(scenario_id, make_backlog(rows=50), make_capacity())
                outcomes.append("replaced")
            except ScenarioNotFound:
                outcomes.append("already deleted")

        def delete(scenario_id: str, start: threading.Barrier) -> None:
            start.wait()
            store.purge(scenario_id)

        threads = [threading.Thread(target=work, args=(scenario_id, start)) for work in (replace, delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(outcomes) == 10
    assert store.list() == [] and store.binned() == []
    for table in ["backlog_items", *(f"capacity_{sheet}" for sheet in CAPACITY_SHEETS)]:
        assert count_rows(store, store_target, table) == 0, table


def test_scenario_is_not_comparable_by_value_but_is_frozen(store: Store) -> None:
    scenario = store.load(store.create("frozen", make_backlog(), CapacityTables()))
    assert isinstance(scenario, Scenario)
    with pytest.raises(AttributeError):
        scenario.name = "other"  # type: ignore[misc]
    assert scenario != store.load(scenario.id)  # identity, not an elementwise DataFrame comparison
    assert json.dumps(scenario.settings) == "{}"

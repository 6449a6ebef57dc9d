"""Scenario versions: history, compare-and-set saves, restoring old versions, threads and crashes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from planner.errors import ScenarioNotFound, StoreError, VersionConflict
from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table
from planner.store import SCHEMA_VERSION, Store

REPO = Path(__file__).resolve().parent.parent


def make_backlog(rows: int = 3) -> pd.DataFrame:
    """A small backlog shaped as the store gives it back (canonical columns first, then the rest)."""
    frame = pd.DataFrame(
        {
            "id": [f"B-{n}" for n in range(rows)],
            "title": [f"item {n}" for n in range(rows)],
            "effort": [float(n + 1) for n in range(rows)],
            "effort:backend": [float(n) for n in range(rows)],
            "Notes": [f"note {n}" for n in range(rows)],
        }
    )
    return coerce_table(frame, BACKLOG_COLUMNS)


def make_capacity(people: int = 2) -> CapacityTables:
    return CapacityTables.from_frames(
        {
            "people": pd.DataFrame(
                {"name": [f"P{n}" for n in range(people)], "team": ["Core"] * people, "allocation": [1.0] * people}
            ),
            "sprints": pd.DataFrame(
                {"sprint": ["S1"], "start": pd.to_datetime(["2024-01-01"]), "end": pd.to_datetime(["2024-01-12"])}
            ),
        }
    )


def assert_same_data(actual, expected_backlog: pd.DataFrame, expected_capacity: CapacityTables) -> None:
    assert_frame_equal(actual.backlog, expected_backlog)
    for sheet, frame in expected_capacity.sheets().items():
        assert_frame_equal(actual.capacity.sheets()[sheet], frame, obj=sheet)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "versions.duckdb") as opened:
        yield opened


def test_every_change_adds_one_version_and_a_history_row(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), {"a": 1}, author="ana")
    assert store.load(sid).version == 1
    assert store.save_settings(sid, {"a": 2}, author="bo") == 2
    assert store.replace_tables(sid, make_backlog(5), make_capacity(3), author="cy") == 3
    assert store.rename(sid, "plan B") == 4
    assert store.delete(sid, author="ana") == 5
    assert [summary.version for summary in store.binned()] == [5]
    assert store.restore(sid, author="bo") == 6
    assert store.load(sid).version == 6
    assert [summary.version for summary in store.list()] == [6]
    history = store.history(sid)
    assert [(info.version, info.author, info.what) for info in history] == [
        (1, "ana", "created"),
        (2, "bo", "settings saved"),
        (3, "cy", "data replaced"),
        (4, "", "renamed to plan B"),
        (5, "ana", "binned"),
        (6, "bo", "restored"),
    ]
    times = [info.changed_at for info in history]
    assert times == sorted(times)
    copy = store.duplicate(sid)
    assert store.load(copy).version == 1
    assert [info.what for info in store.history(copy)] == ["created as a copy"]
    store.purge(sid)
    with pytest.raises(ScenarioNotFound):
        store.history(sid)


def test_load_version_shows_each_old_version(store: Store) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.save_settings(sid, {"a": 2})
    store.replace_tables(sid, make_backlog(6), make_capacity(4))
    store.rename(sid, "renamed")
    first = store.load_version(sid, 1)
    assert (first.version, first.name, first.settings) == (1, "plan", {"a": 1})
    assert_same_data(first, make_backlog(2), make_capacity(1))
    second = store.load_version(sid, 2)
    assert second.settings == {"a": 2}
    assert_same_data(second, make_backlog(2), make_capacity(1))  # settings-only change: same data
    fourth = store.load_version(sid, 4)
    assert (fourth.name, fourth.settings) == ("renamed", {"a": 2})
    assert_same_data(fourth, make_backlog(6), make_capacity(4))
    with pytest.raises(StoreError, match="no version 9"):
        store.load_version(sid, 9)
    with pytest.raises(ScenarioNotFound):
        store.load_version("nope", 1)


def test_restore_version_writes_the_old_settings_and_data_as_a_new_version(store: Store) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.replace_tables(sid, make_backlog(7), make_capacity(5))
    store.save_settings(sid, {"a": 3})
    assert store.restore_version(sid, 1, author="ana") == 4
    now = store.load(sid)
    assert (now.version, now.settings, now.name) == (4, {"a": 1}, "plan")
    assert_same_data(now, make_backlog(2), make_capacity(1))
    assert store.history(sid)[-1].what == "restored version 1"
    assert store.history(sid)[-1].author == "ana"
    assert_same_data(store.load_version(sid, 4), make_backlog(2), make_capacity(1))
    # Changing the data again after a restore snapshots anew; the old versions stay intact.
    store.replace_tables(sid, make_backlog(4), make_capacity(2))
    assert_same_data(store.load_version(sid, 2), make_backlog(7), make_capacity(5))
    assert_same_data(store.load(sid), make_backlog(4), make_capacity(2))
    with pytest.raises(VersionConflict):
        store.restore_version(sid, 2, based_on=3)


def test_a_stale_based_on_raises_version_conflict_and_writes_nothing(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), {"a": 1})
    loaded = store.load(sid)
    store.save_settings(sid, {"a": 2}, based_on=loaded.version, author="bo")
    store.rename(sid, "other", author="cy")
    before = store.load(sid)
    attempts = [
        lambda: store.save_settings(sid, {"a": 99}, based_on=loaded.version),
        lambda: store.replace_tables(sid, make_backlog(9), make_capacity(9), based_on=loaded.version),
        lambda: store.rename(sid, "lost", based_on=loaded.version),
        lambda: store.delete(sid, based_on=loaded.version),
        lambda: store.restore_version(sid, 1, based_on=loaded.version),
    ]
    for attempt in attempts:
        with pytest.raises(VersionConflict) as caught:
            attempt()
        assert (caught.value.current, caught.value.based_on) == (3, 1)
        assert caught.value.changes == ("settings saved (by bo)", "renamed to other (by cy)")
        assert "version 3" in str(caught.value)
    after = store.load(sid)
    assert (after.version, after.name, after.settings) == (3, "other", {"a": 2})
    assert_same_data(after, before.backlog, before.capacity)
    assert len(store.history(sid)) == 3
    assert store.save_settings(sid, {"a": 4}, based_on=3) == 4  # the current version is accepted


def test_a_schema_2_file_gets_versions_and_keeps_its_scenarios(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        kept = store.create("kept", make_backlog(3), make_capacity(2), {"a": 1})
        binned = store.create("binned", make_backlog(1), make_capacity(1), {"b": 2})
        store.delete(binned)
    tables = ["backlog_items", *(f"capacity_{sheet}" for sheet in CapacityTables().sheets())]
    with duckdb.connect(str(path)) as connection:  # as a planner before versions wrote it
        connection.execute("DROP TABLE scenario_history")
        for table in tables:
            connection.execute(f"DROP TABLE {table}_versions")
        connection.execute("ALTER TABLE scenarios DROP COLUMN version")
        connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Store(path) as store:
        assert [(s.id, s.version) for s in store.list()] == [(kept, 1)]
        assert [(s.id, s.version) for s in store.binned()] == [(binned, 1)]
        for sid in (kept, binned):
            assert [(info.version, info.what) for info in store.history(sid)] == [(1, "versions started")]
        loaded = store.load(kept)
        assert (loaded.version, loaded.settings) == (1, {"a": 1})
        assert_same_data(loaded, make_backlog(3), make_capacity(2))
        assert_same_data(store.load_version(kept, 1), make_backlog(3), make_capacity(2))
        assert store.restore(binned) == 2
        assert store.save_settings(kept, {"a": 5}, based_on=1) == 2
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (str(SCHEMA_VERSION),)
        ]


@pytest.mark.slow
def test_concurrent_versioned_edits_lose_nothing(store: Store) -> None:
    # 16 x 50 took minutes: load() rebuilds eight tables (~60 ms) and under contention every
    # acknowledged edit costs about one load per thread. 4 x 20 keeps it near 15 s on 2 cores.
    threads, edits = 4, 20
    sid = store.create("busy", make_backlog(), make_capacity(), {})
    acknowledged: list[tuple[int, int, int]] = []  # (thread, edit, version)
    conflicts = [0] * threads
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(me: int) -> None:
        try:
            for edit in range(edits):
                while True:
                    loaded = store.load(sid)
                    settings = {**loaded.settings, f"t{me}": edit}
                    try:
                        version = store.save_settings(sid, settings, based_on=loaded.version, author=f"t{me}")
                    except VersionConflict:
                        conflicts[me] += 1
                        continue
                    except StoreError as error:  # DuckDB write conflicts outlasted the retries: nothing saved
                        assert "at the same time" in str(error)
                        continue
                    with lock:
                        acknowledged.append((me, edit, version))
                    break
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    history = store.history(sid)
    n = len(history)
    assert [info.version for info in history] == list(range(1, n + 1))
    assert n - 1 == len(acknowledged) == threads * edits
    assert sum(conflicts) > 0
    by_version = {info.version: info for info in history}
    for me, _, version in acknowledged:
        assert by_version[version].author == f"t{me}"
        assert by_version[version].what == "settings saved"
    final = store.load(sid)
    assert final.version == n
    assert final.settings == {f"t{me}": edits - 1 for me in range(threads)}
    for me, edit, version in random.Random(1).sample(acknowledged, 20):
        assert store.load_version(sid, version).settings[f"t{me}"] == edit


CHILD = textwrap.dedent(
    """
    import sys

    import pandas as pd

    from planner.errors import VersionConflict
    from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table
    from planner.store import Store

    path, sid = sys.argv[1], sys.argv[2]
    store = Store(path)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        loaded = store.load(sid)
        try:
            if n % 4 == 0:
                backlog = pd.DataFrame({"id": [str(k) for k in range(n % 7)], "effort": [float(n)] * (n % 7)})
                version = store.replace_tables(sid, backlog, CapacityTables(), based_on=loaded.version)
            else:
                settings = {**loaded.settings, "n": n}
                version = store.save_settings(sid, settings, based_on=loaded.version, author="child")
        except VersionConflict:
            continue
        print(f"ack {version} {n}", flush=True)
    """
)


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_leaves_a_consistent_history(tmp_path: Path) -> None:
    path = tmp_path / "crash.duckdb"
    with Store(path) as store:
        sid = store.create("crashy", make_backlog(), make_capacity(), {})
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rng = random.Random(14)
    acknowledged: dict[int, int] = {}  # version -> n, over all runs
    for _ in range(10):
        child = subprocess.Popen(
            [sys.executable, str(script), str(path), sid], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        acks = [line.split() for line in child.stdout.read().splitlines() if line.startswith("ack ")]
        child.stdout.close()
        for _, version, n in acks:
            acknowledged[int(version)] = int(n)
        with Store(path) as store:  # opens after the kill: DuckDB replays its log
            history = store.history(sid)
            versions = [info.version for info in history]
            assert versions == list(range(1, len(versions) + 1))
            assert store.load(sid).version == versions[-1]
            assert set(acknowledged) <= set(versions)
            last = store.load_version(sid, versions[-1])  # the newest version's data is readable
            assert last.version == versions[-1]
            for version, n in acknowledged.items():
                what = history[version - 1].what
                if what == "settings saved":
                    assert store.load_version(sid, version).settings["n"] == n, what
    assert acknowledged, "the child never saved: the kills came too early"

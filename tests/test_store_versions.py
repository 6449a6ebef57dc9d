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
def store(store_target: str | Path):
    """A store on each backend: a DuckDB file, then a PostgreSQL schema."""
    with Store(store_target) as opened:
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


STALE_WRITES = {
    "save_settings": (lambda store, sid: store.save_settings(sid, {"a": 99}, based_on=1), "the setting a"),
    "replace_tables": (
        lambda store, sid: store.replace_tables(sid, make_backlog(9), make_capacity(9), based_on=1),
        "the backlog and capacity tables",
    ),
    "rename": (lambda store, sid: store.rename(sid, "lost", based_on=1), "the name"),
    "delete": (lambda store, sid: store.delete(sid, based_on=1), None),
    "restore_version": (lambda store, sid: store.restore_version(sid, 1, based_on=1), None),
}


@pytest.mark.parametrize("write", list(STALE_WRITES))
def test_a_stale_based_on_conflicts_when_the_same_part_changed_and_writes_nothing(store: Store, write: str) -> None:
    attempt, both = STALE_WRITES[write]
    sid = store.create("plan", make_backlog(), make_capacity(), {"a": 1})
    assert store.state(sid).version == 1
    # Since version 1: the setting a, the name and the tables all changed.
    store.save_settings(sid, {"a": 2}, based_on=1, author="bo")
    store.rename(sid, "other", author="cy")
    store.replace_tables(sid, make_backlog(4), make_capacity(3), author="di")
    before = store.load(sid)
    with pytest.raises(VersionConflict) as caught:
        attempt(store, sid)
    assert (caught.value.current, caught.value.based_on) == (4, 1)
    assert caught.value.changes == ("settings saved (by bo)", "renamed to other (by cy)", "data replaced (by di)")
    assert "version 4" in str(caught.value)
    if both is None:  # delete and restore_version stay strict: any change since conflicts
        assert "Both changed" not in str(caught.value)
    else:
        assert f"Both changed: {both}." in str(caught.value)
    after = store.load(sid)
    assert (after.version, after.name, after.settings) == (4, "other", {"a": 2})
    assert_same_data(after, before.backlog, before.capacity)
    assert len(store.history(sid)) == 4
    assert store.changes_since(sid, 4) == []
    assert store.save_settings(sid, {"a": 4}, based_on=4) == 5  # the current version is accepted


@pytest.mark.parametrize(
    "change_since",
    [
        pytest.param(lambda store, sid: store.save_settings(sid, {"a": 1, "b": 2}), id="settings"),
        pytest.param(lambda store, sid: store.rename(sid, "other"), id="name"),
        pytest.param(lambda store, sid: store.replace_tables(sid, make_backlog(5), make_capacity(1)), id="tables"),
    ],
)
@pytest.mark.parametrize("strict", ["delete", "restore_version"])
def test_delete_and_restore_version_conflict_on_any_change_since(store: Store, change_since, strict: str) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), {"a": 1})
    change_since(store, sid)
    with pytest.raises(VersionConflict) as caught:
        STALE_WRITES[strict][0](store, sid)
    assert (caught.value.current, caught.value.based_on) == (2, 1)
    assert store.state(sid).version == 2
    assert store.state(sid).deleted_at is None


def test_a_stale_restore_conflicts_on_any_change_since(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), {})
    store.delete(sid)  # 2
    binned_at = store.state(sid)
    assert binned_at.deleted_at is not None
    with pytest.raises(VersionConflict):
        store.restore(sid, based_on=1)
    assert store.restore(sid, based_on=2) == 3


def pins(*items: str, sprint: str = "S1") -> dict:
    return {"what_if": {"overrides": {item: {"pin": sprint, "moscow": None} for item in items}}, "rule": "wsjf"}


def test_two_sessions_pinning_different_items_both_land(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), pins())
    first, second = store.state(sid), store.state(sid)  # two sessions open version 1
    assert store.save_settings(sid, pins("X"), based_on=first.version, author="ana") == 2
    assert store.save_settings(sid, pins("Y", sprint="S2"), based_on=second.version, author="bo") == 3
    now = store.state(sid)
    assert now.settings["what_if"]["overrides"] == {
        "X": {"pin": "S1", "moscow": None},
        "Y": {"pin": "S2", "moscow": None},
    }
    assert now.settings["rule"] == "wsjf"
    assert store.load_version(sid, 3).settings == now.settings
    assert store.load_version(sid, 2).settings == pins("X")
    assert [(info.version, info.author) for info in store.changes_since(sid, 1)] == [(2, "ana"), (3, "bo")]
    # A session still on version 1 that already holds both pins (the same change) and changes the
    # rule: it lands too.
    assert store.save_settings(sid, {**now.settings, "rule": "value"}, based_on=1) == 4
    assert store.state(sid).settings == {**now.settings, "rule": "value"}


def test_the_same_change_from_two_sessions_is_no_clash_and_no_second_version(store: Store) -> None:
    # Also a save button's callback run twice: the history shows the change once, so an undo after it
    # undoes the change, not an empty copy of it.
    sid = store.create("plan", make_backlog(), make_capacity(), pins())
    assert store.save_settings(sid, pins("X"), based_on=1) == 2
    assert store.save_settings(sid, pins("X"), based_on=1) == 2
    assert store.save_settings(sid, pins("X"), based_on=2) == 2  # nothing to change on the newest either
    assert store.state(sid).settings == pins("X")
    assert [info.version for info in store.history(sid)] == [1, 2]
    assert store.save_settings(sid, pins("Y"), based_on=2) == 3  # a real change still is a version


@pytest.mark.parametrize(
    ("mine", "theirs", "path"),
    [
        pytest.param(pins("X", sprint="S2"), pins("X", sprint="S3"), "what_if.overrides.X.pin", id="both-repin"),
        pytest.param(pins(), pins("X", sprint="S3"), "what_if.overrides.X", id="unpin-against-repin"),
    ],
)
def test_a_clashing_pin_names_the_setting_and_writes_nothing(store: Store, mine: dict, theirs: dict, path: str) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), pins("X"))
    store.save_settings(sid, theirs, based_on=1, author="ana")
    with pytest.raises(VersionConflict) as caught:
        store.save_settings(sid, mine, based_on=1, author="bo")
    assert f"Both changed: the setting {path}." in str(caught.value)
    assert (caught.value.current, caught.value.based_on, caught.value.changes) == (2, 1, ("settings saved (by ana)",))
    state = store.state(sid)
    assert (state.version, state.settings) == (2, theirs)
    assert len(store.history(sid)) == 2


def test_a_stale_settings_save_after_new_tables_lands_and_keeps_the_tables(store: Store) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.replace_tables(sid, make_backlog(5), make_capacity(3), author="ana")
    assert store.save_settings(sid, {"a": 2}, based_on=1, author="bo") == 3
    now = store.load(sid)
    assert (now.version, now.settings, now.name) == (3, {"a": 2}, "plan")
    assert_same_data(now, make_backlog(5), make_capacity(3))
    assert_same_data(store.load_version(sid, 3), make_backlog(5), make_capacity(3))


def test_stale_new_tables_after_a_settings_save_land_and_keep_the_settings(store: Store) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.save_settings(sid, {"a": 2}, author="ana")
    store.rename(sid, "renamed", author="cy")
    assert store.replace_tables(sid, make_backlog(6), make_capacity(2), based_on=1, author="bo") == 4
    now = store.load(sid)
    assert (now.version, now.settings, now.name) == (4, {"a": 2}, "renamed")
    assert_same_data(now, make_backlog(6), make_capacity(2))
    assert_same_data(store.load_version(sid, 3), make_backlog(2), make_capacity(1))
    assert store.history(sid)[-1].what == "data replaced"


@pytest.mark.parametrize(
    "change_since",
    [
        pytest.param(lambda store, sid: store.save_settings(sid, {"a": 2}), id="settings"),
        pytest.param(lambda store, sid: store.replace_tables(sid, make_backlog(5), make_capacity(3)), id="tables"),
    ],
)
def test_a_stale_rename_after_other_changes_lands(store: Store, change_since) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    change_since(store, sid)
    before = store.load(sid)
    assert store.rename(sid, "new name", based_on=1, author="bo") == 3
    now = store.load(sid)
    assert (now.name, now.settings) == ("new name", before.settings)
    assert_same_data(now, before.backlog, before.capacity)
    assert [info.what for info in store.changes_since(sid, 2)] == ["renamed to new name"]


def test_state_is_the_row_without_tables_and_changes_since_lists_what_came_after(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity(), {"a": 1}, author="ana")
    store.save_settings(sid, {"a": 2}, author="bo")
    store.rename(sid, "renamed", author="cy")
    state = store.state(sid)
    assert (state.id, state.name, state.version, state.settings, state.deleted_at) == (
        sid,
        "renamed",
        3,
        {"a": 2},
        None,
    )
    assert state.updated_at == store.load(sid).updated_at
    assert [(info.version, info.author, info.what) for info in store.changes_since(sid, 1)] == [
        (2, "bo", "settings saved"),
        (3, "cy", "renamed to renamed"),
    ]
    assert store.changes_since(sid, 3) == []
    assert [info.version for info in store.changes_since(sid, 0)] == [1, 2, 3]
    store.delete(sid)
    binned = store.state(sid)  # the bin's scenarios too, marked
    assert binned.version == 4 and binned.deleted_at is not None
    with pytest.raises(ScenarioNotFound):
        store.state("nope")
    with pytest.raises(ScenarioNotFound):
        store.changes_since("nope", 1)


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
    # The issue's acceptance: 16 threads x 50 edits of one scenario through the public API. Half the
    # threads change a setting of their own (their saves merge, never conflict), half one shared
    # setting (theirs conflict and retry on a fresh state). state() is the cheap load (no tables).
    # Measured on the 2-core box: 16-18 s (28 s with other test runs loading it).
    threads, edits = 16, 50
    own = range(threads // 2)  # thread t<n> edits the setting "t<n>"; the others edit "shared"
    sid = store.create("busy", make_backlog(), make_capacity(), {"shared": None})
    acknowledged: list[tuple[int, int, int]] = []  # (thread, edit, version)
    conflicts = [0] * threads
    errors: list[BaseException] = []
    lock = threading.Lock()

    def value(me: int, edit: int) -> str:
        return f"t{me}-e{edit}"

    def work(me: int) -> None:
        key = f"t{me}" if me in own else "shared"
        try:
            for edit in range(edits):
                while True:
                    state = store.state(sid)
                    settings = {**state.settings, key: value(me, edit)}
                    try:
                        version = store.save_settings(sid, settings, based_on=state.version, author=f"t{me}")
                    except VersionConflict as conflict:
                        assert key == "shared", f"t{me} edits its own setting, yet: {conflict}"
                        assert "Both changed: the setting shared." in str(conflict)
                        conflicts[me] += 1
                        continue
                    # Any other StoreError (a DuckDB "try again") fails the thread: the write lock
                    # serialises the writes of one process.
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
    assert not errors, errors[:3]
    history = store.history(sid)
    n = len(history)
    assert [info.version for info in history] == list(range(1, n + 1))
    assert n - 1 == len(acknowledged) == threads * edits == 800
    assert len({version for _, _, version in acknowledged}) == len(acknowledged)
    assert sum(conflicts[me] for me in own) == 0
    assert sum(conflicts) > 0
    by_version = {info.version: info for info in history}
    for me, _, version in acknowledged:
        assert by_version[version].author == f"t{me}"
        assert by_version[version].what == "settings saved"
    final = store.state(sid)
    assert final.version == n
    last_shared = max((version, me, edit) for me, edit, version in acknowledged if me not in own)
    expected = {f"t{me}": value(me, edits - 1) for me in own}
    assert final.settings == {"shared": value(last_shared[1], last_shared[2]), **expected}
    assert store.load(sid).settings == final.settings
    for me, edit, version in random.Random(1).sample(acknowledged, 20):
        assert store.load_version(sid, version).settings[f"t{me}" if me in own else "shared"] == value(me, edit)


WRITERS = textwrap.dedent(
    """
    import os
    import signal
    import sys

    import pandas as pd

    from planner.errors import VersionConflict
    from planner.schema import CapacityTables
    from planner.store import Store


    def write(path, sid, acks):
        store = Store(path)
        with open(acks, "a", buffering=1) as out:  # a line reaches the system when written: a kill keeps it
            out.write("ready\\n")
            n = 0
            while True:
                n += 1
                state = store.state(sid)  # version and settings: all either write needs
                try:
                    if n % 4 == 0:
                        backlog = pd.DataFrame({"id": [str(k) for k in range(n % 7)], "effort": [float(n)] * (n % 7)})
                        version = store.replace_tables(sid, backlog, CapacityTables(), based_on=state.version)
                    else:
                        settings = {**state.settings, "n": n, "writer": os.getpid()}  # never a save of no change
                        version = store.save_settings(sid, settings, based_on=state.version, author="child")
                except VersionConflict:
                    continue
                out.write(f"ack {version} {n}\\n")


    # Imports once, then forks one writer per line read (the file its acknowledgements go to) and
    # prints the writer's pid: a writer starts in milliseconds, not a new interpreter's second.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed writers are reaped by the system
    path, sid = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                write(path, sid, line.strip())
            finally:
                os._exit(1)
        print(pid, flush=True)
    """
)


def _wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_leaves_a_consistent_history(
    tmp_path: Path, store_target: str | Path
) -> None:
    # 30 SIGKILLs at random moments of a writing process; after each, the database reopens with every
    # acknowledged version intact (DuckDB replays its log; PostgreSQL rolls back the dead session's
    # transaction). The writers are forked from one process that imported the planner once (a new
    # interpreter per writer made this test 33 s, mostly start-up).
    kills = 30
    path = store_target
    with Store(path) as store:
        sid = store.create("crashy", make_backlog(), make_capacity(), {})
    script = tmp_path / "writers.py"
    script.write_text(WRITERS)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rng = random.Random(14)
    acknowledged: dict[int, int] = {}  # version -> n, over all runs
    writers = subprocess.Popen(
        [sys.executable, str(script), str(path), sid],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert writers.stdin is not None and writers.stdout is not None
    try:
        assert writers.stdout.readline().strip() == "ready"
        for kill in range(kills):
            acks = tmp_path / f"acks-{kill}.txt"
            writers.stdin.write(f"{acks}\n")
            writers.stdin.flush()
            pid = int(writers.stdout.readline())
            _wait_for(lambda acks=acks: acks.exists() and acks.read_text().startswith("ready"), 60, "no writer started")
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(pid, signal.SIGKILL)
            _wait_for(lambda pid=pid: _gone(pid), 30, "the killed writer is still there")
            lines = acks.read_text().splitlines()
            new = {
                int(version): int(n) for _, version, n in (line.split() for line in lines if line.startswith("ack "))
            }
            assert not set(new) & set(acknowledged), "a version was acknowledged twice"
            acknowledged.update(new)
            with Store(path) as store:  # opens after the kill
                history = store.history(sid)
                versions = [info.version for info in history]
                assert versions == list(range(1, len(versions) + 1))
                state = store.state(sid)
                assert state.version == versions[-1]
                assert set(acknowledged) <= set(versions)
                last = store.load_version(sid, versions[-1])  # the newest version's data is readable
                assert last.version == versions[-1]
                assert last.settings == state.settings
                # This run's last acknowledged version at once; every one of them after the last kill
                # (each load_version rebuilds the tables, ~45 ms).
                checked = sorted(new)[-1:]
                for version in checked:
                    _assert_written_by_a_writer(store, sid, history, version, acknowledged[version])
    finally:
        writers.stdin.close()
        writers.kill()
        writers.wait()
    assert len(acknowledged) > kills, "the writers hardly ever saved: the kills came too early"
    with Store(path) as store:  # after all the kills: every acknowledged version, whole
        history = store.history(sid)
        for version, n in sorted(acknowledged.items()):
            _assert_written_by_a_writer(store, sid, history, version, n)


def _assert_written_by_a_writer(store: Store, sid: str, history: list, version: int, n: int) -> None:
    """Version ``version`` holds the ``n``-th write of the crash test's writers, whole."""
    what = history[version - 1].what
    if what == "settings saved":
        assert history[version - 1].author == "child"
        assert store.load_version(sid, version).settings["n"] == n, what
    else:
        assert what == "data replaced"
        backlog = store.load_version(sid, version).backlog
        assert len(backlog) == n % 7
        assert backlog["effort"].tolist() == [float(n)] * (n % 7)


def test_two_renames_to_the_same_name_do_not_clash(store: Store) -> None:
    sid = store.create("plan", make_backlog(), make_capacity())
    store.rename(sid, "Q3", author="ana")
    assert store.rename(sid, "Q3", based_on=1, author="bo") == 3
    with pytest.raises(VersionConflict, match="Both changed: the name"):
        store.rename(sid, "Q4", based_on=1)
    assert store.state(sid).name == "Q3"


def test_an_undo_made_twice_writes_once_and_the_second_is_told_it_is_done(store: Store) -> None:
    # An undo button clicked twice (seen in CI: the same click's callback ran again, based on the
    # version the page had shown), or two people undoing the same change at once.
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.save_settings(sid, {"a": 2}, author="ana")
    assert store.restore_version(sid, 1, based_on=2, author="ana") == 3
    assert store.restore_version(sid, 1, based_on=2, author="bo") == 3  # version 1 is back already: nothing written
    assert [info.what for info in store.history(sid)] == ["created", "settings saved", "restored version 1"]
    assert store.load(sid).settings == {"a": 1}
    # Anything else changed since is still a conflict: the restore would overwrite it.
    store.save_settings(sid, {"a": 5}, based_on=3, author="cy")
    with pytest.raises(VersionConflict):
        store.restore_version(sid, 1, based_on=2, author="bo")
    assert store.load(sid).settings == {"a": 5}


def test_restoring_a_version_brings_back_its_name_and_undoes_a_rename(store: Store) -> None:
    sid = store.create("plan", make_backlog(2), make_capacity(1), {"a": 1})
    store.rename(sid, "Q3", author="ana")
    assert store.restore_version(sid, 1, based_on=2) == 3  # undo: the version before the current one
    now = store.load(sid)
    assert (now.name, now.settings) == ("plan", {"a": 1})
    assert_same_data(now, make_backlog(2), make_capacity(1))
    store.replace_tables(sid, make_backlog(5), make_capacity(3))
    store.restore_version(sid, 3)  # tables of another data version come back too
    assert_same_data(store.load(sid), make_backlog(2), make_capacity(1))

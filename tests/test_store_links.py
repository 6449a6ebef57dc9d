"""Scenario links (edit and view tokens), and the bin emptying itself after BIN_DAYS days."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import sql_rows
from test_store_versions import assert_same_data, make_backlog, make_capacity

import planner.store.scenario_store as scenario_store_module
from planner.errors import ScenarioNotFound
from planner.store import BIN_DAYS, SCHEMA_VERSION, ScenarioLinks, Store, is_link_token


@pytest.fixture
def store(store_target: str | Path):
    """A store on each backend: a DuckDB file, then a PostgreSQL schema."""
    with Store(store_target) as opened:
        yield opened


def new_scenario(store: Store, name: str = "plan") -> str:
    return store.create(name, make_backlog(), make_capacity(), {"a": 1})


def link_rows(target: str | Path, scenario_id: str) -> list[tuple]:
    return sql_rows(
        target,
        "SELECT token, kind, revoked_at IS NOT NULL FROM scenario_links WHERE scenario_id = ? ORDER BY created_at",
        [scenario_id],
    )


def test_links_are_made_on_first_use_and_stay_the_same(tmp_path: Path) -> None:
    path = tmp_path / "links.duckdb"
    with Store(path) as store:
        sid = new_scenario(store)
        other = new_scenario(store, "other")
        version = store.state(sid).version
        links = store.links(sid)
        assert isinstance(links, ScenarioLinks)
        assert links.edit != links.view
        assert is_link_token(links.edit) and is_link_token(links.view)
        assert len(links.edit) == len(links.view) == 32
        assert store.links(sid) == links
        assert store.state(sid).version == version  # a link is not a change of the scenario
        other_links = store.links(other)
        assert {other_links.edit, other_links.view}.isdisjoint({links.edit, links.view})
        assert store.open_link(links.edit) == (sid, "edit")
        assert store.open_link(links.view) == (sid, "view")
        assert store.open_link(other_links.view) == (other, "view")
    assert sorted(kind for _, kind, _ in link_rows(path, sid)) == ["edit", "view"]
    with Store(path) as store:  # the file reopened: the same links
        assert store.links(sid) == links
        assert store.open_link(links.edit) == (sid, "edit")
    assert len(link_rows(path, sid)) == 2


def test_a_link_opens_the_scenario_after_other_changes(store: Store) -> None:
    sid = new_scenario(store)
    links = store.links(sid)
    store.save_settings(sid, {"a": 2})
    store.rename(sid, "renamed")
    store.replace_tables(sid, make_backlog(5), make_capacity(1))
    assert store.links(sid) == links
    assert store.open_link(links.edit) == (sid, "edit")


def test_rotating_revokes_the_old_links_and_the_new_ones_work(store: Store, store_target: str | Path) -> None:
    sid = new_scenario(store)
    old = store.links(sid)
    new = store.rotate_links(sid)
    assert {new.edit, new.view}.isdisjoint({old.edit, old.view})
    assert is_link_token(new.edit) and is_link_token(new.view) and new.edit != new.view
    for token in (old.edit, old.view):
        with pytest.raises(ScenarioNotFound):
            store.open_link(token)
    assert store.open_link(new.edit) == (sid, "edit")
    assert store.open_link(new.view) == (sid, "view")
    assert store.links(sid) == new
    newest = store.rotate_links(sid)
    with pytest.raises(ScenarioNotFound):
        store.open_link(new.view)
    assert store.open_link(newest.view) == (sid, "view")
    path = store_target
    store.close()
    rows = link_rows(path, sid)
    assert len(rows) == 6  # revoked links are kept, marked
    assert sorted((token, kind) for token, kind, revoked in rows if not revoked) == sorted(
        [(newest.edit, "edit"), (newest.view, "view")]
    )


def test_rotating_before_any_link_makes_them(store: Store) -> None:
    sid = new_scenario(store)
    made = store.rotate_links(sid)
    assert store.links(sid) == made
    assert store.open_link(made.edit) == (sid, "edit")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("' OR 1=1 --", id="sql"),
        pytest.param("' OR '1'='1' -- " + "a" * 16, id="sql-32-chars"),
        pytest.param("a" * 5000, id="5000-chars"),
        pytest.param(None, id="None"),
        pytest.param("", id="empty"),
        pytest.param("None", id="None-text"),
        pytest.param("null", id="null"),
        pytest.param(b"a" * 32, id="bytes"),
        pytest.param(12345, id="number"),
        pytest.param("a" * 31, id="31-chars"),
        pytest.param("a" * 33, id="33-chars"),
        pytest.param("a" * 32 + "\n", id="trailing-newline"),
        pytest.param(" " + "a" * 31, id="leading-space"),
        pytest.param("a" * 31 + "%", id="percent"),
        pytest.param("a" * 31 + "é", id="non-ascii"),
        pytest.param("a" * 32, id="well-formed-unknown"),
    ],
)
def test_malformed_and_unknown_tokens_are_not_found(store: Store, token: object) -> None:
    sid = new_scenario(store)
    store.links(sid)
    with pytest.raises(ScenarioNotFound, match="No scenario at this link"):
        store.open_link(token)  # type: ignore[arg-type]
    assert is_link_token(token) == (token == "a" * 32)


def test_a_link_of_a_similar_token_is_not_found(store: Store) -> None:
    links = store.links(new_scenario(store))
    for token in (links.edit.upper() if links.edit.upper() != links.edit else links.edit.lower(), links.edit[::-1]):
        if token != links.edit and token != links.view:
            with pytest.raises(ScenarioNotFound):
                store.open_link(token)


def test_a_binned_scenarios_links_are_not_found_until_it_is_restored(store: Store) -> None:
    sid = new_scenario(store)
    links = store.links(sid)
    store.delete(sid)
    for token in (links.edit, links.view):
        with pytest.raises(ScenarioNotFound):
            store.open_link(token)
    with pytest.raises(ScenarioNotFound):
        store.links(sid)
    with pytest.raises(ScenarioNotFound):
        store.rotate_links(sid)
    store.restore(sid)
    assert store.open_link(links.edit) == (sid, "edit")
    assert store.links(sid) == links


def test_purge_removes_the_links(store: Store, store_target: str | Path) -> None:
    sid = new_scenario(store)
    kept = new_scenario(store, "kept")
    links, kept_links = store.links(sid), store.links(kept)
    store.rotate_links(sid)
    store.purge(sid)
    with pytest.raises(ScenarioNotFound):
        store.open_link(links.edit)
    with pytest.raises(ScenarioNotFound):
        store.links(sid)
    assert store.open_link(kept_links.view) == (kept, "view")
    path = store_target
    store.close()
    assert link_rows(path, sid) == []
    assert len(link_rows(path, kept)) == 2


def test_purge_expired_removes_only_scenarios_in_the_bin_too_long(store: Store, store_target: str | Path) -> None:
    old = new_scenario(store, "old")
    recent = new_scenario(store, "recent")
    alive = new_scenario(store, "alive")
    old_links, recent_links = store.links(old), store.links(recent)
    store.delete(old)
    store.delete(recent)
    deleted = {summary.id: summary.deleted_at for summary in store.binned()}
    assert deleted[old] < deleted[recent]
    assert store.purge_expired() == []  # nothing has been in the bin for 30 days yet
    assert store.purge_expired(now=deleted[old] + timedelta(days=BIN_DAYS)) == []  # exactly 30 days: kept
    # Later than 30 days after the old deletion, exactly 30 days after the recent one.
    assert store.purge_expired(now=deleted[recent] + timedelta(days=BIN_DAYS)) == [old]
    assert [summary.id for summary in store.binned()] == [recent]
    with pytest.raises(ScenarioNotFound):
        store.history(old)
    with pytest.raises(ScenarioNotFound):
        store.state(old)
    assert store.purge_expired(now=deleted[recent] + timedelta(days=BIN_DAYS)) == []
    store.restore(recent)
    assert store.open_link(recent_links.edit) == (recent, "edit")
    assert [summary.id for summary in store.list()] == [recent, alive]  # restored: changed last
    far_future = datetime.now(UTC) + timedelta(days=10 * BIN_DAYS)
    assert store.purge_expired(now=far_future) == []  # nothing in the bin: nothing goes
    assert {summary.id for summary in store.list()} == {recent, alive}
    path = store_target
    store.close()
    assert link_rows(path, old) == []
    with Store(path) as reopened:
        with pytest.raises(ScenarioNotFound):
            reopened.open_link(old_links.edit)


def test_purge_expired_returns_every_expired_id_oldest_first(store: Store) -> None:
    ids = [new_scenario(store, f"s{n}") for n in range(3)]
    for sid in ids:
        store.delete(sid)
    later = datetime.now(UTC) + timedelta(days=BIN_DAYS + 1)
    assert store.purge_expired(now=later) == ids
    assert store.binned() == []
    assert store.purge_expired(now=later) == []


def test_a_schema_3_file_gets_links(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        kept = store.create("kept", make_backlog(3), make_capacity(2), {"a": 1})
        store.save_settings(kept, {"a": 2})
        binned = new_scenario(store, "binned")
        store.delete(binned)
    with duckdb.connect(str(path)) as connection:  # as a planner before links wrote it
        connection.execute("DROP TABLE scenario_links")
        connection.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with Store(path) as store:
        assert [(s.id, s.version) for s in store.list()] == [(kept, 2)]
        assert store.state(kept).settings == {"a": 2}
        assert_same_data(store.load(kept), make_backlog(3), make_capacity(2))
        links = store.links(kept)
        assert store.open_link(links.edit) == (kept, "edit")
        assert store.open_link(links.view) == (kept, "view")
        assert store.restore(binned) == 3
        assert store.open_link(store.links(binned).view) == (binned, "view")
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (str(SCHEMA_VERSION),)
        ]
    with Store(path) as store:
        assert store.links(kept) == links


def test_reading_or_replacing_links_is_not_a_change_of_the_scenario(store: Store) -> None:
    first = store.create("a", make_backlog(), make_capacity())
    second = store.create("b", make_backlog(), make_capacity())
    before = store.state(first)
    store.links(first)
    store.rotate_links(first)
    assert [s.id for s in store.list()] == [second, first]  # still most recently changed first
    after = store.state(first)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)


# --- plans made once, whichever process asks --------------------------------------------------------


def test_a_plan_is_claimed_once_until_kept_or_expired(store: Store) -> None:
    sid = new_scenario(store)
    assert store.claim_plan(sid, 1, "digest", seconds=30)
    assert not store.claim_plan(sid, 1, "digest", seconds=30)  # another asker: wait for it
    assert store.claim_plan(sid, 1, "other inputs", seconds=30)
    assert store.claim_plan(sid, 1, "quick", seconds=0)
    assert store.claim_plan(sid, 1, "quick", seconds=30)  # the first claim expired at once
    store.keep_plan(sid, 1, "kept", "{}")
    assert not store.claim_plan(sid, 1, "kept", seconds=30)  # kept: nothing to make
    assert store.state(sid).version == 1  # claims are no change of the scenario


def test_two_askers_of_one_plan_share_one_solve(store: Store, store_target: str | Path) -> None:
    # Two app processes on a server are two stores; on a file, the sessions of one process share one.
    sid = new_scenario(store)
    other = Store(store_target) if isinstance(store_target, str) else store
    made: list[int] = []
    results: list[str] = []
    start = threading.Barrier(2)

    def make() -> str:
        made.append(1)
        time.sleep(0.6)
        return '{"plan": 1}'

    def ask(asker: Store) -> None:
        start.wait()
        results.append(asker.plan_once(sid, 1, "digest", make, seconds=20))

    try:
        threads = [threading.Thread(target=ask, args=(asker,)) for asker in (store, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if other is not store:
            other.close()
    assert made == [1]
    assert results == ['{"plan": 1}', '{"plan": 1}']


def test_a_failed_solve_lets_the_next_asker_make_the_plan(store: Store) -> None:
    sid = new_scenario(store)

    def fail() -> str:
        raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError, match="solver crashed"):
        store.plan_once(sid, 1, "digest", fail, seconds=60)
    started = time.monotonic()
    assert store.plan_once(sid, 1, "digest", lambda: '{"plan": 2}', seconds=60) == '{"plan": 2}'
    assert time.monotonic() - started < 5  # not the failed claim's 60 s


def test_a_plan_made_ahead_of_anyone_never_waits_for_another_maker(store: Store) -> None:
    # The app's plans a slider step ahead run on the server's queue: waiting there for another
    # process's solve would hold up the plans people are waiting for.
    sid = new_scenario(store)
    made: list[str] = []

    def make() -> str:
        made.append("made")
        return '{"plan": 3}'

    assert store.claim_plan(sid, 1, "being made", seconds=60)  # another process is making it
    started = time.monotonic()
    assert store.plan_unless_claimed(sid, 1, "being made", make, seconds=60) is None
    assert time.monotonic() - started < 5 and made == []
    assert store.plan_unless_claimed(sid, 1, "digest", make, seconds=60) == '{"plan": 3}'  # made and kept
    assert store.kept_plan(sid, 1, "digest") == '{"plan": 3}' and made == ["made"]
    assert store.plan_unless_claimed(sid, 1, "digest", make, seconds=60) == '{"plan": 3}' and made == ["made"]

    def stopped() -> str:
        raise RuntimeError("withdrawn")

    with pytest.raises(RuntimeError, match="withdrawn"):
        store.plan_unless_claimed(sid, 1, "stopped", stopped, seconds=60)
    assert store.claim_plan(sid, 1, "stopped", seconds=60)  # its claim was let go at once


def test_scenario_writes_counts_changes_of_scenarios_not_kept_plans_or_links(store: Store) -> None:
    # The app reads the scenario list once a run, and again once this count has grown.
    before = store.scenario_writes
    sid = new_scenario(store)
    store.rename(sid, "renamed")
    assert store.scenario_writes == before + 2
    store.links(sid)
    store.rotate_links(sid)
    store.keep_plan(sid, 2, "inputs", "{}")
    assert store.claim_plan(sid, 2, "other inputs", seconds=5.0)
    store.list()
    assert store.scenario_writes == before + 2
    store.delete(sid)
    assert store.scenario_writes == before + 3


def test_a_versions_own_plan_is_never_trimmed(store: Store, store_target: str | Path, monkeypatch) -> None:
    # Beyond PLANS_KEPT plans of a scenario the oldest go, but not a lasting one (a version's own plan):
    # made again, a plan a time limit stopped could differ.
    monkeypatch.setattr(scenario_store_module, "PLANS_KEPT", 3)
    sid = new_scenario(store)
    store.keep_plan(sid, 1, "own", '{"own": 1}', lasting=True)
    store.keep_plan(sid, 1, "promoted", '{"promoted": 1}')
    store.keep_plan(sid, 1, "promoted", '{"ignored": 1}', lasting=True)  # asked for as its own plan later
    for position in range(6):
        store.keep_plan(sid, 1, f"slider {position}", "{}")
    kept = {
        inputs for (inputs,) in sql_rows(store_target, "SELECT inputs FROM scenario_plans WHERE scenario_id = ?", [sid])
    }
    assert kept == {"own", "promoted", "slider 3", "slider 4", "slider 5"}
    assert store.kept_plan(sid, 1, "own") == '{"own": 1}'
    assert store.kept_plan(sid, 1, "promoted") == '{"promoted": 1}'  # the first plan kept stays the plan


def test_a_schema_5_store_gets_lasting_plans(store_target: str | Path) -> None:
    with Store(store_target) as store:
        sid = new_scenario(store)
        store.keep_plan(sid, 1, "before", '{"before": 1}')
    # As a planner before lasting plans wrote it.
    sql_rows(store_target, "ALTER TABLE scenario_plans DROP COLUMN lasting")
    sql_rows(store_target, "UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Store(store_target) as store:
        assert store.kept_plan(sid, 1, "before") == '{"before": 1}'
        store.keep_plan(sid, 1, "own", "{}", lasting=True)
    assert sql_rows(store_target, "SELECT inputs, lasting FROM scenario_plans ORDER BY inputs") == [
        ("before", False),
        ("own", True),
    ]
    assert sql_rows(store_target, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]

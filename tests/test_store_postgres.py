"""What only the server backend has: several processes on one PostgreSQL database.

The shared store suite (test_store*.py) runs on both backends; these tests are about processes and
server behaviour: writers of one scenario queueing on its row, whole-transaction retries, four
processes editing one scenario, replicas starting together, and the messages of a server that is
not there.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from conftest import sql_rows, with_search_path
from psycopg import sql as pg_sql
from test_store_versions import make_backlog, make_capacity

from planner.errors import StoreError
from planner.sample import SAMPLE_NAME, ensure_sample
from planner.schema import CapacityTables
from planner.store import SCHEMA_VERSION, Store
from planner.store.postgres_server import search_path_schemas

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(postgres_url: str):
    with Store(postgres_url) as opened:
        yield opened


def test_writers_of_one_scenario_queue_for_it_instead_of_being_refused(store: Store, postgres_url: str) -> None:
    sid = store.create("held", make_backlog(), make_capacity(), {"v": 0})
    version = store.state(sid).version
    outcome: list[object] = []
    with psycopg.connect(postgres_url) as other:  # another process's transaction holding the scenario row
        other.execute("SELECT version FROM scenarios WHERE id = %s FOR UPDATE", [sid])
        writer = threading.Thread(target=lambda: outcome.append(store.rename(sid, "renamed", based_on=version)))
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive() and outcome == []  # waiting for the row, not refused
        other.rollback()
    writer.join(timeout=10)
    assert outcome == [version + 1]
    assert store.state(sid).name == "renamed"


def test_a_serialization_failure_is_run_again_as_a_whole_transaction(store: Store) -> None:
    calls: list[int] = []

    def action(session) -> str:
        calls.append(len(calls) + 1)
        session.run("CREATE TEMP TABLE IF NOT EXISTS attempt_seen (n INT)")
        session.run("INSERT INTO attempt_seen VALUES (?)", [len(calls)])
        if len(calls) == 1:  # a real server error, as a concurrent update would raise it
            session.run("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure'; END $$")
        return "done"

    assert store._transaction("test the retry", action) == "done"
    assert calls == [1, 2]


def test_a_stale_write_on_another_process_is_a_conflict_not_an_overwrite(store: Store, postgres_url: str) -> None:
    sid = store.create("two offices", make_backlog(), make_capacity(), {"pins": {}})
    with Store(postgres_url) as elsewhere:  # another replica's store: its own pool of connections
        seen = elsewhere.state(sid)
        store.save_settings(sid, {"pins": {"A-1": "S1"}}, based_on=seen.version, author="here")
        with pytest.raises(Exception, match="Both changed: the setting pins"):
            elsewhere.save_settings(sid, {"pins": {"A-1": "S2"}}, based_on=seen.version, author="there")
        assert elsewhere.state(sid).settings == {"pins": {"A-1": "S1"}}


EDITOR = textwrap.dedent(
    """
    import sys

    from planner.errors import VersionConflict
    from planner.store import Store

    url, sid, me, edits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = Store(url)
    print("ready", flush=True)
    sys.stdin.readline()  # all processes start editing together
    for edit in range(edits):
        key = "shared" if edit % 5 == 0 else f"p{me}"
        while True:
            state = store.state(sid)
            settings = {**state.settings, key: f"p{me}-e{edit}"}
            try:
                version = store.save_settings(sid, settings, based_on=state.version, author=f"p{me}")
            except VersionConflict:
                print("conflict", flush=True)
                continue
            print(f"ack {version} {me} {edit} {key}", flush=True)
            break
    store.close()
    """
)


@pytest.mark.slow
def test_four_processes_times_fifty_edits_lose_nothing(store: Store, postgres_url: str, tmp_path: Path) -> None:
    # The acceptance: 4 processes x 50 edits of one scenario through the library. Each edits
    # a setting of its own (saves merge) and, every fifth edit, one shared setting (real conflicts,
    # reported and re-applied on the fresh state).
    processes, edits = 4, 50
    sid = store.create("busy", make_backlog(), make_capacity(), {"shared": None})
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    children = [
        subprocess.Popen(
            [sys.executable, str(script), postgres_url, sid, str(me), str(edits)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        for me in range(processes)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=300)[0] for child in children]
    assert [child.returncode for child in children] == [0] * processes, outputs

    acknowledged = [line.split()[1:] for text in outputs for line in text.splitlines() if line.startswith("ack ")]
    conflicts = sum(text.count("conflict") for text in outputs)
    assert len(acknowledged) == processes * edits == 200
    history = store.history(sid)
    assert [info.version for info in history] == list(range(1, len(history) + 1))  # no gaps
    assert len(history) - 1 == len(acknowledged)  # every acknowledged edit is a version, nothing more
    by_version = {info.version: info for info in history}
    for version, me, edit, key in acknowledged:
        assert by_version[int(version)].author == f"p{me}"
        assert store.load_version(sid, int(version)).settings[key] == f"p{me}-e{edit}"
    final = store.state(sid).settings
    assert {key: final[key] for key in final if key != "shared"} == {
        f"p{me}": f"p{me}-e{edits - 1}" for me in range(processes)
    }
    assert conflicts > 0  # the shared setting did clash, and was re-applied


@contextmanager
def replicas_started_together(url: str, count: int) -> Iterator[list[Store]]:
    """``count`` stores opened on ``url`` at one moment, each then saving the sample as the app's first start does."""
    stores: list[Store] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def start_replica() -> None:
        try:
            start.wait()
            opened = Store(url)
            stores.append(opened)
            ensure_sample(opened)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start_replica) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert not errors, errors
        yield stores
    finally:
        for opened in stores:
            opened.close()


def test_replicas_starting_together_make_the_schema_and_the_sample_once(postgres_url: str) -> None:
    with replicas_started_together(postgres_url, 4) as stores:
        assert [summary.name for summary in stores[0].list()] == [SAMPLE_NAME]
        assert sql_rows(postgres_url, "SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]


@pytest.fixture
def unmade_schema(postgres_server: str):
    """The name of a schema that does not exist yet (dropped after the test, if made)."""
    schema = f"PlannerNew_{secrets.token_hex(4)}"  # mixed case: the URL quotes it, so it is kept as written
    yield schema
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(pg_sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pg_sql.Identifier(schema)))


def test_a_schema_named_in_the_url_is_made_on_first_use_by_replicas_starting_together(
    postgres_server: str, unmade_schema: str
) -> None:
    url = with_search_path(postgres_server, urllib.parse.quote(f'"{unmade_schema}"'))
    with replicas_started_together(url, 3) as stores:
        assert [summary.name for summary in stores[0].list()] == [SAMPLE_NAME]
        made = sql_rows(
            postgres_server,
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?",
            [unmade_schema],
        )
        assert made == [(unmade_schema,)]


def test_a_url_naming_no_schema_to_keep_scenarios_in_says_how_to_name_one(postgres_server: str) -> None:
    with pytest.raises(StoreError, match=r"no schema to keep the scenarios in.*search_path"):
        Store(with_search_path(postgres_server, urllib.parse.quote('"$user"')))


@pytest.mark.parametrize(
    ("setting", "names"),
    [
        ("planner", ["planner"]),
        ('"$user", public', ["$user", "public"]),
        ('Planner, "Mixed Case", "with ""quote"""', ["planner", "Mixed Case", 'with "quote"']),
        ("", []),
    ],
)
def test_search_path_settings_are_read_as_postgresql_names_them(setting: str, names: list[str]) -> None:
    assert search_path_schemas(setting) == names


def test_a_newer_schema_on_the_server_is_refused(store: Store, postgres_url: str) -> None:
    store.close()
    sql_rows(postgres_url, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer planner"):
        Store(postgres_url)


def test_a_server_that_is_not_there_is_named_without_its_password() -> None:
    started = time.monotonic()
    with pytest.raises(StoreError) as raised:
        Store("postgresql://planner:s3cret-pw@127.0.0.1:1/plans")
    message = str(raised.value)
    assert "postgresql://planner@127.0.0.1:1/plans" in message and "PLANNER_DB" in message
    assert "s3cret" not in message
    assert time.monotonic() - started < 10


def test_a_nul_character_is_refused_naming_row_and_column(store: Store) -> None:
    backlog = pd.DataFrame({"id": ["A-1", "A-2"], "title": ["fine", "bad\x00title"], "effort": [1.0, 2.0]})
    with pytest.raises(StoreError, match=r"NUL character.*row 2, column 'title'"):
        store.create("nul", backlog, CapacityTables())
    assert store.list() == []

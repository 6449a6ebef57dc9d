"""The scenario store: create, load, list, change and delete scenarios, with versions, links and a bin.

Every write is one transaction; a failed write leaves the database as it was. One ``Store`` serves
all threads of a process. The backend is a DuckDB file (the default, no server) or a PostgreSQL
database (``PLANNER_DB=postgresql://...``, several app processes on one database); both give the same
guarantees: versions, compare-and-set, history, restore, links and the bin behave alike.
"""

from __future__ import annotations

import builtins
import itertools
import json
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from planner.errors import ScenarioNotFound, StoreError, VersionConflict
from planner.schema import CapacityTables
from planner.store import statements as sql
from planner.store.backend import Backend, Session
from planner.store.duckdb_file import DuckDBFile
from planner.store.records import (
    BIN_DAYS,
    DATABASE_ENV,
    LINK_KINDS,
    PLANS_KEPT,
    SCHEMA_VERSION,
    Scenario,
    ScenarioLinks,
    ScenarioState,
    ScenarioSummary,
    VersionInfo,
    database_target,
    is_link_token,
    is_server_url,
)
from planner.store.tables import TABLES, Staged, columns_json, scenario_from_rows, stage_all, utc
from planner.store.versions import (
    Clashes,
    check,
    clean_author,
    clean_label,
    clean_name,
    data_clashes,
    merged_settings,
    name_clashes,
    not_found,
    record,
    require,
    same_content,
    same_json,
    settings_json,
    version_row,
)

__all__ = ["Store"]

_T = TypeVar("_T")
_NOW = object()  # in a versioned write's parameters: the time of the write
_CLAIM_POLL_SECONDS = 0.2  # how often a session waiting for another's plan looks for it


def _backoff(attempt: int) -> None:
    """Wait a little before retrying; jitter keeps two conflicting writers from retrying in step."""
    time.sleep(0.02 * attempt + random.uniform(0, 0.02))


def _write_tables(session: Session, scenario_id: str, staged: Mapping[str, Staged]) -> None:
    for name, table in staged.items():
        session.insert_staged(TABLES[name], scenario_id, table)


def _open_backend(target: str | Path) -> Backend:
    if isinstance(target, str) and is_server_url(target):
        try:
            from planner.store.postgres_server import PostgresServer
        except ImportError as error:
            raise StoreError(
                f"{DATABASE_ENV} names a PostgreSQL server, but its driver is not installed: run "
                f"pip install -e '.[postgres]' (psycopg 3 and its pool), or unset {DATABASE_ENV} to use the "
                f"embedded DuckDB file. ({error})"
            ) from error
        return PostgresServer(target.strip())
    return DuckDBFile(Path(target).expanduser())


class Store:
    """The scenario database: create, load, list, change and delete scenarios.

    Open one per process and share it between threads (the app keeps it in ``st.cache_resource``).
    Every method raises :class:`StoreError` when the database cannot be read or written and
    :class:`ScenarioNotFound` for an unknown id; a failed write changes nothing.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        """Open the database (creating the file, its folder or the tables when missing).

        ``path``: a DuckDB file or a ``postgresql://`` URL; it wins over ``$PLANNER_DB``, which wins
        over ``data/planner.duckdb`` in the repo.
        """
        self._backend = _open_backend(path if path is not None else database_target())
        self._lock = threading.Lock()
        self._closed = False
        # Where the backend asks for it, writes of this process go one at a time: DuckDB would let two
        # threads' writes to one scenario collide and refuse one ("try again"), which a meeting should
        # never see. A server orders writers by row locks instead.
        self._write_lock = threading.Lock()
        self._last_stamp = datetime.min
        self._write_counter = itertools.count(1)  # next() is atomic: writers on any thread
        self._writes = 0
        try:
            self._transaction("prepare the scenario tables", self._ensure_schema)
        except BaseException:
            self.close()
            raise

    @property
    def path(self) -> Path:
        """The DuckDB file this store reads and writes (a store on a server has none: StoreError)."""
        if isinstance(self._backend, DuckDBFile):
            return self._backend.path
        raise StoreError(f"This store keeps its scenarios on a server ({self._backend.description}), not in a file.")

    @property
    def scenario_writes(self) -> int:
        """How many changes of scenarios this store has committed (kept plans and links are not):
        a caller's earlier read of the list may be stale once it grows.

        Only this process's writes: another process's show at the caller's next read.
        """
        return self._writes

    @property
    def location(self) -> str:
        """Where the scenarios live, for messages: the file, or the server without its password."""
        return self._backend.description

    # -- lifecycle --

    def _ensure_schema(self, session: Session) -> None:
        session.serialise("planner schema")  # replicas starting together create it once
        for statement in sql.schema_sql(self._backend.column_types):
            session.run(statement)
        found = session.rows(sql.SELECT_SCHEMA_VERSION)
        if not found:
            session.run(sql.INSERT_SCHEMA_VERSION, [str(SCHEMA_VERSION)])
            return
        version = int(found[0][0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The scenario database {self.location} was written by a newer planner (schema version "
                f"{version}, this one knows {SCHEMA_VERSION}). Upgrade the planner, or set "
                f"{DATABASE_ENV} to a different database."
            )
        for step in range(version, SCHEMA_VERSION):
            for statement in self._backend.migrations[step]:
                session.run(statement)
        if version < SCHEMA_VERSION:
            session.run(sql.UPDATE_SCHEMA_VERSION, [str(SCHEMA_VERSION)])

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards. Closing twice is fine."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing --

    def _now(self) -> datetime:
        """Naive UTC now, strictly later than any stamp this store gave, so list order is stable."""
        with self._lock:
            now = datetime.now(UTC).replace(tzinfo=None)
            self._last_stamp = max(now, self._last_stamp + timedelta(microseconds=1))
            return self._last_stamp

    def _transaction(
        self, what: str, action: Callable[[Session], _T], *, write: bool = True, of_scenarios: bool = True
    ) -> _T:
        """Run ``action`` in one transaction, retrying it whole after a conflict.

        Any failure rolls back explicitly (the session closes in ``finally``), and COMMIT is only
        reached after ``action`` succeeded: after a "Conflict on update!" DuckDB may accept a COMMIT
        and silently drop the writes. Reads run side by side with writes.
        """
        serialised = write and self._backend.serialise_writes
        with self._write_lock if serialised else nullcontext():
            result = self._attempts(what, action, write=write)
        if write and of_scenarios:
            self._writes = next(self._write_counter)
        return result

    def _attempts(self, what: str, action: Callable[[Session], _T], *, write: bool) -> _T:
        errors = self._backend.errors()
        attempts = self._backend.attempts
        for attempt in range(1, attempts + 1):
            if self._closed:
                raise StoreError(f"The scenario store for {self.location} is closed; open a new Store.")
            try:
                with self._backend.session(write=write) as session:
                    result = action(session)
                    session.commit()
                return result
            except errors as error:
                if not self._backend.is_conflict(error):
                    raise self._backend.failure(what, error) from error
                if attempt == attempts:
                    raise StoreError(
                        f"Could not {what}: the same scenario was being changed at the same time "
                        f"({attempts} tries). Nothing was changed; try again."
                    ) from error
                _backoff(attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- scenarios --

    def create(
        self,
        name: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        settings: dict | None = None,
        *,
        author: str = "",
    ) -> str:
        """Save a new scenario (version 1) and return its id (random, 22 URL-safe characters).

        The tables are stored as ``planner.schema.coerce_table`` shapes them; a backlog with every
        canonical column keeps its own column order.
        """
        created = self._create(name, backlog, capacity, settings, author=author, only_first=False)
        assert created is not None  # only a first scenario can be skipped
        return created

    def create_first(
        self,
        name: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        settings: dict | None = None,
        *,
        author: str = "",
    ) -> str | None:
        """:meth:`create`, only when no scenario is saved (the bin aside); its id, or None when one is.

        Check and save are one transaction: app processes starting together on one server save one.
        """
        return self._create(name, backlog, capacity, settings, author=author, only_first=True)

    def _create(
        self,
        name: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        settings: dict | None,
        *,
        author: str,
        only_first: bool,
    ) -> str | None:
        cleaned = clean_name(name)
        who = clean_author(author)
        staged = stage_all(backlog, capacity)
        settings_text = settings_json(settings)
        scenario_id = secrets.token_urlsafe(16)

        def write(session: Session) -> str | None:
            if only_first:
                session.serialise("planner first scenario")
                if session.rows(sql.ANY_LIVE_SCENARIO):
                    return None
            now = self._now()
            row = [scenario_id, cleaned, settings_text, columns_json(staged), now, now]
            session.run(sql.INSERT_SCENARIO, row)
            _write_tables(session, scenario_id, staged)
            record(session, scenario_id, now, who, "created", bump=False, snapshot=True)
            return scenario_id

        return self._transaction(f"save the new scenario {cleaned!r}", write)

    def replace_tables(
        self,
        scenario_id: str,
        backlog: pd.DataFrame,
        capacity: CapacityTables,
        *,
        based_on: int | None = None,
        author: str = "",
        settings: dict | None = None,
        what: str = "data replaced",
    ) -> int:
        """Replace a scenario's backlog and capacity; its name stays. Returns the new version.

        ``settings``: the scenario's settings after the change (those of ``based_on``, changed), saved
        in the same version as in :meth:`save_settings`; None keeps them. ``what`` is for the history.

        With ``based_on`` (the version the change was made to), a scenario whose tables changed since
        raises :class:`VersionConflict` and nothing is written (settings or a name changed since do
        not clash); without it the last save wins.
        """
        staged = stage_all(backlog, capacity)
        who = clean_author(author)
        mine = None if settings is None else json.loads(settings_json(settings))
        label = clean_label(what)

        def write(session: Session) -> int:
            check(session, scenario_id, based_on, clashes=data_clashes)
            now = self._now()
            if mine is not None:
                merged = settings_json(merged_settings(session, scenario_id, based_on, mine))
                session.run(sql.UPDATE_SETTINGS, [merged, now, scenario_id])
            columns = columns_json(staged)
            require(session.changed(sql.UPDATE_COLUMNS, [columns, now, scenario_id]), scenario_id)
            for table in TABLES.values():
                session.run(table.delete_sql(), [scenario_id])
            _write_tables(session, scenario_id, staged)
            return record(session, scenario_id, now, who, label, snapshot=True)

        return self._transaction("save the scenario's tables", write)

    def save_settings(
        self,
        scenario_id: str,
        settings: dict,
        *,
        based_on: int | None = None,
        author: str = "",
        what: str = "settings saved",
    ) -> int:
        """Replace a scenario's settings (any JSON data: tuples come back as lists); returns the new version.

        With ``based_on`` (the version whose settings were changed into ``settings``), changes saved
        since are kept: the two are merged setting by setting (:mod:`planner.settings_merge`), and
        only a setting both changed raises :class:`VersionConflict`. Without it the last save wins.
        ``what`` says what changed, in the history. A save that changes nothing (the same change
        saved twice: a button's callback run again, two people making the same change) writes no
        version and returns the current one.
        """
        mine = json.loads(settings_json(settings))
        who = clean_author(author)
        label = clean_label(what)

        def write(session: Session) -> int:
            merged = merged_settings(session, scenario_id, based_on, mine)
            version, _name, current, _columns = session.rows(sql.SELECT_CURRENT, [scenario_id])[0]
            if same_json(merged, current):
                return int(version)
            now = self._now()
            require(session.changed(sql.UPDATE_SETTINGS, [settings_json(merged), now, scenario_id]), scenario_id)
            return record(session, scenario_id, now, who, label)

        return self._transaction("save the scenario's settings", write)

    def rename(self, scenario_id: str, name: str, *, based_on: int | None = None, author: str = "") -> int:
        """Give a scenario a new name (surrounding spaces dropped; names may repeat); returns the new version.

        With ``based_on``, only a rename since clashes.
        """
        cleaned = clean_name(name)
        who = clean_author(author)

        return self._versioned(
            scenario_id,
            based_on,
            who,
            "rename the scenario",
            f"renamed to {cleaned}",
            sql.UPDATE_NAME,
            [cleaned, _NOW],
            clashes=name_clashes(cleaned),
        )

    def delete(self, scenario_id: str, *, based_on: int | None = None, author: str = "") -> int:
        """Move a scenario to the bin: it leaves :meth:`list` and every use, whole, until :meth:`restore`.

        Anyone who can reach the server can delete, so a deletion is recoverable (:meth:`binned`);
        only :meth:`purge` removes a scenario for good. Binning is a new version, which is returned.
        """
        who = clean_author(author)

        return self._versioned(
            scenario_id, based_on, who, "move the scenario to the bin", "binned", sql.TO_BIN, [_NOW, _NOW]
        )

    def restore(self, scenario_id: str, *, based_on: int | None = None, author: str = "") -> int:
        """Bring a scenario back from the bin, as it was when it was deleted; returns the new version."""
        who = clean_author(author)

        return self._versioned(
            scenario_id, based_on, who, "restore the scenario", "restored", sql.FROM_BIN, [_NOW], in_bin=True
        )

    def _versioned(
        self,
        scenario_id: str,
        based_on: int | None,
        who: str,
        what: str,
        label: str,
        update: str,
        values: builtins.list[Any],
        *,
        in_bin: bool = False,
        clashes: Clashes | None = None,
    ) -> int:
        """One versioned write of the scenario's row, in one transaction: check ``based_on``, run
        ``update``, record the new version as ``label`` by ``who``; returns the new version.

        ``update``'s parameters are ``values`` (the write's time wherever they hold :data:`_NOW`), then
        the scenario id. ``what`` names the write in a failure's message.
        """

        def write(session: Session) -> int:
            check(session, scenario_id, based_on, in_bin=in_bin, clashes=clashes)
            now = self._now()
            parameters = [now if value is _NOW else value for value in values]
            require(session.changed(update, [*parameters, scenario_id]), scenario_id)
            return record(session, scenario_id, now, who, label)

        return self._transaction(what, write)

    def purge(self, scenario_id: str) -> None:
        """Remove a scenario (in the bin or not), all its tables and its history for good."""

        def write(session: Session) -> None:
            require(session.changed(sql.TOUCH_ANY_SCENARIO, [self._now(), scenario_id]), scenario_id)
            for table in TABLES.values():
                session.run(table.delete_sql(), [scenario_id])
                session.run(table.delete_snapshots_sql(), [scenario_id])
            session.run(sql.DELETE_HISTORY, [scenario_id])
            session.run(sql.DELETE_LINKS, [scenario_id])
            session.run(sql.DELETE_PLANS, [scenario_id])
            session.run(sql.DELETE_CLAIMS, [scenario_id])
            session.run(sql.DELETE_SCENARIO, [scenario_id])

        self._transaction("remove the scenario for good", write)

    def duplicate(
        self,
        scenario_id: str,
        name: str | None = None,
        settings: Mapping[str, Any] | None = None,
        *,
        author: str = "",
    ) -> str:
        """Copy a scenario with all its tables and settings; return the copy's id.

        The copy is named ``name``, or ``"<original name> (copy)"``; it holds ``settings`` when they
        are given, else the original's. It shares nothing with the original afterwards (its history
        starts at version 1). One write: there is never a copy without the settings it was made with.
        """
        cleaned = None if name is None else clean_name(name)
        settings_text = None if settings is None else settings_json(settings)
        who = clean_author(author)
        copy_id = secrets.token_urlsafe(16)

        def write(session: Session) -> None:
            check(session, scenario_id, None)  # holds the original still while its tables are copied
            now = self._now()
            require(session.changed(sql.COPY_SCENARIO, [copy_id, cleaned, now, now, scenario_id]), scenario_id)
            if settings_text is not None:
                session.run(sql.UPDATE_SETTINGS, [settings_text, now, copy_id])
            for table in TABLES.values():
                session.run(table.copy_sql(), [copy_id, scenario_id])
            record(session, copy_id, now, who, "created as a copy", bump=False, snapshot=True)

        self._transaction("copy the scenario", write)
        return copy_id

    def history(self, scenario_id: str) -> builtins.list[VersionInfo]:
        """Every version of a scenario (in the bin or not), oldest first."""

        def read(session: Session) -> builtins.list[VersionInfo]:
            rows = session.rows(sql.SELECT_HISTORY, [scenario_id])
            if not rows:
                raise not_found(scenario_id)
            return [
                VersionInfo(version=int(version), changed_at=utc(changed_at), author=author, what=what)
                for version, changed_at, author, what in rows
            ]

        return self._transaction("read the scenario's history", read, write=False)

    def load_version(self, scenario_id: str, version: int) -> Scenario:
        """The scenario as it was at ``version``: its name, settings and tables then (a read-only view).

        ``updated_at`` is when that version was made.
        """

        def read(session: Session) -> Scenario:
            name, settings, columns, changed_at, data_version = version_row(session, scenario_id, version)
            (created_at,) = session.rows(sql.SELECT_CREATED, [scenario_id])[0]
            return scenario_from_rows(
                scenario_id,
                (name, settings, columns, created_at, changed_at, version),
                lambda table: session.frame(table.select_snapshot_sql(), [scenario_id, data_version]),
            )

        return self._transaction("load the scenario version", read, write=False)

    def restore_version(self, scenario_id: str, version: int, *, based_on: int | None = None, author: str = "") -> int:
        """Write the name, settings and tables of an old ``version`` back as a new version, and return it.

        Undo is restoring the version before the current one. With ``based_on``, any change since
        raises :class:`VersionConflict` (a restore replaces everything, so everything clashes), unless
        the newest version already is ``version`` again: then nothing is written and the newest
        version is returned (an undo clicked twice, or two people undoing the same change at once:
        what they asked for is there, and nobody's change is overwritten).
        """
        who = clean_author(author)

        def write(session: Session) -> int:
            try:
                current = check(session, scenario_id, based_on)
            except VersionConflict as conflict:
                newest = version_row(session, scenario_id, conflict.current)
                if same_content(newest, version_row(session, scenario_id, version)):
                    return conflict.current
                raise
            name, settings, columns, _, data_version = version_row(session, scenario_id, version)
            now = self._now()
            require(session.changed(sql.UPDATE_COLUMNS, [columns, now, scenario_id]), scenario_id)
            session.run(sql.UPDATE_SETTINGS, [settings, now, scenario_id])
            session.run(sql.UPDATE_NAME, [name, now, scenario_id])
            if version_row(session, scenario_id, current)[4] != data_version:  # else the tables are those already
                for table in TABLES.values():
                    session.run(table.delete_sql(), [scenario_id])
                    session.run(table.unsnapshot_sql(), [scenario_id, data_version])
            # The old snapshot is the data of the new version too: nothing to copy.
            return record(session, scenario_id, now, who, f"restored version {version}", data_version=data_version)

        return self._transaction("restore the scenario version", write)

    def state(self, scenario_id: str) -> ScenarioState:
        """The scenario's name, version and settings without its tables: one small read, for polling."""

        def read(session: Session) -> ScenarioState:
            found = session.rows(sql.SELECT_ROW_STATE, [scenario_id])
            if not found:
                raise not_found(scenario_id)
            name, version, settings, updated_at, deleted_at = found[0]
            return ScenarioState(
                id=scenario_id,
                name=name,
                version=int(version),
                settings=json.loads(settings),
                updated_at=utc(updated_at),
                deleted_at=None if deleted_at is None else utc(deleted_at),
            )

        return self._transaction("read the scenario", read, write=False)

    def changes_since(self, scenario_id: str, version: int) -> builtins.list[VersionInfo]:
        """The versions after ``version``, oldest first (what another session changed since)."""
        return [info for info in self.history(scenario_id) if info.version > version]

    def links(self, scenario_id: str) -> ScenarioLinks:
        """The scenario's edit and view link tokens, made on first use (a scenario in the bin has none)."""

        def read(session: Session) -> dict[str, str]:
            check(session, scenario_id, None)
            return dict(session.rows(sql.SELECT_LINKS, [scenario_id]))

        found = self._transaction("read the scenario's links", read, write=False)
        if set(found) >= set(LINK_KINDS):
            return ScenarioLinks(edit=found["edit"], view=found["view"])
        return self._new_links(scenario_id, revoke=False)

    def rotate_links(self, scenario_id: str) -> ScenarioLinks:
        """Give the scenario new edit and view links; the old ones stop working at once."""
        return self._new_links(scenario_id, revoke=True)

    def _new_links(self, scenario_id: str, *, revoke: bool) -> ScenarioLinks:
        def write(session: Session) -> ScenarioLinks:
            check(session, scenario_id, None)
            now = self._now()
            found = dict(session.rows(sql.SELECT_LINKS, [scenario_id]))
            if not revoke and set(found) >= set(LINK_KINDS):  # another thread made them meanwhile
                return ScenarioLinks(edit=found["edit"], view=found["view"])
            session.run(sql.REVOKE_LINKS, [now, scenario_id])
            tokens = {kind: secrets.token_urlsafe(24) for kind in LINK_KINDS}
            for kind, token in tokens.items():
                session.run(sql.INSERT_LINK, [token, scenario_id, kind, now])
            return ScenarioLinks(**tokens)

        return self._transaction("make the scenario's links", write, of_scenarios=False)

    def open_link(self, token: str) -> tuple[str, str]:
        """The scenario id and link kind (``edit`` or ``view``) of a link token.

        A token of the wrong shape is refused before any query; a malformed, unknown or revoked token,
        or one of a scenario in the bin, raises the same :class:`ScenarioNotFound`.
        """
        if not is_link_token(token):
            raise ScenarioNotFound("No scenario at this link: it is mistyped, or it was revoked.")

        def read(session: Session) -> tuple[str, str]:
            found = session.rows(sql.OPEN_LINK, [token])
            if not found:
                raise ScenarioNotFound("No scenario at this link: it is mistyped, or it was revoked.")
            return str(found[0][0]), str(found[0][1])

        return self._transaction("open the link", read, write=False)

    def kept_plan(self, scenario_id: str, version: int, inputs: str) -> str | None:
        """The plan text kept for this scenario version and inputs digest, or None."""

        def read(session: Session) -> str | None:
            found = session.rows(sql.SELECT_PLAN, [scenario_id, version, inputs])
            return str(found[0][0]) if found else None

        return self._transaction("read a kept plan", read, write=False)

    def keep_plan(self, scenario_id: str, version: int, inputs: str, plan: str, *, lasting: bool = False) -> str:
        """Keep ``plan`` (text) for the scenario version and ``inputs`` (a digest of everything else the
        plan depends on); returns the plan kept, which is the first one kept when two sessions race.

        Not a change to the scenario (no new version): a cache that outlives the process, so the same
        inputs show the same plan in every session and after a restart. Beyond :data:`PLANS_KEPT` plans
        of a scenario the oldest go, except ``lasting`` ones: a version's own plan (at its saved
        what-ifs), which must not be made again, as a plan a time limit stopped could then differ.
        """

        def write(session: Session) -> str:
            session.run(sql.INSERT_PLAN, [scenario_id, version, inputs, plan, self._now(), lasting])
            if lasting:
                session.run(sql.MAKE_PLAN_LASTING, [scenario_id, version, inputs])
            session.run(sql.TRIM_PLANS, [scenario_id, scenario_id, PLANS_KEPT - 1])  # older than the PLANS_KEPT-th
            return str(session.rows(sql.SELECT_PLAN, [scenario_id, version, inputs])[0][0])

        return self._transaction("keep the plan", write, of_scenarios=False)

    def claim_plan(self, scenario_id: str, version: int, inputs: str, seconds: float) -> bool:
        """Claim the making of the plan of this scenario version and ``inputs`` for ``seconds``.

        True: make it (no plan is kept and no unexpired claim is held; the claim is now this caller's).
        False: it is kept already, or another caller (another app process too) is making it; wait for
        :meth:`kept_plan` until the claim expires. Not a change to the scenario (no new version).
        """
        key = [scenario_id, version, inputs]

        def write(session: Session) -> bool:
            session.serialise(f"plan claim {scenario_id} {version} {inputs}")
            now = self._now()
            session.run(sql.DELETE_EXPIRED_CLAIMS, [scenario_id, now])
            if session.rows(sql.SELECT_PLAN, key) or session.rows(sql.SELECT_CLAIM, key):
                return False
            session.run(sql.INSERT_CLAIM, [*key, now + timedelta(seconds=seconds)])
            return True

        return self._transaction("claim the plan", write, of_scenarios=False)

    def plan_once(
        self,
        scenario_id: str,
        version: int,
        inputs: str,
        make: Callable[[], str],
        seconds: float,
        *,
        lasting: bool = False,
    ) -> str:
        """The plan kept for this scenario version and ``inputs``, made by ``make`` only where no one is making it.

        Sessions of every app process on this database asking for the same plan share one solve: the
        first claims it (:meth:`claim_plan`) and makes and keeps it; the others wait for it, polling
        the kept plans, for at most ``seconds`` (the maker's hard deadline), then make it themselves.
        ``lasting``: as :meth:`keep_plan`.
        """
        deadline = time.monotonic() + seconds
        while True:
            kept = self.kept_plan(scenario_id, version, inputs)
            if kept is not None:
                return kept
            claimed = self.claim_plan(scenario_id, version, inputs, seconds)
            if claimed or time.monotonic() >= deadline:
                return self._make_and_keep(scenario_id, version, inputs, make, claimed, lasting)
            time.sleep(_CLAIM_POLL_SECONDS)

    def plan_unless_claimed(
        self, scenario_id: str, version: int, inputs: str, make: Callable[[], str], seconds: float
    ) -> str | None:
        """As :meth:`plan_once`, but None at once where someone is making it (for work nobody waits for)."""
        kept = self.kept_plan(scenario_id, version, inputs)
        if kept is not None:
            return kept
        if not self.claim_plan(scenario_id, version, inputs, seconds):
            return self.kept_plan(scenario_id, version, inputs)  # kept meanwhile, or being made: None
        return self._make_and_keep(scenario_id, version, inputs, make, True, False)

    def _make_and_keep(
        self, scenario_id: str, version: int, inputs: str, make: Callable[[], str], claimed: bool, lasting: bool
    ) -> str:
        try:
            made = make()
        except BaseException:
            if claimed:  # let the next one asking make it, rather than wait out the claim
                self._transaction(
                    "release the claim",
                    lambda session: session.run(sql.DELETE_CLAIM, [scenario_id, version, inputs]),
                    of_scenarios=False,
                )
            raise
        return self.keep_plan(scenario_id, version, inputs, made, lasting=lasting)

    def purge_expired(self, now: datetime | None = None) -> builtins.list[str]:
        """Remove for good the scenarios in the bin for more than :data:`BIN_DAYS` days; their ids.

        ``now`` (timezone-aware) is for tests; the app calls this when it starts and when it lists the bin.
        """
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        cutoff = moment - timedelta(days=BIN_DAYS)
        expired = self._transaction(
            "list the bin",
            lambda session: [row[0] for row in session.rows(sql.EXPIRED, [cutoff])],
            write=False,
        )
        for scenario_id in expired:
            try:
                self.purge(scenario_id)
            except ScenarioNotFound:
                pass  # purged meanwhile by another caller
        return expired

    def load(self, scenario_id: str) -> Scenario:
        """The scenario with this id, with its tables exactly as saved."""

        # A transaction, so all eight reads see the same saved state even while another thread saves.
        def read(session: Session) -> Scenario:
            found = session.rows(sql.SELECT_SCENARIO, [scenario_id])
            if not found:
                raise not_found(scenario_id)
            return scenario_from_rows(
                scenario_id, found[0], lambda table: session.frame(table.select_sql(), [scenario_id])
            )

        return self._transaction("load the scenario", read, write=False)

    def list(self) -> list[ScenarioSummary]:
        """Every saved scenario (not those in the bin), most recently changed first."""
        return self._summaries(in_bin=False)

    def binned(self) -> builtins.list[ScenarioSummary]:
        """The scenarios in the bin, most recently deleted first."""
        return self._summaries(in_bin=True)

    def _summaries(self, in_bin: bool) -> builtins.list[ScenarioSummary]:
        def read(session: Session) -> builtins.list[ScenarioSummary]:
            rows = session.rows(sql.LIST_SCENARIOS, [not in_bin])
            return [
                ScenarioSummary(
                    id=row_id,
                    name=name,
                    items=int(items),
                    people=int(people),
                    created_at=utc(created_at),
                    updated_at=utc(updated_at),
                    deleted_at=None if deleted_at is None else utc(deleted_at),
                    version=int(version),
                )
                for row_id, name, items, people, created_at, updated_at, deleted_at, version in rows
            ]

        return self._transaction("list the bin" if in_bin else "list the scenarios", read, write=False)

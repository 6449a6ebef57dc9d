"""Versioned writes: the compare-and-set check, the history row, and what counts as a clash.

Every function here runs inside the writing transaction (a :class:`~planner.store.backend.Session`).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from planner.errors import ScenarioNotFound, StoreError, VersionConflict
from planner.settings_merge import merge_settings
from planner.store import statements as sql
from planner.store.backend import Session
from planner.store.tables import TABLES

# What a scoped write checks when its base is stale: the clashing parts, given the version rows
# (name, settings, columns, changed_at, data_version) it was based on and of now.
Clashes = Callable[[tuple[Any, ...], tuple[Any, ...]], builtins.list[str]]


def clean_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise StoreError("A scenario needs a name: type one (names may repeat).")
    return cleaned


def clean_author(author: str) -> str:
    if not isinstance(author, str):
        raise StoreError(f"The author of a change must be text, got {type(author).__name__}.")
    return " ".join(author.split())[:80]


def clean_label(what: str) -> str:
    if not isinstance(what, str) or not what.strip():
        raise StoreError(f"What a change did must be text, got {what!r}.")
    return " ".join(what.split())[:300]


def settings_json(settings: Mapping[str, Any] | None) -> str:
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise StoreError(f"Cannot save the settings: expected a dict, got {type(settings).__name__}.")
    try:
        return json.dumps(dict(settings), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"Cannot save the settings: they must be JSON data (dicts, lists, text, finite numbers, "
            f"true/false/null): {error}."
        ) from error


def not_found(scenario_id: str) -> ScenarioNotFound:
    return ScenarioNotFound(
        f"No saved scenario has the id {scenario_id!r} (it may have been deleted). The app's "
        "scenario list, or Store.list(), shows the saved scenarios and their ids."
    )


def require(changed: int, scenario_id: str) -> None:
    """Raise ScenarioNotFound unless the statement just run changed a row."""
    if not changed:
        raise not_found(scenario_id)


def check(
    session: Session, scenario_id: str, based_on: int | None, *, in_bin: bool = False, clashes: Clashes | None = None
) -> int:
    """The scenario's current version; ScenarioNotFound if it is missing (or not where expected).

    A stale ``based_on`` raises VersionConflict; with ``clashes``, only when that finds a part both
    the write and the changes since touched (so a pin and an OOO edit both land). Read in the writing
    transaction, with the backend's row lock: on a server the next writer of this scenario waits here
    and then reads the version this one commits; on DuckDB a save committed after this read makes the
    write that follows conflict, the transaction is retried, and this read then sees the new version.
    """
    found = session.rows(sql.SELECT_STATE + session.lock, [scenario_id])
    if not found or bool(found[0][1]) != in_bin:
        raise not_found(scenario_id)
    current = int(found[0][0])
    if based_on is None or based_on == current:
        return current
    if clashes is not None and 0 < based_on < current:
        parts = clashes(version_row(session, scenario_id, based_on), version_row(session, scenario_id, current))
        if not parts:
            return current
    else:
        parts = []
    rows = session.rows(sql.SELECT_CHANGES_SINCE, [scenario_id, based_on])
    changes = [f"{what} (by {author})" if author else what for what, author in rows]
    since = "; ".join(changes) if changes else "nothing known"
    both = f" Both changed: {', '.join(parts)}." if parts else ""
    raise VersionConflict(
        f"The scenario was changed since version {based_on}: it is now at version {current} "
        f"(changes since: {since}).{both} Nothing was saved; reload it and make your change again.",
        current=current,
        based_on=based_on,
        changes=changes,
        clashes=parts,
    )


def data_clashes(base: tuple[Any, ...], now: tuple[Any, ...]) -> builtins.list[str]:
    """A table write clashes with a change of the tables since its base (settings changes do not)."""
    return [] if base[4] == now[4] else ["the backlog and capacity tables"]


def name_clashes(new_name: str) -> Clashes:
    """A rename clashes with another rename since its base, unless to the same name."""
    return lambda base, now: [] if now[0] in (base[0], new_name) else ["the name"]


def record(
    session: Session,
    scenario_id: str,
    now: datetime,
    author: str,
    what: str,
    *,
    bump: bool = True,
    snapshot: bool = False,
    data_version: int | None = None,
) -> int:
    """Add one to the scenario's version (unless new) and append its history row; return the version.

    ``snapshot``: the tables changed, copy them as the data of this version; else ``data_version``
    names the data, or the previous version's data stays.
    """
    if bump:
        session.run(sql.BUMP_VERSION, [scenario_id])
    version, name, settings, columns = session.rows(sql.SELECT_CURRENT, [scenario_id])[0]
    if snapshot:
        data_version = version
        for table in TABLES.values():
            session.run(table.snapshot_sql(), [version, scenario_id])
    elif data_version is None:
        data_version = session.rows(sql.SELECT_DATA_VERSION, [scenario_id, version - 1])[0][0]
    session.run(sql.INSERT_HISTORY, [scenario_id, version, now, author, what, name, settings, columns, data_version])
    return int(version)


def merged_settings(session: Session, scenario_id: str, based_on: int | None, mine: dict) -> dict:
    """``mine`` (the settings of ``based_on``, changed) merged into the scenario's current settings.

    VersionConflict when a setting both changed (:func:`planner.settings_merge.merge_settings`).
    """
    merged: dict = mine

    def clashes(base: tuple[Any, ...], now: tuple[Any, ...]) -> builtins.list[str]:
        nonlocal merged
        merged, parts = merge_settings(json.loads(base[1]), mine, json.loads(now[1]))
        return [f"the setting {part}" for part in parts]

    check(session, scenario_id, based_on, clashes=clashes)
    return merged


def version_row(session: Session, scenario_id: str, version: int) -> tuple[Any, ...]:
    found = session.rows(sql.SELECT_VERSION_ROW, [scenario_id, version])
    if not found:
        if not session.rows(sql.SELECT_CREATED, [scenario_id]):
            raise not_found(scenario_id)
        raise StoreError(
            f"The scenario {scenario_id!r} has no version {version!r}; Store.history() lists its versions."
        )
    return tuple(found[0])


def same_content(first: tuple[Any, ...], second: tuple[Any, ...]) -> bool:
    """Whether two :func:`version_row` rows hold the same scenario: name, settings, columns and data.

    Settings and columns are compared as values (a backend may hand JSON back as text or parsed).
    """

    name, settings, columns, _changed_at, data_version = first
    other_name, other_settings, other_columns, _, other_data_version = second
    return (name, data_version) == (other_name, other_data_version) and all(
        same_json(mine, theirs) for mine, theirs in ((settings, other_settings), (columns, other_columns))
    )


def same_json(first: Any, second: Any) -> bool:
    """Whether two JSON values are the same, each as data or as its text (``true`` is never ``1``)."""

    def canonical(value: Any) -> str:
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)

    return canonical(first) == canonical(second)

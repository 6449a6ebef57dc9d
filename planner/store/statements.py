"""The store's SQL, written once for both backends: ``?`` placeholders, named columns, standard types.

The tables (schema version 5) are real tables, so a scenario can be inspected with plain SQL:

- ``meta(key, value)``: ``schema_version`` lets a later planner migrate an older database.
- ``scenarios(id, name, settings JSON, columns JSON, created_at, updated_at, deleted_at, version)``:
  ``columns`` holds every saved table's column headers in their order (``{"backlog": [...], ...}``),
  so headers come back exactly, even for tables with no rows. Timestamps are naive UTC.
- ``backlog_items(scenario_id, position, <schema.BACKLOG_COLUMNS>, effort_by_skill, extra)``: one row
  per backlog item in its order; ``effort_by_skill`` maps skill to effort (the ``effort:<skill>``
  columns, missing efforts left out); ``extra`` is a JSON object holding the columns the planner did
  not recognise, under their original headers. ``capacity_<sheet>(...)``: one table per capacity sheet.
- Versions: ``scenarios.version`` starts at 1 and every change adds 1. ``scenario_history`` holds one
  row per version (who, when, what, and the name, settings and headers then). Each table above has a
  twin ``<table>_versions`` with a ``data_version`` column holding the rows as written at that version;
  a history row names the snapshot valid at its version (settings-only changes reuse the previous one).
- ``scenario_plans(scenario_id, version, inputs, plan, made_at, lasting)`` keeps each plan made for a
  scenario version under a digest of everything else it depends on; ``lasting`` (schema version 6) marks
  a version's own plan (at its saved what-ifs), never trimmed while the scenario is kept.
- ``scenario_links(token, scenario_id, kind, created_at, revoked_at)`` holds the edit and view link tokens.
- ``scenario_plan_claims(scenario_id, version, inputs, claimed_until)`` (schema version 5): which plans
  an app process is making, so another process asked for the same plan waits for it.

No foreign keys to scenarios: DuckDB cannot cascade deletes, and every write touches the parent and its
children in one transaction anyway.
"""

from __future__ import annotations

from planner.store.tables import BACKLOG, TABLES, ColumnTypes

CREATE_META = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
CREATE_SCENARIOS = """
CREATE TABLE IF NOT EXISTS scenarios (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    settings JSON NOT NULL,
    columns JSON NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1
)"""
CREATE_HISTORY = """
CREATE TABLE IF NOT EXISTS scenario_history (
    scenario_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    author VARCHAR NOT NULL DEFAULT '',
    what VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    settings JSON NOT NULL,
    columns JSON NOT NULL,
    data_version BIGINT NOT NULL,
    PRIMARY KEY (scenario_id, version)
)"""
CREATE_LINKS = """
CREATE TABLE IF NOT EXISTS scenario_links (
    token VARCHAR PRIMARY KEY,
    scenario_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
)"""
CREATE_PLANS = """
CREATE TABLE IF NOT EXISTS scenario_plans (
    scenario_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,
    inputs VARCHAR NOT NULL,
    plan VARCHAR NOT NULL,
    made_at TIMESTAMP NOT NULL,
    lasting BOOLEAN DEFAULT FALSE,
    PRIMARY KEY (scenario_id, version, inputs)
)"""


CREATE_CLAIMS = """
CREATE TABLE IF NOT EXISTS scenario_plan_claims (
    scenario_id VARCHAR NOT NULL,
    version BIGINT NOT NULL,
    inputs VARCHAR NOT NULL,
    claimed_until TIMESTAMP NOT NULL,
    PRIMARY KEY (scenario_id, version, inputs)
)"""


def schema_sql(types: ColumnTypes) -> tuple[str, ...]:
    """Every CREATE statement, harmless when the table is already there."""
    return (
        CREATE_PLANS,
        CREATE_CLAIMS,
        CREATE_META,
        CREATE_SCENARIOS,
        CREATE_HISTORY,
        CREATE_LINKS,
        *(table.create_sql(types) for table in TABLES.values()),
        *(table.create_sql(types, snapshots=True) for table in TABLES.values()),
    )


SELECT_SCHEMA_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
INSERT_SCHEMA_VERSION = "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
UPDATE_SCHEMA_VERSION = "UPDATE meta SET value = ? WHERE key = 'schema_version'"

# --- scenarios ------------------------------------------------------------------------------------

INSERT_SCENARIO = """
INSERT INTO scenarios (id, name, settings, columns, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)"""
ANY_LIVE_SCENARIO = "SELECT id FROM scenarios WHERE deleted_at IS NULL LIMIT 1"
SELECT_SCENARIO = """
SELECT name, settings, columns, created_at, updated_at, version FROM scenarios WHERE id = ? AND deleted_at IS NULL"""
# Every write to a scenario first sets its updated_at. DuckDB checks write conflicts per column, so
# this makes any two writes to one scenario conflict (one retries) instead of interleaving: a delete
# racing a replace_tables would otherwise leave orphan rows. The statements' row counts tell whether
# the scenario exists. A scenario in the bin (deleted_at set) is out of reach of every statement but
# the bin's own.
UPDATE_COLUMNS = "UPDATE scenarios SET columns = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
UPDATE_SETTINGS = "UPDATE scenarios SET settings = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
UPDATE_NAME = "UPDATE scenarios SET name = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
TO_BIN = "UPDATE scenarios SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL"
FROM_BIN = "UPDATE scenarios SET deleted_at = NULL, updated_at = ? WHERE id = ? AND deleted_at IS NOT NULL"
TOUCH_ANY_SCENARIO = "UPDATE scenarios SET updated_at = ? WHERE id = ?"
DELETE_SCENARIO = "DELETE FROM scenarios WHERE id = ?"
COPY_SCENARIO = """
INSERT INTO scenarios (id, name, settings, columns, created_at, updated_at)
SELECT ?, COALESCE(?, name || ' (copy)'), settings, columns, ?, ? FROM scenarios
WHERE id = ? AND deleted_at IS NULL"""
LIST_SCENARIOS = f"""
SELECT s.id, s.name,
       (SELECT count(*) FROM {TABLES[BACKLOG].name} AS b WHERE b.scenario_id = s.id) AS items,
       (SELECT count(*) FROM {TABLES["people"].name} AS p WHERE p.scenario_id = s.id) AS people,
       s.created_at, s.updated_at, s.deleted_at, s.version
FROM scenarios AS s
WHERE (s.deleted_at IS NULL) = ?
ORDER BY s.deleted_at DESC, s.updated_at DESC, s.created_at DESC, s.id"""

# --- versions -------------------------------------------------------------------------------------

# A write's first read of its scenario; the backend appends its row lock (Session.lock).
SELECT_STATE = "SELECT version, deleted_at IS NOT NULL FROM scenarios WHERE id = ?"
BUMP_VERSION = "UPDATE scenarios SET version = version + 1 WHERE id = ?"
SELECT_CURRENT = "SELECT version, name, settings, columns FROM scenarios WHERE id = ?"
SELECT_DATA_VERSION = "SELECT data_version FROM scenario_history WHERE scenario_id = ? AND version = ?"
INSERT_HISTORY = """
INSERT INTO scenario_history (scenario_id, version, changed_at, author, what, name, settings, columns, data_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
SELECT_HISTORY = """
SELECT version, changed_at, author, what FROM scenario_history WHERE scenario_id = ? ORDER BY version"""
SELECT_CHANGES_SINCE = """
SELECT what, author FROM scenario_history WHERE scenario_id = ? AND version > ? ORDER BY version"""
SELECT_VERSION_ROW = """
SELECT name, settings, columns, changed_at, data_version FROM scenario_history WHERE scenario_id = ? AND version = ?"""
SELECT_CREATED = "SELECT created_at FROM scenarios WHERE id = ?"
DELETE_HISTORY = "DELETE FROM scenario_history WHERE scenario_id = ?"
SELECT_ROW_STATE = "SELECT name, version, settings, updated_at, deleted_at FROM scenarios WHERE id = ?"
EXPIRED = "SELECT id FROM scenarios WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY deleted_at"

# --- links ----------------------------------------------------------------------------------------

SELECT_LINKS = "SELECT kind, token FROM scenario_links WHERE scenario_id = ? AND revoked_at IS NULL"
INSERT_LINK = "INSERT INTO scenario_links (token, scenario_id, kind, created_at) VALUES (?, ?, ?, ?)"
REVOKE_LINKS = "UPDATE scenario_links SET revoked_at = ? WHERE scenario_id = ? AND revoked_at IS NULL"
OPEN_LINK = """
SELECT l.scenario_id, l.kind FROM scenario_links AS l JOIN scenarios AS s ON s.id = l.scenario_id
WHERE l.token = ? AND l.revoked_at IS NULL AND s.deleted_at IS NULL"""
DELETE_LINKS = "DELETE FROM scenario_links WHERE scenario_id = ?"

# --- plans kept with a version ---------------------------------------------------------------------

SELECT_PLAN = "SELECT plan FROM scenario_plans WHERE scenario_id = ? AND version = ? AND inputs = ?"
INSERT_PLAN = """
INSERT INTO scenario_plans (scenario_id, version, inputs, plan, made_at, lasting) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING"""
# A plan kept first by a slider and then asked for as the version's own plan becomes lasting too.
MAKE_PLAN_LASTING = "UPDATE scenario_plans SET lasting = TRUE WHERE scenario_id = ? AND version = ? AND inputs = ?"
# Only plans that are not lasting are trimmed, oldest first, beyond the number kept.
TRIM_PLANS = """
DELETE FROM scenario_plans WHERE scenario_id = ? AND NOT lasting AND made_at < (
    SELECT made_at FROM scenario_plans WHERE scenario_id = ? AND NOT lasting ORDER BY made_at DESC LIMIT 1 OFFSET ?)"""
DELETE_PLANS = "DELETE FROM scenario_plans WHERE scenario_id = ?"
# Claims: which app process is making a plan, until when (another one waits for it instead).
SELECT_CLAIM = "SELECT claimed_until FROM scenario_plan_claims WHERE scenario_id = ? AND version = ? AND inputs = ?"
DELETE_CLAIM = "DELETE FROM scenario_plan_claims WHERE scenario_id = ? AND version = ? AND inputs = ?"
INSERT_CLAIM = "INSERT INTO scenario_plan_claims (scenario_id, version, inputs, claimed_until) VALUES (?, ?, ?, ?)"
DELETE_EXPIRED_CLAIMS = "DELETE FROM scenario_plan_claims WHERE scenario_id = ? AND claimed_until < ?"
DELETE_CLAIMS = "DELETE FROM scenario_plan_claims WHERE scenario_id = ?"

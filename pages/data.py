"""Data: load backlog and capacity files, see how they were read, and save them as a scenario.

The page has two parts:

- **Load files**: upload a backlog and a capacity workbook (or its CSVs). The files are read with
  :mod:`planner.ingest` (cached on their bytes and the mapping corrections), and the page shows how:
  the source (encoding, delimiter, header row), the value rule, every problem (errors first), the
  column mapping as an editable table (a correction re-reads the backlog) and a preview of the typed
  tables. A file set without errors can be saved as a new scenario or into the current one (the rule:
  :meth:`planner.ingest.LoadedFiles.blockers`); nothing is written before that, so a bad upload
  never touches a saved scenario.
- **The current scenario**: its tables, problems and column mapping as they were saved.

Saving happens in button callbacks: they run before the next script run, the only moment the sidebar
picker (drawn by ``app.py`` before this page) can still be pointed at the new scenario.
User text (file names, headers, messages) goes through :func:`markdown_inert` (or
:func:`markdown_format`, for a template of the page's own) wherever it reaches Markdown; tables are
``st.dataframe`` / ``st.data_editor``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pages import _state
from planner.errors import PlannerError
from planner.ingest import BACKLOG_FIELDS, BacklogImport, CapacityImport, LoadedFiles, read_backlog, read_capacity
from planner.input_problems import ERROR, WARNING, Problem
from planner.markdown_escape import markdown_format, markdown_inert
from planner.sample import SAMPLE_NAME, create_sample
from planner.schema import CAPACITY_SHEETS, CapacityTables, split_list
from planner.solve import capacity_sprint_names
from planner.sprint_values import (
    CARRY_OVER,
    CARRY_OVER_MOSCOW,
    MATCHED,
    SPRINT_SETTINGS_KEY,
    TREATMENTS,
    SprintTreatment,
    SprintValue,
    classify_sprint_values,
    sprint_findings,
)
from planner.store import Scenario
from planner.value import VALUE_RULES

log = logging.getLogger(__name__)

BACKLOG_TYPES = ["xlsx", "xls", "csv", "tsv", "txt"]
CAPACITY_TYPES = ["xlsx", "xls", "csv", "tsv", "txt"]
PREVIEW_ROWS = 200
PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "message"]
MAPPING_COLUMNS = ["column", "header", "field", "how", "note"]

# This page's session state, set once in init_state().
BACKLOG_FILE = "planner_data_backlog_file"  # the uploaded backlog: {"name", "data", "digest"}, or None
CAPACITY_FILES = "planner_data_capacity_files"  # the uploaded capacity files: [{"name", "data", "digest"}]
CORRECTIONS = "planner_data_corrections"  # backlog mapping corrections: {header as written: field or None}
UPLOADS = "planner_data_uploads"  # generation of the uploaders: a new one starts them empty
EDITS = "planner_data_edits"  # generation of the mapping editor: a new one has no pending edits
SPRINT_KEY = "planner_data_sprint_"  # + scenario id + "_" + position: the treatment chosen for a sprint value
TREATMENT_LABELS = {
    "unscheduled": "unscheduled (any sprint)",
    "carry-over": "carry-over (Should or Must)",
    "later": "later (left out)",
}


def init_state() -> None:
    """Set this page's keys once per session."""
    state = st.session_state
    state.setdefault(BACKLOG_FILE, None)
    state.setdefault(CAPACITY_FILES, [])
    state.setdefault(CORRECTIONS, {})
    state.setdefault(UPLOADS, 0)
    state.setdefault(EDITS, 0)


# --- reading (cached on the bytes and the corrections) ------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Reading the backlog ...")
def read_backlog_cached(data: bytes, name: str, corrections: tuple[tuple[str, str | None], ...]) -> BacklogImport:
    """:func:`read_backlog` on uploaded bytes; ``corrections`` as sorted pairs (a stable cache key).

    A large file is read in a worker process (:func:`pages._state.read_isolated`): other sessions keep
    their speed meanwhile.
    """
    read = functools.partial(read_backlog, name=name, corrections=dict(corrections) or None)
    return _state.read_isolated(read, data, len(data))


@st.cache_data(max_entries=8, show_spinner="Reading the capacity ...")
def read_capacity_cached(files: tuple[tuple[str, bytes], ...]) -> CapacityImport:
    """:func:`read_capacity` on uploaded ``(name, bytes)`` files: one workbook or one CSV per sheet.

    Large files are read in a worker process, as the backlog is.
    """
    read = functools.partial(read_capacity, names=[name for name, _ in files])
    return _state.read_isolated(read, [data for _, data in files], sum(len(data) for _, data in files))


def _attempt(what: str, read: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """``(result, None)``, or ``(None, message)`` when reading failed: never a traceback on screen."""
    try:
        return read(*args), None
    except PlannerError as error:
        return None, f"The {what} could not be read: {error}"
    except Exception:  # a bug, not a bad file: say so on screen, keep the traceback in the server log
        log.exception("reading the %s failed", what)
        return None, (
            f"The {what} could not be read because of an unexpected error in the planner "
            "(the server log has the details). Nothing was saved."
        )


def _corrections_key(corrections: dict[str, str | None]) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted(corrections.items()))


def read_uploads(
    backlog_file: dict | None, capacity_files: list[dict], corrections: dict[str, str | None]
) -> LoadedFiles:
    """Read the uploaded files (``{"name", "data"}`` dicts) with the backlog mapping corrections."""
    backlog = capacity = None
    failures = []
    if backlog_file is not None:
        backlog, failure = _attempt(
            "backlog", read_backlog_cached, backlog_file["data"], backlog_file["name"], _corrections_key(corrections)
        )
        failures += [failure] if failure else []
    if capacity_files:
        files = tuple((f["name"], f["data"]) for f in capacity_files)
        capacity, failure = _attempt("capacity", read_capacity_cached, files)
        failures += [failure] if failure else []
    return LoadedFiles(
        backlog_name=backlog_file["name"] if backlog_file else None,
        capacity_names=tuple(f["name"] for f in capacity_files),
        backlog=backlog,
        capacity=capacity,
        corrections=dict(corrections),
        failures=tuple(failures),
    )


# --- session: uploads, corrections, saving ----------------------------------------------------------


def _file(upload: Any) -> dict[str, object]:
    data = upload.getvalue()
    return {"name": upload.name, "data": data, "digest": hashlib.sha256(data).hexdigest()[:16]}


def _keep_backlog(key: str) -> None:
    """Uploader callback: keep the file in session state, so it outlasts a switch to another page."""
    upload = st.session_state.get(key)
    st.session_state[BACKLOG_FILE] = None if upload is None else _file(upload)
    st.session_state[CORRECTIONS] = {}  # corrections name the headers of the file they were made for
    st.session_state[EDITS] += 1


def _keep_capacity(key: str) -> None:
    st.session_state[CAPACITY_FILES] = [_file(upload) for upload in st.session_state.get(key) or []]


def clear_uploads() -> None:
    """Forget the uploaded files and corrections; the uploaders start empty."""
    state = st.session_state
    state[BACKLOG_FILE] = None
    state[CAPACITY_FILES] = []
    state[CORRECTIONS] = {}
    state[UPLOADS] += 1
    state[EDITS] += 1


def _reset_corrections() -> None:
    st.session_state[CORRECTIONS] = {}
    st.session_state[EDITS] += 1


def _save_new(loaded: LoadedFiles, name_key: str) -> None:
    """Button callback: save the file set as a new scenario and show it."""
    name = str(st.session_state.get(name_key) or "").strip()
    if loaded.blockers() or not name:
        _state.flash("error", "Nothing was saved: " + " ".join(loaded.blockers() or ["type a name for the scenario."]))
        return
    try:
        scenario_id = _state.store().create(
            name, loaded.backlog.table, loaded.capacity.tables, loaded.settings(), author=_state.author()
        )
    except PlannerError as error:
        _state.flash("error", f"Nothing was saved: {error}")
        return
    _state.select_scenario(scenario_id)
    clear_uploads()
    _state.flash(
        "success",
        f"Saved the new scenario {name}: {len(loaded.backlog.table)} items, "
        f"{len(loaded.capacity.tables.people)} people.",
    )


def _replace(loaded: LoadedFiles, scenario: Scenario) -> None:
    """Button callback: put the file set into the current scenario (its name and other settings stay).

    One new version: the tables and the import's settings together, based on the version on screen,
    so a change saved meanwhile by someone else is kept (settings) or reported (tables).
    """
    if loaded.blockers():
        _state.flash("error", "Nothing was saved: " + " ".join(loaded.blockers()))
        return
    backlog_name = loaded.backlog_name
    what = f"data replaced from {backlog_name}" if backlog_name else "data replaced from new files"

    def apply(scenario_id: str, settings: dict, version: int) -> int:
        kept = {key: value for key, value in settings.items() if key != "sample"}  # e.g. what other pages saved
        return _state.store().replace_tables(
            scenario_id,
            loaded.backlog.table,
            loaded.capacity.tables,
            based_on=version,
            author=_state.author(),
            settings={**kept, **loaded.settings()},
            what=what,
        )

    if _state.save_change(scenario, what, apply) is None:
        return
    clear_uploads()
    _state.flash(
        "success",
        f"Replaced the data of {scenario.name}: {len(loaded.backlog.table)} items, "
        f"{len(loaded.capacity.tables.people)} people.",
    )


def _start_from_sample() -> None:
    """Button callback: import the bundled sample files again, into a new scenario."""
    try:
        scenario_id = create_sample(_state.store(), author=_state.author())
    except PlannerError as error:
        _state.flash("error", f"The sample was not saved: {error}")
        return
    _state.select_scenario(scenario_id)
    _state.flash("success", f"Saved the sample as a new scenario: {SAMPLE_NAME}.")


def _consume_mapping_edits(backlog_file: dict) -> None:
    """Turn edits made in the mapping table into corrections, and start a fresh table.

    The table showed the mapping read with the current corrections; edited rows are positions in it.
    """
    state = st.session_state
    edits = state.get(_mapping_key())
    rows = (edits.get("edited_rows") or {}) if isinstance(edits, Mapping) else {}
    if not rows:
        return
    shown, _ = _attempt(
        "backlog", read_backlog_cached, backlog_file["data"], backlog_file["name"], _corrections_key(state[CORRECTIONS])
    )
    if shown is None:
        return
    matches = shown.mapping.matches
    corrections = dict(state[CORRECTIONS])
    for index, change in rows.items():
        position = int(index)
        if "field" not in change or not 0 <= position < len(matches):
            continue
        chosen = change["field"] or None
        if chosen != matches[position].field:
            corrections[matches[position].header] = chosen
    state[CORRECTIONS] = corrections
    state[EDITS] += 1


def _mapping_key() -> str:
    return f"planner_data_mapping_{st.session_state[EDITS]}"


# --- showing ----------------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def problem_table(problems: list[Problem]) -> pd.DataFrame:
    """One row per problem (severity, file, sheet, row, column, message), in the order given."""
    frame = pd.DataFrame([problem.as_dict() for problem in problems], columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def show_backlog_table(table: pd.DataFrame, columns: list[str] | None = None) -> None:
    shown = table[[c for c in columns if c in table.columns]] if columns else table
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "deadline": st.column_config.DateColumn("deadline", format="YYYY-MM-DD"),
            "effort": st.column_config.NumberColumn("effort (days)", format="%.1f"),
        },
    )


def show_capacity_tables(capacity: CapacityTables) -> None:
    for sheet, table in capacity.sheets().items():
        st.markdown(f"**{sheet}** ({len(table)} rows)")
        if len(table):
            dates = {
                column: st.column_config.DateColumn(column, format="YYYY-MM-DD")
                for column, kind in CAPACITY_SHEETS[sheet].items()
                if kind == "date"
            }
            st.dataframe(table.drop(columns=["source_row"], errors="ignore"), hide_index=True, column_config=dates)


def _uploaders() -> None:
    state = st.session_state
    generation = state[UPLOADS]
    backlog_column, capacity_column = st.columns(2)
    backlog_key = f"planner_data_backlog_upload_{generation}"
    capacity_key = f"planner_data_capacity_upload_{generation}"
    backlog = backlog_column.file_uploader(
        "Backlog",
        type=BACKLOG_TYPES,
        key=backlog_key,
        on_change=_keep_backlog,
        args=(backlog_key,),
        help="A Jira, Asana, Linear or Azure DevOps export, or your own sheet: .xlsx (first sheet or sheet "
        "Backlog), .xls, or CSV / TSV text.",
    )
    capacity = capacity_column.file_uploader(
        "Capacity",
        type=CAPACITY_TYPES,
        accept_multiple_files=True,
        key=capacity_key,
        on_change=_keep_capacity,
        args=(capacity_key,),
        help="One .xlsx with sheets people, sprints, ooo, oncall, holidays, teams; or one CSV per sheet "
        "(people.csv, sprints.csv ...).",
    )
    # After a switch to another page the uploaders start empty, while the files read before stay.
    if backlog is None and state[BACKLOG_FILE] is not None:
        backlog_column.caption(markdown_format("Using {}, loaded earlier.", state[BACKLOG_FILE]["name"]))
    if not capacity and state[CAPACITY_FILES]:
        names = ", ".join(f["name"] for f in state[CAPACITY_FILES])
        capacity_column.caption(markdown_format("Using {}, loaded earlier.", names))


def _show_reading(loaded: LoadedFiles) -> None:
    """How the files were read: sources, value rule, problems, mapping, preview."""
    for failure in loaded.failures:
        st.error(markdown_inert(failure, lines=True))
    backlog, capacity = loaded.backlog, loaded.capacity
    if backlog is None and capacity is None:
        return

    st.markdown("##### How the files were read")
    lines = []
    if backlog is not None and backlog.source is not None:  # no source: the file could not be read at all
        lines.append(markdown_format("Backlog: {}.", backlog.source.describe()))
        lines.append(markdown_format("Value of an item: {}.", backlog.value_rule_text))
    if capacity is not None:
        lines += [
            markdown_format("Capacity, {}: {}.", sheet, info.describe()) for sheet, info in capacity.sources.items()
        ]
    if lines:
        st.caption("  \n".join(lines))

    errors, warnings = loaded.count(ERROR), loaded.count(WARNING)
    st.markdown(f"##### Problems: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    if loaded.problems:
        st.caption("Errors block saving; warnings do not. Rows are numbered as in your spreadsheet.")
        st.dataframe(problem_table(loaded.problems), hide_index=True)
    else:
        st.success("The files were read without a problem.")

    if backlog is not None and capacity is not None:
        names = capacity_sprint_names(capacity.tables)
        unmatched = [v for v in classify_sprint_values(backlog.table, names) if v.treatment != MATCHED]
        if unmatched:
            st.markdown("##### Sprint names that are none of your sprints")
            for problem in sprint_findings(unmatched, backlog=backlog.table, file=loaded.backlog_name or "backlog"):
                st.warning(markdown_inert(f"{problem.location}: {problem.message}"), icon=":material/event_busy:")
            st.caption("After saving, choose how each is treated below the scenario's metrics.")

    if backlog is not None and backlog.mapping.matches:
        _mapping_editor(backlog, loaded.corrections)

    backlog_tab, capacity_tab = st.tabs(["Backlog preview", "Capacity preview"])
    with backlog_tab:
        if backlog is not None:
            rows = len(backlog.table)
            st.caption(f"First {min(rows, PREVIEW_ROWS)} of {_plural(rows, 'item')}, typed as the planner reads them.")
            show_backlog_table(backlog.table.head(PREVIEW_ROWS))
        else:
            st.caption("No backlog loaded.")
    with capacity_tab:
        if capacity is not None:
            show_capacity_tables(capacity.tables)
        else:
            st.caption("No capacity loaded.")


def _mapping_editor(backlog: BacklogImport, corrections: dict[str, str | None]) -> None:
    st.markdown("##### Column mapping")
    st.caption(
        "Which column feeds which field. Pick another field (or none, to keep the column as it is) "
        "to correct it: the file is read again. A correction applies to every column with that header."
    )
    rows = pd.DataFrame(backlog.mapping.as_rows(), columns=MAPPING_COLUMNS)
    in_use = sorted({f for f in rows["field"] if f and f not in BACKLOG_FIELDS})  # effort:<skill> columns
    st.data_editor(
        rows,
        key=_mapping_key(),
        hide_index=True,
        num_rows="fixed",
        disabled=["column", "header", "how", "note"],
        column_config={
            "field": st.column_config.SelectboxColumn(
                "field",
                options=["", *BACKLOG_FIELDS, *in_use],
                required=False,
                help="The planner field this column feeds; empty keeps the column as it is",
            ),
        },
    )
    if corrections:
        changes = ", ".join(
            markdown_format("{} → {}", header, chosen or "kept as is") for header, chosen in corrections.items()
        )
        st.caption(f"Your corrections: {changes}.")  # each part made inert above
        st.button("Undo the corrections", on_click=_reset_corrections, icon=":material/undo:")


def _save_controls(loaded: LoadedFiles, scenario: Any) -> None:
    st.markdown("##### Save")
    blockers = loaded.blockers()
    name_key = None
    backlog_file = st.session_state[BACKLOG_FILE]
    if backlog_file is not None:
        name_key = f"planner_data_name_{backlog_file['digest']}"
        name = st.text_input("Scenario name", value=Path(backlog_file["name"]).stem, key=name_key, max_chars=200)
        if not name.strip():
            blockers.append("Type a name for the scenario.")
    if blockers:
        st.warning("Cannot save yet.  \n" + "  \n".join(blockers), icon=":material/block:")
    save, replace, discard = st.columns(3)
    save.button(
        "Save as new scenario",
        type="primary",
        icon=":material/save:",
        disabled=bool(blockers),
        on_click=_save_new,
        args=(loaded, name_key),
    )
    if scenario is not None:
        with replace.popover(
            "Replace the current scenario's data", icon=":material/swap_horiz:", disabled=bool(blockers)
        ):
            st.markdown(
                markdown_format(
                    "The backlog and capacity of **{}** are replaced by these files; its name "
                    "stays. Its history keeps the data it had: Undo or the Scenarios page's history brings it back.",
                    scenario.name,
                )
            )
            st.button("Replace its data", on_click=_replace, args=(loaded, scenario))
    discard.button("Discard these files", icon=":material/delete:", on_click=clear_uploads)


def _sprint_key(scenario_id: str, position: int) -> str:
    return f"{SPRINT_KEY}{scenario_id}_{position}"


def _save_sprint_treatment(scenario: Scenario, names: tuple[str, ...] | None, values: tuple[SprintValue, ...]) -> None:
    """Widget callback: save the treatments chosen for the sprint values with the scenario's settings."""
    state = st.session_state
    chosen = {
        value.value: str(state.get(_sprint_key(scenario.id, position), value.treatment))
        for position, value in enumerate(values)
    }
    moscow = str(state.get(f"{SPRINT_KEY}{scenario.id}_moscow", "Should"))
    try:
        treatment = SprintTreatment(names, tuple(chosen.items()), moscow)
    except PlannerError as error:
        _state.flash("error", f"The sprint treatment was not saved: {error}")
        return
    saved = _state.save_settings_change(
        scenario, lambda settings: {**settings, SPRINT_SETTINGS_KEY: treatment.settings()}, "sprint names treated anew"
    )
    if saved is not None:
        _state.flash("success", "Saved how sprint names are treated; the plan uses it.")


def sprint_values_section(scenario: Any) -> None:
    """One warning per sprint value that is none of the capacity file's sprints, each with its treatment."""
    names = capacity_sprint_names(scenario.capacity)
    try:
        saved = SprintTreatment.from_settings(names, scenario.settings)
    except PlannerError as error:
        st.error(markdown_inert(f"The saved sprint treatments are not used: {error}"))
        saved = SprintTreatment(names)
    values = tuple(v for v in classify_sprint_values(scenario.backlog, names) if v.treatment != MATCHED)
    if not values:
        return
    chosen = dict(saved.treatments)
    files = scenario.settings.get("files") or {}
    problems = sprint_findings(values, chosen, backlog=scenario.backlog, file=files.get("backlog") or "backlog")
    st.markdown("##### Sprint names that are none of your sprints")
    st.caption("Each value is treated as shown, never pinned silently; choose another treatment to change the plan.")
    arguments = (scenario, names, values)
    for position, (value, problem) in enumerate(zip(values, problems)):
        message, choice = st.columns([3, 1])
        message.warning(markdown_inert(problem.message), icon=":material/event_busy:")
        current = chosen.get(value.value, value.treatment)
        choice.radio(  # not a selectbox: the sidebar's scenario picker is the app's first selectbox
            markdown_format("Treat sprint {} as", value.value),
            list(TREATMENTS),
            disabled=not _state.can_edit(),
            index=TREATMENTS.index(current) if current in TREATMENTS else 0,
            key=_sprint_key(scenario.id, position),
            format_func=lambda treatment: TREATMENT_LABELS.get(str(treatment), str(treatment)),
            on_change=_save_sprint_treatment,
            args=arguments,
        )
    if any(chosen.get(v.value, v.treatment) == CARRY_OVER for v in values):
        st.radio(
            "Carry-over items are planned as",
            CARRY_OVER_MOSCOW,
            index=CARRY_OVER_MOSCOW.index(saved.carry_over_moscow),
            key=f"{SPRINT_KEY}{scenario.id}_moscow",
            horizontal=True,
            disabled=not _state.can_edit(),
            on_change=_save_sprint_treatment,
            args=arguments,
            help="Should by default; Must plans every carry-over item for sure (or says why it cannot)",
        )


def load_files(scenario: Any) -> None:
    """The "Load files" section: upload, read, correct, preview, save."""
    state = st.session_state
    pending = state[BACKLOG_FILE] is not None or bool(state[CAPACITY_FILES])
    with st.expander("Load files", expanded=scenario is None or pending, icon=":material/upload_file:"):
        st.caption("Nothing is saved until you save: a file with errors never changes a saved scenario.")
        _uploaders()
        st.button(
            "Start from the sample",
            icon=":material/science:",
            on_click=_start_from_sample,
            help="Import the bundled sample files again, into a new scenario.",
        )
        if not pending:
            return
        if state[BACKLOG_FILE] is not None:
            _consume_mapping_edits(state[BACKLOG_FILE])
        loaded = read_uploads(state[BACKLOG_FILE], state[CAPACITY_FILES], state[CORRECTIONS])
        _show_reading(loaded)
        _save_controls(loaded, scenario)


# --- the page ---------------------------------------------------------------------------------------

init_state()
scenario = _state.current_scenario()

st.title("Data")
_state.say_flash(toast=True)
if _state.can_edit():
    load_files(scenario)
if scenario is None:
    st.info("No scenario yet: load your files above, or start from the sample.")
    st.stop()

st.subheader(markdown_inert(scenario.name))
backlog = scenario.backlog
capacity = scenario.capacity
imported = scenario.settings.get("import", {})
problems = imported.get("backlog", {}).get("problems", []) + imported.get("capacity", {}).get("problems", [])

items, open_items, people, teams, sprints = st.columns(5)
items.metric("Items", len(backlog))
open_items.metric("Not done", int((~backlog["done"]).sum()))
people.metric("People", len(capacity.people))
teams.metric("Teams", capacity.people["team"].nunique())
sprints.metric("Sprints", len(capacity.sprints))

rule = scenario.settings.get("value_rule", "one")
st.caption(markdown_format("Value of an item: {}.", VALUE_RULES.get(rule, rule)))
sprint_values_section(scenario)

backlog_tab, capacity_tab, problems_tab, mapping_tab = st.tabs(
    ["Backlog", "Capacity", f"Problems ({len(problems)})", "Column mapping"]
)

with backlog_tab:
    show_backlog_table(
        backlog,
        [
            "id",
            "title",
            "type",
            "team",
            "effort",
            "value",
            "moscow",
            "depends_on",
            "deadline",
            "status",
            "sprint",
            "initiative",
            "milestone",
        ],
    )
    skills = sorted({skill for text in capacity.people["skills"] for skill in split_list(text)})
    st.caption(markdown_format("Skills in the team: {}.", ", ".join(skills) or "none listed"))

with capacity_tab:
    show_capacity_tables(capacity)

with problems_tab:
    if problems:
        st.dataframe(pd.DataFrame(problems), hide_index=True)
    else:
        st.success("The files were read without a problem.")

with mapping_tab:
    mapping = imported.get("backlog", {}).get("mapping", [])
    source = imported.get("backlog", {}).get("source")
    if source:
        st.caption(markdown_inert(source))
    if mapping:
        st.dataframe(pd.DataFrame(mapping), hide_index=True)

with st.expander("What comes next"):
    st.markdown(
        "- **Capacity**: net days per team, skill and sprint after holidays, OOO and on-call, as a waterfall.\n"
        "- **Plan**: the highest-value plan that fits, with what-if sliders, pins and the reason for every "
        "item left out.\n"
        "- **Scenarios**: save and compare plans side by side.\n"
        "- **Export**: the proposed plan as an Excel workbook for each team lead."
    )

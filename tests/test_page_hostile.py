"""Hostile text in every column of a scenario reaches the pages inert (issue 11).

A backlog and a capacity workbook whose every text cell (ids, titles, teams, people, skills, sprints,
types, initiatives, labels, holidays, the scenario's name, the files' names, a header) is Markdown,
HTML, an icon or colour directive and LaTeX, read by the real importer into a temp database. Every page
is opened in AppTest and every element Streamlit renders as Markdown (found by walking the element
tree, not by naming widgets) must hold the text escaped: no link, image, tag, icon, colour, formula,
emphasis, heading or list of the user's. Selectbox and multiselect options, text inputs, tables and
charts are plain text in Streamlit and are left out of the walk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PLAN_TABS, REPO, open_tab, write_xlsx
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from planner.ingest import import_settings, read_backlog, read_capacity
from planner.markdown_escape import markdown_code, markdown_format, markdown_inert
from planner.scenarios import WHAT_IF_KEY
from planner.store import Store

pytestmark = pytest.mark.usefixtures("database")

PAYLOAD = (
    "![x](https://example.invalid/a.png) [click](https://evil.invalid) <img src=x onerror=alert(1)> "
    "<script>alert(1)</script> :material/bug_report: :material_home: :red[RED] :streamlit: :smile: "
    "$x^2$ **BOLD** _EM_ ~~DEL~~ `CODE` | T | U |"
)
MORE = " &lt;i&gt;\n# HEAD\n- LIST\n1. ONE\n> QUOTE\nSETEXT\n==="  # an entity, then blocks on new lines
PAGES = ["data", "refinement", "capacity", "plan", "scenarios", "export"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hostile(tag: str, *, one_line: bool = False) -> str:
    """A distinct hostile string; ``one_line`` leaves out what splits a list cell (`;`, line breaks)."""
    return f"{tag} {PAYLOAD}{'' if one_line else MORE}"


TEAMS = [hostile("teamA"), hostile("teamB")]
PEOPLE = [hostile("personA"), hostile("personB")]
SKILL = hostile("skill", one_line=True)  # a list entry: lists split on commas, semicolons and line breaks
SPRINTS = [hostile("sprint1"), hostile("sprint2")]
MUST = hostile("MUST")  # a Must no sprint can hold: the plan is infeasible and its message names it
DEPENDENCY = "DEP![d](https://evil.invalid/d.png)<b>B</b>:material/home:$y$"  # a list entry: no spaces
HEADER = "![h](https://evil.invalid/h.png) <b>H</b> :red[HEADER]"  # an unknown column, kept
FILE_NAME = "![f](https:evil.invalid) <img src=x> :material_home: :red[F] $f$ **F** [c](javascript:alert(1))"

# Markdown the user's text must never carry unescaped into an element Streamlit renders as Markdown.
# Escaping leaves a backslash before the special character, and nothing inside an inline code span is
# Markdown, so code spans are left out of these. Streamlit turns icon, logo and emoji shortcodes into
# pictures after escapes are resolved (and rewrites `:material/` before parsing, in code spans too),
# so those are looked for in the whole text with the backslashes dropped.
RAW = {
    "image": re.compile(r"(?<!\\)!\["),
    "link": re.compile(r"(?<!\\)\]\("),
    "html tag": re.compile(r"(?<!\\)<[a-z/!]", re.I),
    "colour directive": re.compile(r"(?<!\\):[a-z-]+\[", re.I),
    "LaTeX": re.compile(r"(?<!\\)\$"),
    "emphasis": re.compile(r"(?<![\\*])\*\*bold|(?<!\\)_em_|(?<!\\)~~del|(?<!\\)`code", re.I),
    "table": re.compile(r"(?<!\\)\| t", re.I),
    "entity": re.compile(r"(?<!\\)&lt;"),
    "block at a line start": re.compile(r"(?m)^\s*(?:#+\s*head|[-*+]\s+list|\d+[.)]\s+one|>\s*quote|=+\s*$)", re.I),
}
RAW_TEXT = {
    "icon": re.compile(r":material[/_]\w"),
    "shortcode": re.compile(r":(?:streamlit|smile):"),
}
# Element fields Streamlit renders as Markdown: labels, bodies (markdown, captions, alerts, toasts,
# headings, metric values), tooltips, the options of pills and segmented controls (``content``) and of
# radios and select sliders (``options``; a selectbox's or multiselect's are plain text).
MARKDOWN_FIELDS = {"body", "label", "help", "content", "selected_content"}
MARKDOWN_OPTIONS = {"radio", "select_slider"}
# Elements whose text is shown as written: code blocks, plain text, JSON, tracebacks, tables, charts.
PLAIN_TYPES = {"code", "text", "json", "exception", "dataframe", "vega_lite_chart"}
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)


def raw_markdown(value: str) -> list[str]:
    """The kinds of user Markdown ``value`` carries unescaped (empty when it is inert)."""
    outside_code = CODE_SPAN.sub("", value)
    found = [kind for kind, pattern in RAW.items() if pattern.search(outside_code)]
    text = value.replace("\\", "")
    return found + [kind for kind, pattern in RAW_TEXT.items() if pattern.search(text)]


def _strings(message: Message, path: str = "") -> Iterator[tuple[str, str]]:
    """``(field path, text)`` for every string field set in a protobuf message, nested ones too."""
    for field, value in message.ListFields():
        for item in value if field.is_repeated else [value]:
            if isinstance(item, Message):
                yield from _strings(item, f"{path}.{field.name}")
            elif isinstance(item, str):
                yield f"{path}.{field.name}", item


def markdown_values(at: AppTest) -> list[tuple[str, str]]:
    """``(where, text)`` for every string of the element tree that Streamlit renders as Markdown."""
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None or node.type in PLAIN_TYPES:
            continue
        for path, value in _strings(proto):
            name = path.rsplit(".", 1)[-1]
            if name in MARKDOWN_FIELDS or (name == "options" and node.type in MARKDOWN_OPTIONS):
                found.append((f"{node.type}{path}", value))
    return found


def assert_inert(at: AppTest, page: str) -> int:
    """No exception, and no element rendered as Markdown carries user Markdown; the count holding user text.

    The Plan page draws its open tab only: each tab is opened in turn, the Plan tab last.
    """
    if page == "plan":
        tabs = [*PLAN_TABS[1:], PLAN_TABS[0]]
        return sum(_assert_inert_as_drawn(open_tab(at, tab), f"plan, {tab} tab") for tab in tabs)
    return _assert_inert_as_drawn(at, page)


def _assert_inert_as_drawn(at: AppTest, page: str) -> int:
    assert not at.exception, f"{page}: {at.exception}"
    values = markdown_values(at)
    leaks = [(where, kinds, value[:160]) for where, value in values if (kinds := raw_markdown(value))]
    assert not leaks, f"{page}: user Markdown shown unescaped: {leaks}"
    return sum("evil" in value for _, value in values)


def test_the_check_finds_raw_markdown_and_passes_escaped_text():
    for text in [hostile("x"), DEPENDENCY, HEADER, FILE_NAME, "a\n# HEAD", ":material/home:", "\\:material/home\\:"]:
        assert raw_markdown(text), text
    for text in [hostile("x"), DEPENDENCY, HEADER, FILE_NAME, f"`{PAYLOAD}``", f"a `b` {PAYLOAD} `"]:
        for shown in [
            markdown_inert(text),
            markdown_inert(text, lines=True),
            markdown_code(text),
            markdown_format("**{}**: {} items", text, 3),
        ]:
            assert raw_markdown(shown) == [], shown
    assert raw_markdown(f"`a` {PAYLOAD} `b`")  # text between two code spans is still Markdown


# --- the hostile scenario --------------------------------------------------------------------------


def backlog_rows() -> list[list[object]]:
    """The backlog sheet: hostile text in every text column, one item pinned to a sprint, one dependency."""
    header = [
        "id",
        "title",
        "team",
        "effort",
        "value",
        "moscow",
        "type",
        "initiative",
        "labels",
        "skill",
        "assignee",
        "sprint",
        "milestone",
        "status",
        "description",
        "depends_on",
        HEADER,
    ]
    rows: list[list[object]] = [header]
    for i in range(6):
        rows.append(
            [
                hostile(f"ID{i}"),
                hostile(f"title{i}"),
                TEAMS[i % 2],
                2,
                10 + i,
                "Should",
                hostile(f"type{i % 2}"),
                hostile(f"initiative{i % 2}"),
                hostile(f"label{i}"),
                SKILL,
                PEOPLE[i % 2],
                SPRINTS[0] if i == 0 else None,
                hostile(f"milestone{i}"),
                "To Do",
                hostile(f"description{i}"),
                DEPENDENCY if i == 5 else None,
                hostile(f"extra{i}"),
            ]
        )
    rows.append(
        [
            DEPENDENCY,
            hostile("title dep"),
            TEAMS[1],
            1,
            3,
            "Could",
            hostile("type1"),
            None,
            None,
            SKILL,
            None,
            None,
            None,
            "To Do",
            None,
            None,
            None,
        ]
    )
    rows.append(
        [
            MUST,
            hostile("too big"),
            TEAMS[0],
            400,
            5,
            "Must",
            hostile("type0"),
            hostile("initiative0"),
            None,
            SKILL,
            None,
            None,
            None,
            "To Do",
            None,
            None,
            None,
        ]
    )
    return rows


def capacity_sheets() -> dict[str, list[list[object]]]:
    """The capacity workbook's sheets, every name in them hostile."""
    return {
        "people": [
            ["name", "team", "skills", "allocation"],
            [PEOPLE[0], TEAMS[0], SKILL, 1],
            [PEOPLE[1], TEAMS[1], SKILL, 1],
        ],
        "sprints": [
            ["sprint", "start", "end"],
            [SPRINTS[0], dt.date(2026, 11, 30), dt.date(2026, 12, 11)],
            [SPRINTS[1], dt.date(2026, 12, 14), dt.date(2026, 12, 25)],
        ],
        "ooo": [["name", "start", "end"], [PEOPLE[0], dt.date(2026, 12, 3), dt.date(2026, 12, 4)]],
        "oncall": [["name", "start", "end", "load"], [PEOPLE[1], dt.date(2026, 12, 7), dt.date(2026, 12, 8), 0.5]],
        "holidays": [["date", "team", "name"], [dt.date(2026, 12, 24), TEAMS[0], hostile("holiday")]],
        "teams": [["team", "velocity", "focus_factor"], [TEAMS[0], 10, 0.8], [TEAMS[1], 10, 0.8]],
    }


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    """The hostile backlog and capacity workbooks, as real xlsx files."""
    return (
        write_xlsx(tmp_path / "backlog.xlsx", {"Backlog": backlog_rows()}),
        write_xlsx(tmp_path / "capacity.xlsx", capacity_sheets()),
    )


@pytest.fixture
def scenarios(database, files) -> list[str]:
    """Two hostile scenarios, read by the importer; both saved with what-ifs naming a hostile team and Must."""
    backlog, capacity = read_backlog(files[0]), read_capacity(files[1])
    problems = [problem.as_dict() for problem in backlog.problems + capacity.problems]
    assert not backlog.has_errors and not capacity.has_errors, problems
    assert MUST in set(backlog.table["id"]) and set(TEAMS) == set(capacity.tables.people["team"])
    # The saved what-ifs pin the impossible Must out (so the plan, the comparison and the export have
    # something to show) and add a person to a hostile team (its name reaches the what-if summaries).
    what_if = {"version": 1, "headcount": {TEAMS[0]: 1}, "overrides": {MUST: {"pin": "out", "moscow": None}}}
    settings = {**import_settings(backlog, capacity), WHAT_IF_KEY: what_if}
    with Store(database) as store:
        first = store.create(hostile("scenario", one_line=True), backlog.table, capacity.tables, settings)
        second = store.duplicate(first, hostile("other scenario", one_line=True))
    return [first, second]


def session(scenarios: list[str]) -> AppTest:
    """A new session of the app on the Data page of the newest hostile scenario, its what-ifs restored."""
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.session_state["planner_scenario_id"] == scenarios[-1]
    assert set(at.session_state["planner_overrides"]) == {MUST}  # the picker restored the saved what-ifs
    return at


def visit(at: AppTest, page: str) -> AppTest:
    """The session switched to ``page`` (e.g. "plan") and run."""
    at.switch_page(f"pages/{page}.py").run()
    return at


def test_every_page_shows_hostile_text_inert(scenarios):
    at = session(scenarios)
    shown = assert_inert(at, "data")
    # Balance targets on a hostile item type, held: the Refinement labels, the plan and the export use them.
    visit(at, "refinement")
    kind = hostile("type0")
    at.number_input(key=f"planner_refinement_balance_{kind}").set_value(10).run()
    at.toggle(key="planner_refinement_hold_balance").set_value(True).run()
    assert at.session_state["planner_balance"] == {kind: 0.1}
    for page in PAGES:
        shown += assert_inert(visit(at, page), page)
    assert shown > 20  # the walk really met the hostile text, escaped


def test_plan_page_infeasible_message_and_headcount_labels_are_escaped(scenarios):
    at = session(scenarios)
    at.session_state["planner_overrides"] = {}  # the impossible Must counts again
    visit(at, "plan")
    assert_inert(at, "plan")
    [error] = at.error
    assert error.value.lstrip("`").startswith("No plan can hold every Must and pinned item")
    [(_, message)] = CODE_SPAN.findall(error.value)  # one code span: the whole message, as written
    assert markdown_code(MUST).strip("`") in message and message.endswith("is Must but cannot be planned: too-big")
    labels = [widget.label for widget in at.number_input if widget.key.startswith("planner_headcount_")]
    assert labels == [markdown_inert(team) for team in sorted(TEAMS)]
    assert_inert(visit(at, "export"), "export")


def test_the_plan_page_shows_the_hostile_plan(scenarios):
    at = visit(session(scenarios), "plan")
    assert_inert(at, "plan")
    assert not at.error
    plan = next(frame.value for frame in at.dataframe if {"sprint", "team", "id"} <= set(frame.value.columns))
    assert set(plan["team"]) <= set(TEAMS) and len(plan) > 0
    assert hostile("ID0") in set(plan["id"])  # pinned to the first hostile sprint by its sprint column
    assert set(plan.loc[plan["id"] == hostile("ID0"), "sprint"]) == {SPRINTS[0]}


def test_hostile_files_on_the_data_page_are_inert(files):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()  # the sample: nothing hostile saved
    at.file_uploader[0].upload(f"{FILE_NAME}.xlsx", files[0].read_bytes(), XLSX)
    at.file_uploader[1].set_value([(f"{FILE_NAME} capacity.xlsx", files[1].read_bytes(), XLSX)])
    at.run()
    assert_inert(at, "data (uploaded)")
    # Correct the hostile header's mapping: the correction is then named in a caption.
    editor = at.data_editor[0]
    row = list(editor.value["header"]).index(HEADER)
    at.session_state[editor.key] = {
        "edited_rows": {row: {"field": "acceptance_criteria"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert_inert(at, "data (corrected)")
    captions = " ".join(caption.value for caption in at.caption)
    assert markdown_inert(HEADER) in captions and markdown_inert(FILE_NAME) in captions
    assert sum("evil" in value for _, value in markdown_values(at)) >= 2  # file names and header, escaped

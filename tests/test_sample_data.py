"""The bundled sample data (data/generate_sample.py and the files it writes).

These tests read the files with openpyxl and csv only, never with the planner's own readers, so they
check the sample against the contract (SPEC sections 1 and 2) rather than against the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import importlib.util
import io
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

BACKLOG_HEADERS = [
    "id",
    "title",
    "type",
    "team",
    "initiative",
    "milestone",
    "milestone_type",
    "effort:backend",
    "effort:frontend",
    "effort:ios",
    "effort:design",
    "effort:data",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "priority",
    "moscow",
    "depends_on",
    "deadline",
    "status",
    "sprint",
    "labels",
    "description",
    "acceptance_criteria",
    "created",
    "updated",
]
CAPACITY_HEADERS = {
    "people": ["name", "team", "skills", "allocation", "days_per_sprint"],
    "sprints": ["sprint", "start", "end"],
    "ooo": ["name", "start", "end"],
    "oncall": ["name", "start", "end", "load"],
    "holidays": ["date", "team", "name"],
    "teams": ["team", "velocity", "focus_factor"],
}
SKILLS = ["backend", "frontend", "ios", "design", "data"]
EFFORT_COLUMNS = [f"effort:{skill}" for skill in SKILLS]
MILESTONE_TYPES = {"eng build milestone", "Released to Pilot", "Released to GA"}
WSJF_SCALE = {1, 2, 3, 5, 8, 13, 20}
PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}
MOSCOW = {"Must", "Should", "Could", "Won't"}
ITEM_TYPES = {"story", "bug", "tech debt", "design", "compliance", "claims on-call"}
WINDOW = (dt.date(2026, 11, 30), dt.date(2027, 1, 8))
SPRINT_27_END = dt.date(2026, 12, 11)
EXPORTED_AT = dt.datetime(2026, 11, 24, 16, 30)
JIRA_DATETIME = re.compile(
    r"^\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{2} "
    r"(1[0-2]|[1-9]):[0-5]\d (AM|PM)$"
)


def load_generator():
    """Import data/generate_sample.py (data/ is not a package)."""
    spec = importlib.util.spec_from_file_location("generate_sample", DATA / "generate_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.fixture(scope="module")
def paths(generator, tmp_path_factory):
    return generator.generate(tmp_path_factory.mktemp("sample"))


def sheet_records(path: Path, sheet: str) -> tuple[list[str], list[dict]]:
    """Headers and rows (as dicts) of one sheet."""
    workbook = openpyxl.load_workbook(path)
    rows = list(workbook[sheet].iter_rows(values_only=True))
    headers = list(rows[0])
    return headers, [dict(zip(headers, row)) for row in rows[1:]]


def cell_contents(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values and types, for comparing workbooks."""
    workbook = openpyxl.load_workbook(path)
    return {
        sheet.title: [tuple((cell.value, cell.data_type) for cell in row) for row in sheet.iter_rows()]
        for sheet in workbook.worksheets
    }


def as_date(value) -> dt.date:
    assert isinstance(value, dt.datetime), f"{value!r} is not an Excel date"
    return value.date()


def split(text) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()] if text else []


@pytest.fixture(scope="module")
def backlog(paths):
    headers, rows = sheet_records(paths["backlog"], "Backlog")
    assert headers == BACKLOG_HEADERS
    return rows


@pytest.fixture(scope="module")
def capacity(paths):
    return {sheet: sheet_records(paths["capacity"], sheet)[1] for sheet in CAPACITY_HEADERS}


@pytest.fixture(scope="module")
def jira(paths):
    raw = paths["jira"].read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return raw, rows[0], rows[1:]


def total_effort(item: dict) -> float:
    return sum(item[column] or 0 for column in EFFORT_COLUMNS)


def is_unestimated(item: dict) -> bool:
    return all(item[column] is None for column in EFFORT_COLUMNS)


# --- the generator ---------------------------------------------------------------------------------


def test_generate_writes_three_files(paths):
    assert {path.name for path in paths.values()} == {
        "sample_backlog.xlsx",
        "sample_capacity.xlsx",
        "sample_backlog_jira.csv",
    }
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths.values())


def test_generation_is_deterministic(generator, paths, tmp_path):
    again = generator.generate(tmp_path)
    assert again["jira"].read_bytes() == paths["jira"].read_bytes()
    for name in ("backlog", "capacity"):
        assert cell_contents(again[name]) == cell_contents(paths[name])
        assert again[name].read_bytes() == paths[name].read_bytes()


def test_bundled_files_are_up_to_date(paths):
    """The committed files in data/ are what the script writes now."""
    assert (DATA / "sample_backlog_jira.csv").read_bytes() == paths["jira"].read_bytes()
    assert cell_contents(DATA / "sample_backlog.xlsx") == cell_contents(paths["backlog"])
    assert cell_contents(DATA / "sample_capacity.xlsx") == cell_contents(paths["capacity"])


# --- backlog workbook ------------------------------------------------------------------------------


def test_backlog_sheet_and_size(paths, backlog):
    workbook = openpyxl.load_workbook(paths["backlog"])
    assert workbook.sheetnames == ["Backlog"]
    assert workbook["Backlog"].freeze_panes == "A2"
    assert 80 <= len(backlog) <= 150


def test_ids_unique_and_shaped(backlog):
    ids = [item["id"] for item in backlog]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"CARE-\d{3}", item_id) for item_id in ids)
    assert all(item["title"] and item["status"] for item in backlog)


def test_efforts(backlog):
    for item in backlog:
        efforts = [item[column] for column in EFFORT_COLUMNS if item[column] is not None]
        assert all(isinstance(value, (int, float)) and 0.5 <= value <= 20 for value in efforts), item["id"]
        assert len(efforts) <= 2, item["id"]
    unestimated = [item for item in backlog if is_unestimated(item)]
    assert 4 <= len(unestimated) <= 6
    big = [item for item in backlog if any((item[column] or 0) >= 12 for column in EFFORT_COLUMNS)]
    assert 2 <= len(big) <= 4
    assert all(max(item[column] or 0 for column in EFFORT_COLUMNS) <= 20 for item in big)
    one_or_two = [item for item in backlog if not is_unestimated(item)]
    assert sum(1 for item in one_or_two if total_effort(item) <= 8) > 0.8 * len(one_or_two)


def test_scores_priority_moscow_status(backlog):
    for item in backlog:
        for column in ("business_value", "time_criticality", "risk_reduction"):
            assert item[column] in WSJF_SCALE, (item["id"], column)
        assert item["priority"] in PRIORITIES
        assert item["moscow"] in MOSCOW
        assert item["type"] in ITEM_TYPES
    moscow = Counter(item["moscow"] for item in backlog)
    assert 0.10 <= moscow["Must"] / len(backlog) <= 0.15
    assert 2 <= moscow["Won't"] <= 6
    status = Counter(item["status"] for item in backlog)
    assert set(status) == {"To Do", "In Progress", "Done"}
    assert 2 <= status["Done"] <= 3
    assert status["To Do"] > len(backlog) / 2
    assert set(item["type"] for item in backlog) == ITEM_TYPES


def test_dependencies_exist_and_have_no_cycles(backlog):
    by_id = {item["id"]: item for item in backlog}
    deps = {item["id"]: split(item["depends_on"]) for item in backlog}
    assert 15 <= sum(1 for ids in deps.values() if ids) <= 25
    for item_id, prerequisites in deps.items():
        assert len(prerequisites) <= 2, item_id  # the Jira export has two Blocks columns
        for prerequisite in prerequisites:
            assert prerequisite in by_id, f"{item_id} depends on missing {prerequisite}"
            assert prerequisite != item_id
    state = {}

    def visit(item_id, path):
        assert state.get(item_id) != "visiting", f"cycle: {path}"
        if state.get(item_id) == "done":
            return
        state[item_id] = "visiting"
        for prerequisite in deps[item_id]:
            visit(prerequisite, [*path, prerequisite])
        state[item_id] = "done"

    for item_id in deps:
        visit(item_id, [item_id])
    done = {item["id"] for item in backlog if item["status"] == "Done"}
    assert any(done & set(prerequisites) for prerequisites in deps.values()), "a Done prerequisite"
    same_initiative = sum(
        1
        for item_id, prerequisites in deps.items()
        for prerequisite in prerequisites
        if by_id[prerequisite]["initiative"] == by_id[item_id]["initiative"]
    )
    assert same_initiative > 0.7 * sum(len(prerequisites) for prerequisites in deps.values())


def test_deadlines_sprints_and_dates(backlog):
    deadlines = [as_date(item["deadline"]) for item in backlog if item["deadline"] is not None]
    assert 6 <= len(deadlines) <= 10
    # One open item is deliberately overdue (for the refinement checks); the rest fall in the window.
    overdue = [d for d in deadlines if d < EXPORTED_AT.date()]
    assert len(overdue) == 1
    assert all(WINDOW[0] <= deadline <= WINDOW[1] for deadline in deadlines if deadline not in overdue)
    pinned = [item for item in backlog if item["sprint"]]
    assert 2 <= len(pinned) <= 3
    # Pins are to the first planned sprint, and one item is left over from the past Sprint 26.
    assert {item["sprint"] for item in pinned} == {"Sprint 27", "Sprint 26"}
    assert [item["status"] for item in pinned if item["sprint"] == "Sprint 26"] == ["In Progress"]
    for item in backlog:
        created, updated = item["created"], item["updated"]
        assert isinstance(created, dt.datetime) and isinstance(updated, dt.datetime)
        assert created <= updated <= EXPORTED_AT
    stale = [item for item in backlog if (EXPORTED_AT - item["updated"]).days > 180]
    assert 2 <= len(stale) <= 4


def test_initiatives_and_milestones(backlog):
    initiatives = {item["initiative"] for item in backlog if item["initiative"]}
    assert 4 <= len(initiatives) <= 6
    malformed = set()
    for item in backlog:
        if not item["milestone"]:
            assert item["milestone_type"] is None
            continue
        parts = item["milestone"].split(" | ")
        if len(parts) == 3 and parts[0] == item["initiative"] and parts[1] in MILESTONE_TYPES:
            assert item["milestone_type"] == parts[1]
        else:
            malformed.add(item["milestone"])
    assert 2 <= len(malformed) <= 3
    assert all(item["initiative"] for item in backlog if item["milestone"])


def test_realistic_oddities(paths, backlog):
    assert any(not item["team"] for item in backlog), "items any team may take"
    claims = [item for item in backlog if item["type"] == "claims on-call"]
    assert claims and all("claims" in split(item["labels"]) for item in claims)
    compliance = [item["title"] for item in backlog if item["type"] == "compliance"]
    assert any("HEDIS" in title for title in compliance)
    assert any("Medicaid" in title for title in compliance)
    assert any(not item["acceptance_criteria"] for item in backlog if not is_unestimated(item))
    assert any(not item["description"] for item in backlog)
    assert any(
        "\n" in (item["description"] or "") and '"' in item["description"] and "," in item["description"]
        for item in backlog
    )
    titles = [item["title"] for item in backlog]
    assert any(
        re.search(r"[éü]", title)
        and re.search(r"[\u4e00-\u9fff\u3040-\u30ff]", title)
        and re.search(r"[\U0001F300-\U0001FAFF]", title)
        for title in titles
    )
    near_duplicates = [
        (a, b)
        for index, a in enumerate(titles)
        for b in titles[index + 1 :]
        if a != b and difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() > 0.9
    ]
    assert 1 <= len(near_duplicates) <= 2
    assert any(title.startswith("+") for title in titles)


def test_formula_like_title_is_plain_text(paths):
    sheet = openpyxl.load_workbook(paths["backlog"])["Backlog"]
    cells = [row[1] for row in sheet.iter_rows(min_row=2) if str(row[1].value).startswith("=")]
    assert len(cells) == 1
    assert cells[0].value == '=HYPERLINK("http://example.com","click")'
    assert cells[0].data_type == "s"


def test_backlog_dates_are_excel_dates(paths):
    sheet = openpyxl.load_workbook(paths["backlog"])["Backlog"]
    columns = {header: index for index, header in enumerate(BACKLOG_HEADERS)}
    for row in sheet.iter_rows(min_row=2):
        for header in ("deadline", "created", "updated"):
            cell = row[columns[header]]
            assert cell.value is None or (cell.is_date and isinstance(cell.value, dt.datetime))


# --- capacity workbook -----------------------------------------------------------------------------


def test_capacity_sheets_and_headers(paths):
    workbook = openpyxl.load_workbook(paths["capacity"])
    assert workbook.sheetnames == list(CAPACITY_HEADERS)
    for sheet, headers in CAPACITY_HEADERS.items():
        assert [cell.value for cell in workbook[sheet][1]] == headers
        assert workbook[sheet].freeze_panes == "A2"
        for row in workbook[sheet].iter_rows(min_row=2):
            for header, cell in zip(headers, row):
                if header in ("start", "end", "date"):
                    assert cell.is_date and isinstance(cell.value, dt.datetime), (sheet, header)


def test_people(capacity):
    people = capacity["people"]
    teams = {row["team"] for row in capacity["teams"]}
    assert len(people) == 16
    assert len({person["name"] for person in people}) == 16
    assert {person["team"] for person in people} == teams
    skill_counts = Counter(len(split(person["skills"])) for person in people)
    assert set(skill_counts) <= {1, 2} and skill_counts[1] > skill_counts[2] > 0
    assert all(set(split(person["skills"])) <= set(SKILLS) for person in people)
    allocations = [person["allocation"] for person in people if person["allocation"] is not None]
    assert all(0 < allocation <= 1 for allocation in allocations)
    assert 0.5 in allocations and 0.8 in allocations
    assert [person["days_per_sprint"] for person in people if person["days_per_sprint"]] == [6]


def test_sprints_and_holidays(capacity):
    sprints = [(row["sprint"], as_date(row["start"]), as_date(row["end"])) for row in capacity["sprints"]]
    assert sprints == [
        ("Sprint 27", dt.date(2026, 11, 30), dt.date(2026, 12, 11)),
        ("Sprint 28", dt.date(2026, 12, 14), dt.date(2026, 12, 25)),
        ("Sprint 29", dt.date(2026, 12, 28), dt.date(2027, 1, 8)),
    ]
    holidays = {(as_date(row["date"]), row["team"], row["name"]) for row in capacity["holidays"]}
    assert holidays == {
        (dt.date(2026, 11, 26), None, "Thanksgiving"),
        (dt.date(2026, 12, 25), None, "Christmas Day"),
        (dt.date(2027, 1, 1), None, "New Year's Day"),
    }


def test_ooo(capacity):
    names = {person["name"] for person in capacity["people"]}
    ranges = [(row["name"], as_date(row["start"]), as_date(row["end"])) for row in capacity["ooo"]]
    assert 6 <= len(ranges) <= 10
    assert all(name in names and start <= end for name, start, end in ranges)
    assert any(start <= SPRINT_27_END < end for _, start, end in ranges), "crosses a sprint boundary"
    assert any(start <= dt.date(2026, 12, 25) <= end for _, start, end in ranges), "over Christmas"


def test_oncall_rotation(capacity):
    people = {person["name"]: person for person in capacity["people"]}
    rows = capacity["oncall"]
    weeks = [(as_date(row["start"]), as_date(row["end"])) for row in rows]
    assert weeks[0][0] == WINDOW[0] and weeks[-1][1] >= WINDOW[1]
    for (_, end), (next_start, _) in pairwise(weeks):
        assert next_start == end + dt.timedelta(days=1)
    for row, (start, end) in zip(rows, weeks):
        assert start.weekday() == 0 and end == start + dt.timedelta(days=6)
        person = people[row["name"]]
        assert "backend" in split(person["skills"])
        assert person["team"] in {"pod-scale", "pod-encounters"}
        assert row["load"] in (0.5, None)
    loads = [row["load"] for row in rows]
    assert loads.count(0.5) > loads.count(None) > 0


def test_teams(capacity):
    teams = capacity["teams"]
    assert {"pod-scale", "pod-encounters", "pod-protocols"} <= {row["team"] for row in teams}
    assert all(row["velocity"] > 0 and 0.7 <= row["focus_factor"] <= 0.85 for row in teams)


# --- the two files together ------------------------------------------------------------------------


def net_days_in_sprint(person: dict, capacity: dict, sprint: tuple[dt.date, dt.date], focus: float) -> float:
    """A rough SPEC section 2 net capacity (on-call load blank = 1, the CLI default)."""
    start, end = sprint
    holidays = {as_date(row["date"]) for row in capacity["holidays"]}
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    working = [day for day in days if day.weekday() < 5 and day not in holidays]

    def covered(rows):
        return {
            day
            for row in rows
            if row["name"] == person["name"]
            for day in working
            if as_date(row["start"]) <= day <= as_date(row["end"])
        }

    away = covered(capacity["ooo"])
    oncall_days = sum(
        (row["load"] if row["load"] is not None else 1)
        for day in working
        if day not in away
        for row in capacity["oncall"]
        if row["name"] == person["name"] and as_date(row["start"]) <= day <= as_date(row["end"])
    )
    allocation = person["allocation"] if person["allocation"] is not None else 1
    if person["days_per_sprint"]:
        available = person["days_per_sprint"]
    else:
        available = (len(working) - len(away)) * allocation
    return max(0.0, (available - oncall_days) * focus)


def test_must_and_pinned_items_fit_the_first_sprint(backlog, capacity):
    """The sample must plan with the defaults (one sprint): Must and pinned items fit Sprint 27."""
    sprint = (dt.date(2026, 11, 30), SPRINT_27_END)
    focus = {row["team"]: row["focus_factor"] for row in capacity["teams"]}
    net = {
        person["name"]: net_days_in_sprint(person, capacity, sprint, focus[person["team"]])
        for person in capacity["people"]
    }
    by_id = {item["id"]: item for item in backlog}
    forced = [item for item in backlog if item["status"] != "Done" and (item["moscow"] == "Must" or item["sprint"])]
    for item in forced:
        assert not is_unestimated(item) and total_effort(item) <= 5, item["id"]
        assert item["moscow"] != "Won't"
        assert item["deadline"] is None or as_date(item["deadline"]) >= SPRINT_27_END, item["id"]
        for prerequisite in split(item["depends_on"]):
            needed = by_id[prerequisite]
            assert needed["status"] == "Done" or needed in forced, (item["id"], prerequisite)
    for team in focus:
        members = [person for person in capacity["people"] if person["team"] == team]
        team_items = [item for item in forced if item["team"] == team]
        assert sum(map(total_effort, team_items)) <= 0.8 * sum(net[p["name"]] for p in members), team
        for skill in SKILLS:
            demand = sum(item[f"effort:{skill}"] or 0 for item in team_items)
            supply = sum(net[p["name"]] for p in members if skill in split(p["skills"]))
            assert demand <= 0.8 * supply, (team, skill)
    assert sum(map(total_effort, forced)) <= 0.6 * sum(net.values())


def test_big_items_cannot_fit_any_sprint(backlog, capacity):
    """Items of 12+ days of one skill exceed what their team has of that skill in a sprint."""
    focus = {row["team"]: row["focus_factor"] for row in capacity["teams"]}
    for item in backlog:
        for skill in SKILLS:
            days = item[f"effort:{skill}"] or 0
            if days < 12:
                continue
            members = [p for p in capacity["people"] if p["team"] == item["team"] and skill in split(p["skills"])]
            most = sum(10 * (p["allocation"] or 1) for p in members) * focus[item["team"]]
            assert days > most, (item["id"], skill, most)


def test_assignees_and_owners_exist(backlog, capacity, jira):
    names = {person["name"] for person in capacity["people"]}
    _, headers, rows = jira
    assignees = {row[headers.index("Assignee")] for row in rows} - {""}
    assert assignees and assignees <= names
    assert {item["team"] for item in backlog if item["team"]} <= {row["team"] for row in capacity["teams"]}


# --- Jira CSV --------------------------------------------------------------------------------------


def test_jira_encoding_and_headers(jira):
    raw, headers, rows = jira
    assert raw.startswith(b"\xef\xbb\xbfSummary,Issue key,")
    counts = Counter(headers)
    assert counts["Sprint"] == 2 and counts["Labels"] == 3 and counts["Inward issue link (Blocks)"] == 2
    for header in (
        "Issue key",
        "Issue id",
        "Issue Type",
        "Status",
        "Priority",
        "Assignee",
        "Created",
        "Updated",
        "Due date",
        "Custom field (Story Points)",
        "Custom field (Team)",
        "Epic Link",
        "Description",
        "Custom field (Acceptance Criteria)",
    ):
        assert counts[header] == 1, header
    assert all(len(row) == len(headers) for row in rows)
    assert raw.decode("utf-8-sig").splitlines()[0] == ",".join(headers)  # minimal quoting


def column_values(headers: list[str], row: list[str], name: str) -> list[str]:
    return [value for header, value in zip(headers, row) if header == name]


def test_jira_is_the_same_backlog(backlog, jira):
    _, headers, rows = jira
    assert len(rows) == len(backlog)

    def one(row, name):
        (value,) = column_values(headers, row, name)
        return value

    for item, row in zip(backlog, rows):
        assert one(row, "Issue key") == item["id"]
        assert one(row, "Summary") == item["title"]
        assert one(row, "Status") == item["status"]
        assert one(row, "Priority") == item["priority"]
        assert one(row, "Custom field (MoSCoW)") == item["moscow"]
        assert one(row, "Custom field (Team)") == (item["team"] or "")
        assert one(row, "Epic Link") == (item["initiative"] or "")
        assert one(row, "Custom field (Milestone)") == (item["milestone"] or "")
        assert one(row, "Issue Type").lower() == item["type"].lower()
        points = one(row, "Custom field (Story Points)")
        if is_unestimated(item):
            assert points == ""
        else:
            assert float(points) == pytest.approx(total_effort(item))
        assert float(one(row, "Custom field (Business Value)")) == item["business_value"]
        blocks = [value for value in column_values(headers, row, "Inward issue link (Blocks)") if value]
        assert blocks == split(item["depends_on"])
        labels = column_values(headers, row, "Labels")
        assert [label for label in labels if label] == split(item["labels"])
        assert labels == sorted(labels, key=lambda label: label == "")  # filled columns first
        assert one(row, "Description") == (item["description"] or "")
        assert one(row, "Custom field (Acceptance Criteria)") == (item["acceptance_criteria"] or "")


def test_jira_dates(backlog, jira):
    _, headers, rows = jira
    for item, row in zip(backlog, rows):
        for name in ("Created", "Updated"):
            (value,) = column_values(headers, row, name)
            assert JIRA_DATETIME.match(value), value
            assert dt.datetime.strptime(value, "%d/%b/%y %I:%M %p") == item[name.lower()]
        (due,) = column_values(headers, row, "Due date")
        if item["deadline"] is None:
            assert due == ""
        else:
            assert JIRA_DATETIME.match(due) and due.endswith(" 12:00 AM"), due
            assert dt.datetime.strptime(due, "%d/%b/%y %I:%M %p") == item["deadline"]


def test_jira_sprints(backlog, jira):
    _, headers, rows = jira
    carried_over = 0
    for item, row in zip(backlog, rows):
        first, last = column_values(headers, row, "Sprint")
        if item["sprint"]:
            assert last == item["sprint"]
            carried_over += first == "Sprint 26"
        else:
            assert first == last == ""
    assert carried_over >= 1


def test_jira_multiline_and_relates(jira):
    raw, headers, rows = jira
    descriptions = [row[headers.index("Description")] for row in rows]
    assert any("\n" in text and '"' in text and "," in text for text in descriptions)
    assert b'"=HYPERLINK(""http://example.com"",""click"")"' in raw
    keys = {row[headers.index("Issue key")] for row in rows}
    relates = [row[headers.index("Outward issue link (Relates)")] for row in rows]
    assert any(relates) and set(relates) - {""} <= keys
    issue_ids = [row[headers.index("Issue id")] for row in rows]
    assert all(value.isdigit() for value in issue_ids) and len(set(issue_ids)) == len(rows)

"""Write one small backlog as four tracker exports (Jira, Asana, Linear, Azure DevOps), as each tool writes them.

Run ``python tests/data/trackers/make_exports.py`` to regenerate the CSV files next to this script;
``tests/test_tracker_exports.py`` reads them and plans each against the same capacity workbook.
The items are the same in every export: titles, teams, story points, priorities, done items, sprints
(``Sprint 42`` is before the capacity's first sprint: carry-over; ``Sprint 47`` is after its last;
Azure DevOps writes the project root ``Care`` for an item in no sprint) and dependencies (Azure DevOps
query exports hold no links, so its export has none).
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent

# title, team, points, priority (5 Highest .. 2 Low), done, sprint number (None: no sprint), prerequisites (numbers)
ITEMS: list[tuple[str, str, int, int, bool, int | None, tuple[int, ...]]] = [
    ("Claims intake API", "Scale", 5, 4, False, 43, ()),
    ("Claims intake UI", "Scale", 3, 3, False, 43, (1,)),
    ("Audit log", "Scale", 8, 5, False, 42, ()),
    ("Eligibility check", "Scale", 5, 3, False, None, ()),
    ("Payer directory sync", "Scale", 8, 2, False, None, ()),
    ("Claims export CSV", "Scale", 2, 2, False, None, ()),
    ("Rate limiter", "Scale", 3, 4, True, 42, ()),
    ("Onboarding wizard", "Scale", 13, 3, False, 47, ()),
    ("Load test harness", "Scale", 5, 2, False, None, ()),
    ("Protocol builder canvas", "Protocols", 8, 5, False, 43, ()),
    ("Canvas zoom crash", "Protocols", 2, 5, False, 42, ()),
    ("Protocol versioning", "Protocols", 5, 4, False, None, (10,)),
    ("Protocol templates", "Protocols", 3, 3, False, None, ()),
    ("Dosage calculator", "Protocols", 8, 4, False, 44, ()),
    ("Protocol search", "Protocols", 5, 2, False, None, ()),
    ("Print view", "Protocols", 2, 2, False, None, ()),
    ("Protocol import", "Protocols", 13, 3, False, 47, ()),
    ("Old canvas spike", "Protocols", 3, 3, True, 42, ()),
    ("Review workflow", "Protocols", 5, 2, False, None, (12,)),
    ("Accessibility audit", "Scale", 3, 4, True, None, ()),
]

JIRA_PRIORITY = {5: "Highest", 4: "High", 3: "Medium", 2: "Low"}
LINEAR_PRIORITY = {5: "Urgent", 4: "High", 3: "Medium", 2: "Low"}
ADO_PRIORITY = {5: "1", 4: "2", 3: "3", 2: "4"}
LINEAR_KEY = {"Scale": "SCA", "Protocols": "PRO"}


def jira_key(number: int) -> str:
    return f"CARE-{number}"


def asana_id(number: int) -> str:
    return f"12073450000{number:05d}"


def linear_id(number: int) -> str:
    return f"{LINEAR_KEY[ITEMS[number - 1][1]]}-{number}"


def ado_id(number: int) -> str:
    return str(4100 + number)


def write(name: str, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with open(HERE / name, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def jira() -> None:
    header = [
        "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Assignee", "Created", "Updated",
        "Sprint", "Sprint", "Custom field (Story Points)", "Custom field (Team)", "Inward issue link (Blocks)",
        "Outward issue link (Relates)",
    ]  # fmt: skip
    rows = []
    for number, (title, team, points, priority, done, sprint, needs) in enumerate(ITEMS, start=1):
        # An item left open in a sprint keeps every sprint it was in: Jira writes one Sprint column each.
        sprints = ["CARE Sprint 41", "CARE Sprint 42"] if sprint == 42 and not done else [
            f"CARE Sprint {sprint}" if sprint else "", ""]  # fmt: skip
        rows.append([
            title, jira_key(number), str(10000 + number), "Story", "Done" if done else "To Do",
            JIRA_PRIORITY[priority], "", "02/Mar/26 9:00 AM", "09/Mar/26 4:30 PM", *sprints, str(points), team,
            ", ".join(jira_key(n) for n in needs), "",
        ])  # fmt: skip
    write("jira.csv", header, rows, "utf-8-sig")


def asana() -> None:
    header = [
        "Task ID", "Created At", "Completed At", "Last Modified", "Name", "Section/Column", "Assignee",
        "Assignee Email", "Start Date", "Due Date", "Tags", "Notes", "Projects", "Parent task",
        "Blocked By (Dependencies)", "Blocking (Dependents)", "Team", "Points", "Priority", "Sprint",
    ]  # fmt: skip
    blocking: dict[int, list[int]] = {}
    for number, item in enumerate(ITEMS, start=1):
        for need in item[6]:
            blocking.setdefault(need, []).append(number)
    rows = []
    for number, (title, team, points, priority, done, sprint, needs) in enumerate(ITEMS, start=1):
        rows.append([
            asana_id(number), "2026-03-02", "2026-03-06" if done else "", "2026-03-09", title,
            "Done" if done else "Backlog", "", "", "", "", "", "", "Care", "",
            ",".join(asana_id(n) for n in needs), ",".join(asana_id(n) for n in blocking.get(number, [])),
            team, str(points), JIRA_PRIORITY[priority], f"Sprint {sprint}" if sprint else "",
        ])  # fmt: skip
    write("asana.csv", header, rows)


def linear() -> None:
    header = [
        "ID", "Team", "Title", "Description", "Status", "Estimate", "Priority", "Project", "Creator", "Assignee",
        "Labels", "Cycle Number", "Cycle Name", "Due Date", "Created", "Updated", "Completed", "Canceled",
        "Blocked by", "Project Milestone",
    ]  # fmt: skip
    rows = []
    for number, (title, team, points, priority, done, sprint, needs) in enumerate(ITEMS, start=1):
        rows.append([
            linear_id(number), team, title, "", "Done" if done else "Todo", str(points), LINEAR_PRIORITY[priority],
            "Care", "Ada", "", "", str(sprint) if sprint else "", f"Cycle {sprint}" if sprint else "", "",
            "2026-03-02T09:00:00.000Z", "2026-03-09T16:30:00.000Z", "2026-03-06T10:00:00.000Z" if done else "", "",
            ", ".join(linear_id(n) for n in needs), "",
        ])  # fmt: skip
    write("linear.csv", header, rows)


def ado() -> None:
    header = [
        "ID", "Work Item Type", "Title", "Assigned To", "State", "Tags", "Area Path", "Iteration Path", "Effort",
        "Priority",
    ]  # fmt: skip
    rows = []
    for number, (title, team, points, priority, done, sprint, _needs) in enumerate(ITEMS, start=1):
        rows.append([
            ado_id(number), "Product Backlog Item", title, "", "Done" if done else "New", "", f"Care\\{team}",
            f"Care\\Sprint {sprint}" if sprint else "Care", str(points), ADO_PRIORITY[priority],
        ])  # fmt: skip
    write("ado.csv", header, rows)


if __name__ == "__main__":
    jira()
    asana()
    linear()
    ado()

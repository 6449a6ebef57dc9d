"""Four tracker exports of one backlog plan the same items (issue 13).

``tests/data/trackers/`` holds one backlog of 20 items written as Jira, Asana, Linear and Azure DevOps
write their CSV exports (``make_exports.py`` regenerates them). Each tracker names sprints its own way:
``CARE Sprint 43`` (Jira), ``Sprint 43`` (an Asana custom field), ``Cycle 43`` (Linear), ``Care\\Sprint 43``
and the project root ``Care`` for no sprint (Azure DevOps). Read, treated against the capacity
workbook's sprints (``Sprint 43`` to ``Sprint 45``) and planned in points, every export plans the
same items: the two items still open from ``Sprint 42`` as carry-over, none of the two items of
``Sprint 47``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, write_xlsx

from planner.capacity import CapacitySettings, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.planning_backlog import planning_backlog
from planner.solve import SolveOptions, capacity_sprint_names, make_plan
from planner.sprint_values import CARRY_OVER_COLUMN, SprintTreatment

TRACKERS = DATA / "trackers"
EXPORTS = {"jira": "jira.csv", "asana": "asana.csv", "linear": "linear.csv", "ado": "ado.csv"}
TODAY = date(2026, 3, 13)
PLANNED = {
    "Audit log",  # carry-over from Sprint 42
    "Canvas zoom crash",  # carry-over from Sprint 42
    "Claims export CSV",
    "Claims intake API",
    "Claims intake UI",
    "Dosage calculator",
    "Eligibility check",
    "Load test harness",
    "Print view",
    "Protocol builder canvas",
    "Protocol templates",
    "Protocol versioning",
}


def capacity_workbook(path: Path) -> Path:
    """Two pods of two people, velocity 10 points a sprint each, sprints 43 to 45."""
    return write_xlsx(
        path,
        {
            "people": [
                ["name", "team", "skills", "allocation"],
                ["Ada", "Scale", "", 1],
                ["Grace", "Scale", "", 1],
                ["Alan", "Protocols", "", 1],
                ["Edsger", "Protocols", "", 1],
            ],
            "sprints": [
                ["sprint", "start", "end"],
                ["Sprint 43", date(2026, 3, 16), date(2026, 3, 27)],
                ["Sprint 44", date(2026, 3, 30), date(2026, 4, 10)],
                ["Sprint 45", date(2026, 4, 13), date(2026, 4, 24)],
            ],
            "teams": [["team", "velocity"], ["Scale", 10], ["Protocols", 10]],
        },
    )


@pytest.fixture(scope="module")
def capacity(tmp_path_factory):
    read = read_capacity(capacity_workbook(tmp_path_factory.mktemp("capacity") / "capacity.xlsx"))
    assert not read.problems
    net = compute_capacity(read.tables, CapacitySettings(unit="points", start=date(2026, 3, 16)), today=TODAY)
    return capacity_sprint_names(read.tables), net


def plan_of(tracker: str, capacity, treat: bool = True):
    names, net = capacity
    read = read_backlog(TRACKERS / EXPORTS[tracker])
    assert not read.has_errors, [str(p) for p in read.problems]
    backlog = planning_backlog(read.table, read.value_rule, sprints=SprintTreatment(names) if treat else None)
    plan = make_plan(backlog, net, options=SolveOptions(time_limit=20), today=TODAY)
    titles = dict(zip(backlog["id"], backlog["title"]))
    return backlog, plan, {titles[a.id] for a in plan.selected}


def test_the_four_exports_hold_the_same_backlog():
    tables = {tracker: read_backlog(TRACKERS / name) for tracker, name in EXPORTS.items()}
    shapes = {
        tracker: sorted(zip(read.table["title"], read.table["team"], read.table["effort"], read.table["done"]))
        for tracker, read in tables.items()
    }
    assert len(shapes["jira"]) == 20
    assert all(shape == shapes["jira"] for shape in shapes.values())
    assert {read.value_rule for read in tables.values()} == {"priority"}
    values = {tracker: sorted(zip(read.table["title"], read.table["value"])) for tracker, read in tables.items()}
    assert all(value == values["jira"] for value in values.values())


@pytest.mark.parametrize("tracker", list(EXPORTS))
def test_each_export_plans_the_same_items(tracker, capacity):
    backlog, plan, planned = plan_of(tracker, capacity)
    assert plan.status == "optimal"
    assert planned == PLANNED
    carried = backlog.loc[backlog[CARRY_OVER_COLUMN].notna(), "title"]
    assert set(carried) == {"Audit log", "Canvas zoom crash"}
    reasons = {exclusion.id: exclusion.reason for exclusion in plan.excluded}
    titles = dict(zip(backlog["id"], backlog["title"]))
    later = sorted(titles[item] for item, reason in reasons.items() if reason.startswith("pinned-later"))
    assert later == ["Onboarding wizard", "Protocol import"]


def test_the_ado_root_iteration_no_longer_excludes_the_backlog(capacity):
    """Before the treatment, 9 open items in ``Care`` (and 2 carry-over) were settled pinned-later."""
    _, plan, planned = plan_of("ado", capacity, treat=False)
    reasons = pd.Series({exclusion.id: exclusion.reason for exclusion in plan.excluded})
    assert (reasons == "pinned-later Care").sum() == 9
    assert len(planned) == 4
    _, _, treated = plan_of("ado", capacity)
    assert len(treated) == 12

"""Backlog refinement checks (issue 7): each check on small fixtures, a clean backlog, the sample."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from plan_fixtures import backlog, capacity

from planner.capacity import compute_capacity
from planner.errors import PlannerError, SettingsError
from planner.refine import CHECKS, CheckSettings, Finding, findings_frame, near_term, run_checks, suggest_milestone
from planner.schema import CapacityTables

TODAY = date(2026, 1, 2)  # just before the fixtures' first sprint (S1: 2026-01-05 .. 01-16)
SETTINGS = CheckSettings(today=TODAY, stale_days=30)
ROOT = Path(__file__).resolve().parents[1]


def clean_item(n: int, **changes) -> dict:
    """A complete, ready, small item of team a."""
    titles = [
        "Login page",
        "Billing export",
        "Audit trail for claims",
        "Offline drafts on iOS",
        "Nightly data warehouse load",
        "Password reset email",
    ]
    item = {
        "id": f"X-{n}",
        "title": titles[n],
        "team": "a",
        "effort": 2.0,
        "value": 10.0 - n,
        "moscow": "Must" if n == 0 else "Should",
        "type": "story" if n % 2 == 0 else "tech debt",
        "description": "Why and what.",
        "acceptance_criteria": "Given, when, then.",
        "milestone": "Portal | eng build milestone | Login",
        "initiative": "Portal",
        "milestone_type": "eng build milestone",
        "deadline": "2026-03-01",
        "updated": "2025-12-20",
        "labels": "portal",
    }
    item.update(changes)
    return item


def clean_backlog(**changes_of_first):
    return backlog(clean_item(0, **changes_of_first), *(clean_item(n) for n in range(1, 4)))


def team_capacity(days: float = 10.0, sprints: int = 2, people=None):
    people = people or [("ann", "a", "backend", days), ("bob", "b", "ios", days)]
    return compute_capacity(capacity(people, sprints=sprints), today=TODAY)


def found(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def ids_of(findings: list[Finding]) -> set[str]:
    return {item for f in findings for item in f.items}


# --------------------------------------------------------------------------------------------------
# No false alarms


@pytest.mark.parametrize("check", list(CHECKS))
def test_clean_backlog_has_no_findings(check):
    settings = CheckSettings(today=TODAY, stale_days=30, balance_targets={"tech debt": 0.2, "story": 0.2})
    findings = run_checks(clean_backlog(), team_capacity(), settings, only=[check])
    assert findings == []


def test_clean_backlog_without_capacity_has_no_findings():
    assert run_checks(clean_backlog(), None, SETTINGS) == []


def test_unknown_check_name_is_refused():
    with pytest.raises(SettingsError, match="unknown checks: nope"):
        run_checks(clean_backlog(), None, SETTINGS, only=["nope"])


# --------------------------------------------------------------------------------------------------
# Not ready


@pytest.mark.parametrize(
    "change, severity, words",
    [
        ({"effort": None}, "error", "no estimate"),
        ({"acceptance_criteria": None}, "warning", "no acceptance criteria"),
        ({"description": "  "}, "warning", "no description"),
        ({"team": None}, "warning", "no owner team"),
    ],
)
def test_not_ready_near_term_item(change, severity, words):
    findings = run_checks(clean_backlog(**change), None, SETTINGS, only=["not-ready"])
    assert [(f.items, f.severity) for f in findings] == [(("X-0",), severity)]
    assert words in findings[0].message


def test_long_term_items_may_be_vague():
    vague = {"id": "L-1", "title": "Someday idea", "moscow": "Could", "value": 1.0}  # no estimate, no text
    table = backlog(clean_item(0), vague)
    assert run_checks(table, None, SETTINGS, only=["not-ready"]) == []
    # ... unless the horizon reaches it, or it is pinned to a sprint
    assert ids_of(run_checks(table, None, CheckSettings(today=TODAY, horizon_items=2), only=["not-ready"])) == {"L-1"}
    pinned = backlog(clean_item(0), {**vague, "sprint": "S1"})
    assert ids_of(run_checks(pinned, None, SETTINGS, only=["not-ready"])) == {"L-1"}


def test_near_term_with_capacity_fills_by_rank():
    items = [clean_item(n, effort=8.0, moscow="Could") for n in range(4)]
    near = near_term(backlog(*items), team_capacity(days=5.0, sprints=1), SETTINGS)  # 10 days in all
    assert near.tolist() == [True, True, False, False]  # best value first; fill stops once full


# --------------------------------------------------------------------------------------------------
# Oversized


def test_oversized_more_than_team_sprint_is_error():
    table = clean_backlog(effort=12.0)
    findings = run_checks(
        table, team_capacity(days=10.0), CheckSettings(today=TODAY, split_threshold=None), only=["oversized"]
    )
    assert [(f.items, f.severity, f.action) for f in findings] == [(("X-0",), "error", "split into smaller items")]
    assert "more than a can hold in one sprint (10 days)" in findings[0].message


def test_oversized_per_skill():
    table = backlog(clean_item(0, **{"effort": 12.0, "effort:backend": 6.0, "effort:ios": 6.0}))
    people = [("ann", "a", "backend", 5.0), ("cy", "a", "ios", 8.0)]
    findings = run_checks(table, team_capacity(people=people), SETTINGS, only=["oversized"])
    assert [(f.items, f.severity) for f in findings] == [(("X-0",), "error")]
    assert "of backend" in findings[0].message


def test_split_threshold_warns_without_capacity():
    findings = run_checks(
        clean_backlog(effort=9.0), None, CheckSettings(today=TODAY, split_threshold=8.0), only=["oversized"]
    )
    assert [(f.items, f.severity) for f in findings] == [(("X-0",), "warning")]
    assert (
        run_checks(
            clean_backlog(effort=9.0), None, CheckSettings(today=TODAY, split_threshold=None), only=["oversized"]
        )
        == []
    )


# --------------------------------------------------------------------------------------------------
# Milestones


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "Encounter Notes v2 - Released to Pilot - Voice dictation",
            "Encounter Notes v2 | Released to Pilot | Voice dictation",
        ),
        ("Portal: released to ga", "Portal | Released to GA"),
        ("Portal|Eng Build Milestone|Login", "Portal | eng build milestone | Login"),
        ("Portal | Released to Pilto | Clinic A", "Portal | Released to Pilot | Clinic A"),
        ("Protocol Builder | Beta | Template library", None),
    ],
)
def test_suggest_milestone(name, expected):
    assert suggest_milestone(name, CheckSettings().milestone_types) == expected


def test_suggest_milestone_uses_the_initiative_when_the_name_lacks_it():
    assert suggest_milestone("Released to GA", CheckSettings().milestone_types, "Portal") == "Portal | Released to GA"


def test_milestone_findings():
    table = backlog(
        clean_item(0, milestone="Portal - Released to Pilot - Clinic A"),
        clean_item(1, milestone="Portal | Beta | Templates"),
        clean_item(2, milestone="Portal | Beta | Templates"),
        clean_item(3, milestone=None, milestone_type="Relased to GA"),
    )
    findings = run_checks(table, None, SETTINGS, only=["milestone"])
    assert [(f.items, f.severity) for f in findings] == [
        (("X-0",), "warning"),
        (("X-1", "X-2"), "warning"),
        (("X-3",), "warning"),
    ]
    assert findings[0].action == "rename it to 'Portal | Released to Pilot | Clinic A'"
    assert "unknown type 'Beta'" in findings[1].message and "Released to GA" in findings[1].action
    assert findings[2].action == "set the type to 'Released to GA'"


def test_milestone_types_are_configurable():
    table = clean_backlog(milestone="Portal | Beta | Templates")
    settings = CheckSettings(today=TODAY, milestone_types=("Beta", "eng build milestone"))
    assert run_checks(table, None, settings, only=["milestone"]) == []


# --------------------------------------------------------------------------------------------------
# Overdue


def test_overdue_deadline_passed():
    table = backlog(clean_item(0, deadline="2025-12-31"), clean_item(1, deadline="2025-12-01", done=True))
    findings = run_checks(table, None, SETTINGS, only=["overdue"])
    assert [(f.items, f.severity, f.action) for f in findings] == [(("X-0",), "error", "set a new due date")]


def test_deadline_before_first_sprint_ends():
    findings = run_checks(clean_backlog(deadline="2026-01-09"), team_capacity(), SETTINGS, only=["overdue"])
    assert [(f.items, f.severity) for f in findings] == [(("X-0",), "warning")]


def test_prior_sprint_items_not_done():
    table = backlog(clean_item(0, sprint="S1"), clean_item(1, sprint="S2"))
    cap = team_capacity(sprints=3)
    later = CheckSettings(today=date(2026, 1, 20))  # S1 is over
    assert ids_of(run_checks(table, cap, later, only=["overdue"])) == {"X-0"}
    # a sprint numbered before the first planned sprint (S0 < S1) is over too
    numbered = backlog(clean_item(0, sprint="S0"))
    assert ids_of(run_checks(numbered, cap, SETTINGS, only=["overdue"])) == {"X-0"}


# --------------------------------------------------------------------------------------------------
# Duplicates and stale


def test_duplicates_say_how_similar():
    table = backlog(
        clean_item(0, title="Export encounter note as PDF"),
        clean_item(1, title="Export encounter notes to PDF"),
        clean_item(2, title="Import patients from CSV"),
        clean_item(3, title="Sprint 27 release notes"),
        clean_item(4, title="Sprint 28 release notes"),  # numbers differ: not a duplicate
    )
    findings = run_checks(table, None, SETTINGS, only=["duplicate"])
    assert [f.items for f in findings] == [("X-0", "X-1")]
    assert "91% similar" in findings[0].message


def test_duplicate_threshold_is_configurable():
    table = backlog(
        clean_item(0, title="Export encounter note as PDF"), clean_item(1, title="Export encounter notes to PDF")
    )
    assert run_checks(table, None, CheckSettings(today=TODAY, duplicate_similarity=0.95), only=["duplicate"]) == []


def test_stale_items():
    table = backlog(
        clean_item(0, updated="2025-10-01"), clean_item(1, updated="2025-10-01", done=True), clean_item(2, updated=None)
    )
    findings = run_checks(table, None, SETTINGS, only=["stale"])
    assert [(f.items, f.severity) for f in findings] == [(("X-0",), "info")]
    assert "93 days" in findings[0].message
    assert run_checks(table, None, CheckSettings(today=TODAY, stale_days=100), only=["stale"]) == []


# --------------------------------------------------------------------------------------------------
# Dependencies


def test_dependency_cycle_and_missing_and_wont():
    table = backlog(
        clean_item(0, depends_on="X-1"),
        clean_item(1, depends_on="X-2"),
        clean_item(2, depends_on="X-0, X-9"),
        clean_item(3, depends_on="X-4"),
        clean_item(4, moscow="Won't"),
    )
    findings = run_checks(table, None, SETTINGS, only=["dependency"])
    messages = [f.message for f in findings]
    assert "dependency cycle: X-0 -> X-1 -> X-2 -> X-0" in messages
    assert "X-2 depends on X-9, which is not in the backlog" in messages
    assert "X-3 depends on X-4, which is Won't" in messages
    assert all(f.severity == "error" for f in findings) and len(findings) == 3


def test_dependency_planned_before_prerequisite():
    table = backlog(
        clean_item(0, depends_on="X-1", sprint="S1"),
        clean_item(1, sprint="S2"),
        clean_item(2, depends_on="X-3", deadline="2026-02-01"),
        clean_item(3, deadline="2026-03-01"),
    )
    findings = run_checks(table, team_capacity(), SETTINGS, only=["dependency"])
    assert [(f.items, f.severity) for f in findings] == [(("X-0", "X-1"), "warning"), (("X-2", "X-3"), "warning")]


def test_done_prerequisites_are_fine():
    table = backlog(clean_item(0, depends_on="X-1"), clean_item(1, done=True, depends_on="X-0"))
    assert run_checks(table, None, SETTINGS, only=["dependency"]) == []


# --------------------------------------------------------------------------------------------------
# Contention and reassignment


def test_contention_over_capacity():
    table = backlog(*(clean_item(n, effort=8.0) for n in range(4)))  # 32 days of Must/Should for team a
    findings = run_checks(table, team_capacity(days=10.0), SETTINGS, only=["contention"])
    assert [(f.severity, set(f.items)) for f in findings] == [("warning", {"X-0", "X-1", "X-2", "X-3"})]
    assert "likely needs more bandwidth" in findings[0].message


def test_reassign_by_skill():
    table = backlog(clean_item(0, **{"effort": None, "effort:ios": 2.0}))
    findings = run_checks(table, team_capacity(), SETTINGS, only=["reassign"])
    assert [(f.items, f.action) for f in findings] == [(("X-0",), "reassign it to b")]


def test_reassign_by_domain_label():
    table = backlog(
        *(clean_item(n, team="b", labels="claims") for n in range(3)),
        clean_item(3, team="a", labels="claims"),
        clean_item(4, team="a", labels="portal"),
    )
    findings = run_checks(table, None, SETTINGS, only=["reassign"])
    assert [(f.items, f.severity) for f in findings] == [(("X-3",), "info")]
    assert "reassigning it to b" in findings[0].action


# --------------------------------------------------------------------------------------------------
# Balance


def test_balance_below_target():
    table = backlog(
        clean_item(0, effort=9.0, type="story"),
        clean_item(1, effort=1.0, type="Tech-Debt"),
        clean_item(2, effort=5.0, type="tech debt", moscow="Could"),
    )
    findings = run_checks(table, None, CheckSettings(today=TODAY, balance_targets={"tech debt": 0.2}), only=["balance"])
    assert [(f.items, f.severity) for f in findings] == [(("X-1",), "warning")]
    assert "10% of the Must and Should effort, below the target of 20%" in findings[0].message
    assert (
        run_checks(table, None, CheckSettings(today=TODAY, balance_targets={"tech debt": 0.1}), only=["balance"]) == []
    )


# --------------------------------------------------------------------------------------------------
# API details


def test_findings_are_sorted_by_severity_and_tabulated():
    table = backlog(clean_item(0, effort=None, updated="2025-01-01"), clean_item(1, deadline="2025-12-01"))
    findings = run_checks(table, None, SETTINGS)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    frame = findings_frame(findings)
    assert list(frame.columns) == ["check", "severity", "items", "message", "action"]
    assert len(frame) == len(findings)


def test_settings_are_hashable_and_validated():
    assert hash(CheckSettings(balance_targets={"bug": 0.1})) == hash(CheckSettings(balance_targets={"bug": 0.1}))
    with pytest.raises(SettingsError, match="duplicate_similarity"):
        CheckSettings(duplicate_similarity=1.5)
    with pytest.raises(SettingsError, match="stale_days"):
        CheckSettings(stale_days=-1)
    assert issubclass(SettingsError, PlannerError)  # the app and the command line show its message


# --------------------------------------------------------------------------------------------------
# The sample data shows every finding


@pytest.fixture(scope="module")
def sample_findings():
    from planner.ingest import read_backlog, read_capacity

    table = read_backlog(ROOT / "data" / "sample_backlog.xlsx").table
    day = date(2026, 11, 24)  # the sample's export date, just before Sprint 27
    cap = compute_capacity(read_capacity(ROOT / "data" / "sample_capacity.xlsx").tables, today=day)
    return run_checks(table, cap, CheckSettings(today=day, balance_targets={"tech debt": 0.2}))


@pytest.mark.parametrize("check", list(CHECKS))
def test_sample_shows_each_check(sample_findings, check):
    assert found(sample_findings, check), check


def test_sample_specific_findings(sample_findings):
    assert ids_of(found(sample_findings, "duplicate")) == {"CARE-142", "CARE-164"}
    assert {f.severity for f in found(sample_findings, "oversized")} >= {"error", "warning"}
    # The three deliberately big items (15 to 18 days of one skill) are each more than a sprint holds.
    too_big = {item for f in found(sample_findings, "oversized") if f.severity == "error" for item in f.items}
    assert {"CARE-178", "CARE-190", "CARE-173"} <= too_big
    actions = [f.action for f in found(sample_findings, "milestone")]
    assert "rename it to 'Encounter Notes v2 | Released to Pilot | Voice dictation'" in actions
    assert any("Protocol Builder | Beta | Template library" in f.message for f in found(sample_findings, "milestone"))
    assert len(found(sample_findings, "stale")) == 3


# --------------------------------------------------------------------------------------------------
# Refinement agenda


def test_agenda_grouping_and_markdown():
    from planner.refine import agenda_markdown, build_agenda

    table = backlog(
        clean_item(0, initiative="Portal", milestone="Portal | eng build milestone", effort=None),
        clean_item(
            1,
            initiative="Insights",
            milestone="Insights | Released to GA",
            milestone_type="Released to GA",
            acceptance_criteria=None,
        ),
        clean_item(2, initiative=None, milestone=None, milestone_type=None, labels="claims", description=None),
        clean_item(3, initiative=None, milestone=None, milestone_type=None, type="Compliance", team=None),
        clean_item(
            4, initiative=None, milestone=None, milestone_type=None, type="tech debt", labels=None, updated="2025-01-01"
        ),
        clean_item(
            5, initiative=None, milestone=None, milestone_type=None, type="story", labels=None, updated="2025-01-01"
        ),
    )
    findings = run_checks(table, None, CheckSettings(today=TODAY, stale_days=30, horizon_items=6))
    agenda = build_agenda(table, findings)
    shape = {
        section: [(g.name, [i.id for i in g.items], g.note) for g in groups] for section, groups in agenda.sections
    }
    assert shape == {
        "Initiatives in build phase": [("Portal", ["X-0"], "")],
        "Initiatives in spec phase": [("Insights", ["X-1"], "needs an engineering point of contact")],
        "Domain backlogs": [("claims", ["X-2"], ""), ("compliance", ["X-3"], "")],
        "Tech debt": [("Tech debt", ["X-4"], "")],
        "Other items": [("Other items", ["X-5"], "")],
    }
    markdown = agenda_markdown(agenda)
    assert "### Insights (needs an engineering point of contact)" in markdown
    for field in (
        "**Description:**",
        "**Technical notes:**",
        "**Acceptance criteria:**",
        "**Points or days:**",
        "**Deadline:**",
    ):
        assert markdown.count(field) == 6
    assert "- **Points or days:** (missing)" in markdown and "## Capacity notes" in markdown


def test_agenda_capacity_notes_and_clean_backlog():
    from planner.refine import build_agenda

    tables = CapacityTables.from_frames(
        {
            "people": pd.DataFrame([{"name": "ann", "team": "a"}]),
            "sprints": pd.DataFrame([{"sprint": "S1", "start": "2026-01-05", "end": "2026-01-16"}]),
            "ooo": pd.DataFrame([{"name": "ann", "start": "2026-01-05", "end": "2026-01-06"}]),
        }
    )
    cap = compute_capacity(tables, today=TODAY)
    agenda = build_agenda(clean_backlog(), run_checks(clean_backlog(), cap, SETTINGS), cap)
    assert all(not groups for _, groups in agenda.sections)
    assert agenda.capacity_notes == ("S1: ann: 2 days out of office",)


def test_agenda_and_messages_write_numbers_for_people():
    """'1 day', not '1 days'; '0.3', not '0.30000000000000004' (issue 13)."""
    from planner.refine import agenda_markdown, agenda_table, build_agenda

    tables = CapacityTables.from_frames(
        {
            "people": pd.DataFrame([{"name": "ann", "team": "a"}]),
            "sprints": pd.DataFrame([{"sprint": "S1", "start": "2026-01-05", "end": "2026-01-16"}]),
            "ooo": pd.DataFrame([{"name": "ann", "start": "2026-01-05", "end": "2026-01-05"}]),
            "oncall": pd.DataFrame([{"name": "ann", "start": "2026-01-07", "end": "2026-01-07"}]),
        }
    )
    cap = compute_capacity(tables, today=TODAY)
    # One item of one day, missing its acceptance criteria (near-term: on the agenda).
    table = clean_backlog(effort=1.0, acceptance_criteria=None)
    agenda = build_agenda(table, run_checks(table, cap, SETTINGS), cap)
    assert agenda.capacity_notes == ("S1: ann: 1 day out of office, 1 day on call",)
    (item,) = [item for _, groups in agenda.sections for group in groups for item in group.items]
    assert item.effort == "1 day"
    markdown = agenda_markdown(agenda)
    assert "- **Points or days:** 1 day\n" in markdown and "1 days" not in markdown
    assert agenda_table(agenda)["points or days"].tolist() == ["1 day"]
    # Efforts and capacities in messages: no float artefacts, the unit in the singular for 1.
    big = backlog(clean_item(0, effort=0.1 + 0.2 + 10))  # 10.3 days, more than ann's 8 net days
    (finding,) = run_checks(big, cap, SETTINGS, only=["oversized"])
    assert finding.message == "X-0 needs 10.3 days, more than a can hold in one sprint (8 days)"
    stale = run_checks(
        clean_backlog(updated="2026-01-01"), None, CheckSettings(today=TODAY, stale_days=0), only=["stale"]
    )
    assert any("not been updated in 1 day (since 2026-01-01)" in f.message for f in stale)

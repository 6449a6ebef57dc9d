"""Capacity engine: hand-computed cases, one rule per test, arithmetic in the comments.

Calendar used throughout unless a test says otherwise: two generated sprints of 14 days from
Monday 2025-03-03, so Sprint 1 = Mon 03-03 .. Sun 03-16 and Sprint 2 = Mon 03-17 .. Sun 03-30,
10 working days (Mon-Fri) each.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from planner.capacity import (
    DEFAULT_SPRINT_COUNT,
    LEDGER_STEPS,
    CapacityResult,
    CapacitySettings,
    check_units,
    compute_capacity,
    contention,
    range_problems,
    sprint_calendar,
)
from planner.errors import InputError, PlannerError
from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table

START = date(2025, 3, 3)  # a Monday
TODAY = date(2025, 3, 1)


def people(*rows: tuple) -> pd.DataFrame:
    """People rows as (name, team[, skills[, allocation[, days_per_sprint]]])."""
    columns = ["name", "team", "skills", "allocation", "days_per_sprint"]
    padded = [tuple(row) + (None,) * (len(columns) - len(row)) for row in rows]
    return pd.DataFrame(padded, columns=columns)


ANN_ONLY = people(("Ann", "pod-a"))


def tables(people_frame: pd.DataFrame = ANN_ONLY, **sheets: list[tuple] | pd.DataFrame) -> CapacityTables:
    """Tables from ``people`` plus sheets given as frames or row tuples in sheet column order."""
    columns = {
        "ooo": ["name", "start", "end"],
        "oncall": ["name", "start", "end", "load"],
        "holidays": ["date", "team"],
        "teams": ["team", "velocity", "focus_factor"],
        "sprints": ["sprint", "start", "end"],
    }
    frames = {"people": people_frame}
    for sheet, value in sheets.items():
        if isinstance(value, pd.DataFrame):
            frames[sheet] = value
        else:
            rows = [tuple(row) + (None,) * (len(columns[sheet]) - len(row)) for row in value]
            frames[sheet] = pd.DataFrame(rows, columns=columns[sheet])
            frames[sheet]["source_row"] = range(2, len(rows) + 2)  # as a spreadsheet numbers them
    return CapacityTables.from_frames(frames)


def capacity(t: CapacityTables, **settings: object) -> CapacityResult:
    settings.setdefault("start", START)
    settings.setdefault("sprint_count", 2)
    return compute_capacity(t, CapacitySettings(**settings), today=TODAY)  # type: ignore[arg-type]


def person(result: CapacityResult, name: str, sprint: str = "Sprint 1") -> pd.Series:
    frame = result.person_sprint
    rows = frame[(frame["name"] == name) & (frame["sprint"] == sprint)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def team(result: CapacityResult, name: str, sprint: str = "Sprint 1") -> pd.Series:
    frame = result.team_sprint
    rows = frame[(frame["team"] == name) & (frame["sprint"] == sprint)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def ledger(result: CapacityResult, name: str, sprint: str = "Sprint 1") -> dict[str, float]:
    frame = result.ledger
    rows = frame[(frame["team"] == name) & (frame["sprint"] == sprint)]
    return dict(zip(rows["step"], rows["days"]))


def messages(result: CapacityResult) -> str:
    return "\n".join(str(problem) for problem in result.problems)


# --------------------------------------------------------------------------------------------------
# Calendar


def test_generated_calendar_starts_next_monday_with_14_day_sprints() -> None:
    # Wed 2025-02-26 -> next Monday 2025-03-03; 14 calendar days = 10 working days each.
    calendar = sprint_calendar(tables(), CapacitySettings(sprint_count=3), today=date(2025, 2, 26))
    assert calendar["sprint"].tolist() == ["Sprint 1", "Sprint 2", "Sprint 3"]
    assert calendar["start"].dt.date.tolist() == [date(2025, 3, 3), date(2025, 3, 17), date(2025, 3, 31)]
    assert calendar["end"].dt.date.tolist() == [date(2025, 3, 16), date(2025, 3, 30), date(2025, 4, 13)]
    assert calendar["working_days"].tolist() == [10, 10, 10]
    assert str(calendar["start"].dtype) == "datetime64[ns]"


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2025, 3, 3), date(2025, 3, 3)),  # a Monday plans from today
        (date(2025, 3, 9), date(2025, 3, 10)),  # a Sunday plans from tomorrow
        (date(2025, 3, 4), date(2025, 3, 10)),  # a Tuesday plans from next week
    ],
)
def test_generated_calendar_first_monday(today: date, first: date) -> None:
    calendar = sprint_calendar(tables(), CapacitySettings(), today=today)
    assert calendar["start"].iat[0].date() == first
    assert len(calendar) == DEFAULT_SPRINT_COUNT


def test_generated_calendar_length_and_start_settings() -> None:
    # 7-day sprints from Wednesday 03-05: Wed..Tue = 5 working days each.
    calendar = sprint_calendar(
        tables(), CapacitySettings(sprint_count=2, default_sprint_days=7, start=date(2025, 3, 5)), today=TODAY
    )
    assert calendar["start"].dt.date.tolist() == [date(2025, 3, 5), date(2025, 3, 12)]
    assert calendar["end"].dt.date.tolist() == [date(2025, 3, 11), date(2025, 3, 18)]
    assert calendar["working_days"].tolist() == [5, 5]


def test_sheet_sprints_sorted_and_cut_to_the_horizon() -> None:
    t = tables(
        sprints=[
            ("S2", "2025-03-17", "2025-03-28"),
            ("S1", "2025-03-03", "2025-03-14"),
            ("S3", "2025-03-31", "2025-04-11"),
        ]
    )
    calendar = sprint_calendar(t, CapacitySettings(sprint_count=2), today=TODAY)
    assert calendar["sprint"].tolist() == ["S1", "S2"]
    assert calendar["working_days"].tolist() == [10, 10]
    # start leaves out sprints that ended before it.
    later = sprint_calendar(t, CapacitySettings(start=date(2025, 3, 20)), today=TODAY)
    assert later["sprint"].tolist() == ["S2", "S3"]


def test_sheet_with_fewer_sprints_than_asked_warns() -> None:
    t = tables(sprints=[("S1", "2025-03-03", "2025-03-14")])
    result = compute_capacity(t, CapacitySettings(sprint_count=3), today=TODAY)
    assert result.sprints["sprint"].tolist() == ["S1"]
    assert "3 sprints asked for, the sprints sheet has 1" in messages(result)


# --------------------------------------------------------------------------------------------------
# Holidays, OOO, allocation


def test_sprint_spanning_a_holiday() -> None:
    # Team-wide holiday Wed 03-05 in Sprint 1: 10 working days - 1 holiday = 9.
    # A holiday on Saturday 03-08 changes nothing (not a working day).
    result = capacity(tables(holidays=[("2025-03-05",), ("2025-03-08",)]))
    ann = person(result, "Ann")
    assert (ann.working_days, ann.holiday_days, ann.gross, ann.after_holidays, ann.net) == (10, 1, 10, 9, 9)
    assert person(result, "Ann", "Sprint 2").net == 10
    assert result.sprints[["working_days", "holiday_days", "available_days"]].values.tolist() == [
        [10, 1, 9],
        [10, 0, 10],
    ]


def test_team_specific_holiday_only_applies_to_that_team() -> None:
    # pod-a's holiday Wed 03-05: Ann (pod-a) 10 - 1 = 9, Bob (pod-b) keeps 10.
    result = capacity(tables(people(("Ann", "pod-a"), ("Bob", "pod-b")), holidays=[("2025-03-05", "pod-a")]))
    assert person(result, "Ann").net == 9
    assert person(result, "Bob").net == 10
    assert result.sprints["holiday_days"].iat[0] == 0  # not team-wide


def test_ooo_across_two_sprints_is_split_on_the_boundary() -> None:
    # OOO Thu 03-13 .. Tue 03-18: Sprint 1 gets Thu 13, Fri 14 (Sat 15, Sun 16 are weekend) = 2,
    # Sprint 2 gets Mon 17, Tue 18 = 2. Net 10 - 2 = 8 in each.
    result = capacity(tables(ooo=[("Ann", "2025-03-13", "2025-03-18")]))
    for sprint in ("Sprint 1", "Sprint 2"):
        ann = person(result, "Ann", sprint)
        assert (ann.ooo_days, ann.net) == (2, 8)


@pytest.mark.parametrize(
    ("ooo", "holidays", "expected_holiday", "expected_ooo"),
    [
        # Fri 03-07 .. Mon 03-10 over a weekend: Fri + Mon = 2 OOO days.
        ([("Ann", "2025-03-07", "2025-03-10")], [], 0, 2),
        # Mon 03-03 .. Fri 03-07 with holiday Wed 03-05: 1 holiday + 4 OOO, the holiday counted once.
        ([("Ann", "2025-03-03", "2025-03-07")], [("2025-03-05",)], 1, 4),
        # Two overlapping OOO rows Mon..Wed and Tue..Fri: Mon..Fri = 5 days, each counted once.
        ([("Ann", "2025-03-03", "2025-03-05"), ("Ann", "2025-03-04", "2025-03-07")], [], 0, 5),
    ],
)
def test_ooo_counts_working_days_once(ooo, holidays, expected_holiday, expected_ooo) -> None:
    result = capacity(tables(ooo=ooo, holidays=holidays))
    ann = person(result, "Ann")
    assert (ann.holiday_days, ann.ooo_days) == (expected_holiday, expected_ooo)
    assert ann.net == 10 - expected_holiday - expected_ooo


def test_dates_with_a_time_of_day_count_as_whole_days() -> None:
    # An export with 09:00 / 17:00 timestamps: Mon 03-03 .. Tue 03-04 is still 2 OOO days.
    ooo = pd.DataFrame(
        {"name": ["Ann"], "start": [pd.Timestamp("2025-03-03 09:00")], "end": [pd.Timestamp("2025-03-04 17:00")]}
    )
    assert person(capacity(tables(ooo=ooo)), "Ann").ooo_days == 2


def test_part_time_allocation() -> None:
    # Allocation 0.5, holiday Wed 03-05, OOO Thu 03-06 .. Fri 03-07:
    # gross 10 x 0.5 = 5; after holidays 9 x 0.5 = 4.5; after OOO (10 - 1 - 2) x 0.5 = 3.5.
    result = capacity(
        tables(
            people(("Ann", "pod-a", None, 0.5)), holidays=[("2025-03-05",)], ooo=[("Ann", "2025-03-06", "2025-03-07")]
        )
    )
    ann = person(result, "Ann")
    assert (ann.gross, ann.after_holidays, ann.after_ooo, ann.net) == (5, 4.5, 3.5, 3.5)


def test_days_per_sprint_overrides_the_calendar_scaled_by_absence() -> None:
    # days_per_sprint 6 (allocation 0.5 is then ignored, with a warning). Sprint 1: holiday Wed 03-05
    # and OOO Thu 03-06 .. Fri 03-07: gross 6; after holidays 6 x 9/10 = 5.4; after OOO 6 x 7/10 = 4.2.
    # Sprint 2 has no absence: 6.
    result = capacity(
        tables(
            people(("Cy", "pod-a", None, 0.5, 6)), holidays=[("2025-03-05",)], ooo=[("Cy", "2025-03-06", "2025-03-07")]
        )
    )
    cy = person(result, "Cy")
    assert cy.gross == 6
    assert cy.after_holidays == pytest.approx(5.4)
    assert cy.net == pytest.approx(4.2)
    assert person(result, "Cy", "Sprint 2").net == 6
    assert "allocation 0.5 is not used" in messages(result)


# --------------------------------------------------------------------------------------------------
# On-call


def test_oncall_during_ooo_and_holidays_is_not_deducted_twice() -> None:
    # On-call Mon 03-03 .. Fri 03-07 (5 days), holiday Mon 03-03, OOO Thu 03-06 .. Fri 03-07:
    # on-call counts Tue + Wed = 2 days; net 10 - 1 holiday - 2 OOO - 2 on-call x 1 = 5.
    result = capacity(
        tables(
            oncall=[("Ann", "2025-03-03", "2025-03-07")],
            holidays=[("2025-03-03",)],
            ooo=[("Ann", "2025-03-06", "2025-03-07")],
        )
    )
    ann = person(result, "Ann")
    assert (ann.holiday_days, ann.ooo_days, ann.oncall_days, ann.oncall_load) == (1, 2, 2, 1)
    assert ann.net == 5


def test_oncall_load_from_row_or_from_settings() -> None:
    # Ann's row has no load: the setting 0.5 applies, 5 days x 0.5 = 2.5 -> net 7.5.
    # Bob's row says 0.2: 5 days x 0.2 = 1 -> net 9, whatever the setting.
    t = tables(
        people(("Ann", "pod-a"), ("Bob", "pod-a")),
        oncall=[("Ann", "2025-03-03", "2025-03-07"), ("Bob", "2025-03-03", "2025-03-07", 0.2)],
    )
    result = capacity(t, oncall_load=0.5)
    assert person(result, "Ann").net == 7.5
    assert person(result, "Bob").net == 9
    assert person(result, "Bob").oncall_load == pytest.approx(0.2)
    assert person(capacity(t), "Ann").net == 5  # default load 1: 10 - 5


def test_overlapping_oncall_rows_count_each_day_once_at_the_highest_load() -> None:
    # Mon..Wed at 0.5 and Wed..Fri at 1: Mon, Tue 0.5 + Wed, Thu, Fri 1 = 4 -> net 6, 5 on-call days.
    result = capacity(tables(oncall=[("Ann", "2025-03-03", "2025-03-05", 0.5), ("Ann", "2025-03-05", "2025-03-07", 1)]))
    ann = person(result, "Ann")
    assert (ann.oncall_days, ann.net) == (5, 6)


def test_capacity_never_goes_below_zero() -> None:
    # Allocation 0.2: 10 x 0.2 = 2 days, minus 5 on-call days x 1 = -3 -> clipped to 0.
    result = capacity(tables(people(("Ann", "pod-a", None, 0.2)), oncall=[("Ann", "2025-03-03", "2025-03-07")]))
    ann = person(result, "Ann")
    assert (ann.after_ooo, ann.after_oncall, ann.net) == (2, 0, 0)
    assert ledger(result, "pod-a")["on-call"] == -2  # the ledger shows what was actually lost
    assert "on-call takes all their available time in Sprint 1" in messages(result)
    assert (result.person_sprint[["after_oncall", "after_focus", "after_buffer", "net"]] >= 0).all().all()


# --------------------------------------------------------------------------------------------------
# Focus, buffer, capacity %, ledger


def test_focus_buffer_and_capacity_pct() -> None:
    # Team focus 0.8: 10 x 0.8 = 8; buffer 0.25: 8 x 0.75 = 6; capacity 50 %: 6 x 0.5 = 3.
    t = tables(teams=[("pod-a", None, 0.8)])
    result = capacity(t, buffer=0.25, capacity_pct=0.5)
    ann = person(result, "Ann")
    assert (ann.after_focus, ann.after_buffer, ann.net) == (8, 6, 3)
    assert ledger(result, "pod-a") == {
        "gross": 10,
        "holidays": 0,
        "OOO": 0,
        "on-call": 0,
        "focus": -2,
        "buffer": -2,
        "capacity %": -3,
        "net": 3,
    }
    # The focus slider overrides the team's: 10 x 0.5 x 0.75 x 0.5 = 1.875.
    assert person(capacity(t, focus_factor=0.5, buffer=0.25, capacity_pct=0.5), "Ann").net == 1.875
    # Without a teams sheet the focus factor is 1.
    assert person(capacity(tables()), "Ann").net == 10


def test_capacity_pct_above_one_is_a_positive_ledger_step() -> None:
    # 10 days x 1.2 = 12: the "capacity %" step adds 2.
    result = capacity(tables(), capacity_pct=1.2)
    assert ledger(result, "pod-a")["capacity %"] == pytest.approx(2)
    assert team(result, "pod-a").net_days == pytest.approx(12)


def test_ledger_sums_to_net_for_every_team_and_sprint() -> None:
    t = tables(
        people(
            ("Ann", "pod-a", "backend", 0.8),
            ("Bob", "pod-a", None, 0.5),
            ("Cy", "pod-b", None, None, 7),
            ("Dee", "pod-b", "ios", 0.1),
        ),
        holidays=[("2025-03-05",), ("2025-03-19", "pod-b")],
        ooo=[("Ann", "2025-03-12", "2025-03-20"), ("Cy", "2025-03-03", "2025-03-04")],
        oncall=[("Bob", "2025-03-10", "2025-03-21", 0.3), ("Dee", "2025-03-03", "2025-03-07")],
        teams=[("pod-a", None, 0.7), ("pod-c",)],
    )
    result = capacity(t, buffer=0.15, capacity_pct=0.9)
    frame = result.ledger
    steps = frame.groupby(["team", "sprint"], sort=False)["step"].apply(tuple)
    assert set(steps) == {LEDGER_STEPS}
    totals = frame[frame["kind"] == "total"].pivot_table(index=["team", "sprint"], columns="step", values="days")
    changes = frame[frame["kind"] == "change"].groupby(["team", "sprint"])["days"].sum()
    np.testing.assert_allclose(totals["gross"] + changes, totals["net"], rtol=0, atol=1e-9)
    by_team = result.team_sprint.set_index(["team", "sprint"])["net_days"]
    np.testing.assert_allclose(totals["net"].reindex(by_team.index), by_team, rtol=0, atol=1e-12)
    assert len(frame) == 3 * 2 * len(LEDGER_STEPS)  # pod-a, pod-b, pod-c (empty) x 2 sprints


# --------------------------------------------------------------------------------------------------
# Aggregates and units


def test_team_skill_aggregates_with_a_two_skill_person() -> None:
    # Ann backend+frontend 10, Bob backend at 0.5 = 5, Cy no skills (general) 10; team net 25.
    # backend: max 10 + 5 = 15, dedicated 5 (Bob); frontend: max 10, dedicated 0; general 10/10.
    t = tables(people(("Ann", "pod-a", "Backend, frontend"), ("Bob", "pod-a", "backend", 0.5), ("Cy", "pod-a")))
    result = capacity(t)
    skills = result.team_skill_sprint
    sprint1 = skills[skills["sprint"] == "Sprint 1"].set_index("skill")
    assert sprint1.loc["backend", ["max_days", "dedicated_days", "people"]].tolist() == [15, 5, 2]
    assert sprint1.loc["frontend", ["max_days", "dedicated_days", "people"]].tolist() == [10, 0, 1]
    assert sprint1.loc["general", ["max_days", "dedicated_days"]].tolist() == [10, 10]
    assert list(sprint1.index) == ["backend", "frontend", "general"]
    assert team(result, "pod-a").net_days == 25


def test_points_conversion_scales_velocity_by_availability() -> None:
    # pod-a velocity 30; full availability = Ann 10 + Bob 0.5 x 10 = 15 days.
    # Sprint 1: Ann OOO Mon..Wed (3 days) -> net days 7 + 5 = 12 -> 30 x 12 / 15 = 24 points.
    # Sprint 2: 15 net days -> 30 points.
    t = tables(
        people(("Ann", "pod-a", "backend"), ("Bob", "pod-a", None, 0.5)),
        teams=[("pod-a", 30)],
        ooo=[("Ann", "2025-03-03", "2025-03-05")],
    )
    result = capacity(t, unit="points")
    first = team(result, "pod-a")
    assert (first.full_days, first.net_days, first.net, first.unit) == (15, 12, 24, "points")
    assert team(result, "pod-a", "Sprint 2").net == 30
    # Skills in points use the same 2 points per day: backend 7 days = 14 points.
    skills = result.team_skill_sprint.set_index(["skill", "sprint"])
    assert skills.loc[("backend", "Sprint 1"), "max"] == 14
    # Hiring one more (what-if) raises points: full availability stays the file's 15 days:
    # Sprint 2: 25 net days x 2 = 50 points.
    hired = capacity(t, unit="points", headcount=(("pod-a", 1),))
    assert team(hired, "pod-a", "Sprint 2").net == 50
    # In days the same team reports days.
    assert team(capacity(t), "pod-a").net == 12


def test_points_ignore_the_focus_factor_but_keep_buffer_and_capacity_pct() -> None:
    # SPEC 2: velocity is observed output, already net of focus. pod-a velocity 30, focus 0.5 on the
    # teams sheet; full availability = Ann 10 + Bob 5 = 15 days. Sprint 1: Ann OOO 3 days -> 12
    # available days -> 30 x 12 / 15 = 24 points, whatever the focus (sheet or slider).
    t = tables(
        people(("Ann", "pod-a", "backend"), ("Bob", "pod-a", None, 0.5)),
        teams=[("pod-a", 30, 0.5)],
        ooo=[("Ann", "2025-03-03", "2025-03-05")],
    )
    for focus in (None, 0.6, 1.0):
        result = capacity(t, unit="points", focus_factor=focus)
        assert team(result, "pod-a").net == pytest.approx(24)
        assert team(result, "pod-a", "Sprint 2").net == pytest.approx(30)
        assert (result.person_sprint["focus_factor"] == 1).all()
        # The ledger's focus step is 0 and the ledger still adds up exactly.
        ledger = result.ledger[(result.ledger["team"] == "pod-a") & (result.ledger["sprint"] == "Sprint 1")]
        steps = dict(zip(ledger["step"], ledger["days"]))
        assert steps["focus"] == 0
        assert sum(steps[step] for step in LEDGER_STEPS[:-1]) == steps["net"] == 12
    # Buffer and capacity % still apply: 24 x (1 - 0.25) x 1.2 = 21.6.
    scaled = capacity(t, unit="points", buffer=0.25, capacity_pct=1.2, focus_factor=0.6)
    assert team(scaled, "pod-a").net == pytest.approx(21.6)
    # In days the focus factor still applies: 12 x 0.5 = 6 days (sheet), 12 x 0.6 = 7.2 (slider).
    assert team(capacity(t), "pod-a").net == pytest.approx(6)
    assert team(capacity(t, focus_factor=0.6), "pod-a").net == pytest.approx(7.2)


def test_sample_pod_scale_points_are_velocity_times_available_share() -> None:
    # The sample: pod-scale, velocity 34 (focus 0.8 on its sheet), 45 full days; Sprint 27 loses
    # 3 OOO + 2.5 on-call days: 34 x 39.5 / 45 = 29.84 points (not 23.88, focus applied twice).
    from planner.ingest import read_capacity
    from planner.sample import SAMPLE_CAPACITY

    sample = read_capacity(SAMPLE_CAPACITY).tables
    result = compute_capacity(sample, CapacitySettings(unit="points"), today=TODAY)
    row = team(result, "pod-scale", "Sprint 27")
    assert (row.velocity, row.full_days, row.net_days) == (34, 45, 39.5)
    assert row.net == pytest.approx(34 * 39.5 / 45)
    buffered = compute_capacity(sample, CapacitySettings(unit="points", buffer=0.1), today=TODAY)
    assert team(buffered, "pod-scale", "Sprint 27").net == pytest.approx(34 * 39.5 / 45 * 0.9)


def test_points_full_availability_uses_the_usual_sprint_length() -> None:
    # Sprints of 10, 10 and 5 working days: full availability is the usual 10 days, so the short
    # sprint gives half the velocity (20 x 5 / 10 = 10), not all of it.
    t = tables(
        teams=[("pod-a", 20)],
        sprints=[
            ("S1", "2025-03-03", "2025-03-14"),
            ("S2", "2025-03-17", "2025-03-28"),
            ("S3", "2025-03-31", "2025-04-04"),
        ],
    )
    result = compute_capacity(t, CapacitySettings(unit="points"), today=TODAY)
    assert result.team_sprint["net"].tolist() == [20, 20, 10]


def test_mixed_units_are_refused_naming_the_teams() -> None:
    t = tables(people(("Ann", "pod-a"), ("Bob", "pod-b"), ("Cy", "pod-c")), teams=[("pod-a", 30), ("pod-b",)])
    with pytest.raises(InputError) as caught:
        capacity(t, unit="points")
    message = str(caught.value)
    assert "Mixed units" in message and "pod-b, pod-c" in message and "plan in days" in message
    assert {p.sheet for p in caught.value.problems} == {"teams"}
    assert caught.value.problems[0].row == 3  # pod-b's row in the teams sheet
    # Days need no velocity at all.
    assert capacity(t).unit == "days"


def test_points_without_any_velocity_is_refused() -> None:
    with pytest.raises(InputError, match="needs each team's velocity"):
        capacity(tables(), unit="points")


def test_check_units_refuses_points_backlog_with_days_capacity() -> None:
    check_units("days", "days")
    with pytest.raises(PlannerError, match="Mixed units: the backlog's effort is in points but capacity is in days"):
        check_units("points", "days")
    result = capacity(tables())
    with pytest.raises(PlannerError, match="Mixed units"):
        contention(backlog([("1", "pod-a", 3.0, "Must")]), result, backlog_unit="points")


# --------------------------------------------------------------------------------------------------
# What-ifs


def test_headcount_adds_generic_people() -> None:
    # +2 in pod-a: two full-time general people, 10 days each: team 10 + 20 = 30.
    result = capacity(tables(), headcount=(("pod-a", 2),))
    names = result.person_sprint.drop_duplicates("name")
    assert names["name"].tolist() == ["Ann", "New hire 1 (pod-a)", "New hire 2 (pod-a)"]
    assert names["added"].tolist() == [False, True, True]
    assert names["skills"].tolist()[1:] == ["general", "general"]
    assert team(result, "pod-a").net_days == 30


def test_headcount_removes_the_last_listed_people_never_below_zero() -> None:
    t = tables(people(("Ann", "pod-a"), ("Bob", "pod-a"), ("Cy", "pod-b")), ooo=[("Bob", "2025-03-03", "2025-03-07")])
    # -1 in pod-a removes Bob (listed last), and his OOO with him: pod-a = Ann's 10.
    result = capacity(t, headcount=(("pod-a", -1),))
    assert set(result.person_sprint["name"]) == {"Ann", "Cy"}
    assert (team(result, "pod-a").people, team(result, "pod-a").net_days) == (1, 10)
    # -5 in pod-a leaves 0 people (not fewer): capacity 0 with a warning.
    emptied = capacity(t, headcount=(("pod-a", -5),))
    assert (team(emptied, "pod-a").people, team(emptied, "pod-a").net_days) == (0, 0)
    assert "pod-a has no people (the headcount what-if removes everyone)" in messages(emptied)
    with pytest.raises(InputError, match="no team called 'pod-z'"):
        capacity(t, headcount=(("pod-z", 1),))


def test_extra_ooo_what_if() -> None:
    # Extra OOO Mon 03-10 .. Tue 03-11 on top of the sheet's Fri 03-07: 10 - 3 = 7.
    t = tables(ooo=[("Ann", "2025-03-07", "2025-03-07")])
    result = capacity(t, extra_ooo=[("ann", "2025-03-10", date(2025, 3, 11))])  # names match ignoring case
    assert person(result, "Ann").ooo_days == 3
    assert person(result, "Ann").net == 7
    with pytest.raises(InputError, match="no one called 'Zed'"):
        capacity(t, extra_ooo=(("Zed", START, START),))
    with pytest.raises(InputError, match=r"ends .* before it starts"):
        CapacitySettings(extra_ooo=(("Ann", date(2025, 3, 11), date(2025, 3, 10)),))


def test_person_split_across_two_teams_gets_their_ooo_in_both() -> None:
    # Ann is 0.5 in pod-a and 0.5 in pod-b; OOO Mon..Tue: (10 - 2) x 0.5 = 4 in each team.
    t = tables(
        people(("Ann", "pod-a", None, 0.5), ("Ann", "pod-b", None, 0.5)), ooo=[("Ann", "2025-03-03", "2025-03-04")]
    )
    result = capacity(t)
    assert team(result, "pod-a").net_days == 4
    assert team(result, "pod-b").net_days == 4
    assert not result.problems


@pytest.mark.parametrize(
    ("setting", "value", "text"),
    [
        ("buffer", 1.5, "buffer must be between 0 and 1"),
        ("oncall_load", -0.1, "oncall_load must be between 0 and 1"),
        ("capacity_pct", 3, "capacity_pct must be between 0 and 2"),
        ("focus_factor", 0, "focus factor must be above 0"),
        ("unit", "hours", "unit must be 'days' or 'points'"),
        ("sprint_count", 0, "sprint count must be a whole number"),
        ("headcount", (("pod-a", 1.5),), "must be a whole number"),
    ],
)
def test_invalid_settings_give_clear_messages(setting: str, value: object, text: str) -> None:
    with pytest.raises(InputError, match=text) as caught:
        CapacitySettings(**{setting: value})  # type: ignore[arg-type]
    assert caught.value.problems[0].column == setting


# --------------------------------------------------------------------------------------------------
# Contention


def backlog(rows: list[tuple]) -> pd.DataFrame:
    """Backlog rows as (id, team, effort, moscow[, done])."""
    frame = pd.DataFrame(
        [tuple(row) + (False,) * (5 - len(row)) for row in rows], columns=["id", "team", "effort", "moscow", "done"]
    )
    return coerce_table(frame, BACKLOG_COLUMNS)


def test_contention_flags_teams_that_need_more_bandwidth() -> None:
    # Capacity over 2 sprints: pod-a 20 days, pod-b 20 days.
    # pod-a: Must 15 + Should 8 = 23 > 20 -> over (the Could and the done Must do not count).
    # pod-b: Must 18 of 20 = 90% -> tight. Blank team: 1 day vs spare max(20-23,0) + (20-18) = 2 -> ok.
    result = capacity(tables(people(("Ann", "pod-a"), ("Bob", "pod-b"))))
    items = backlog(
        [
            ("1", "pod-a", 15, "Must"),
            ("2", "POD-A", 8, "Should"),
            ("3", "pod-a", 30, "Could"),
            ("4", "pod-a", 40, "Must", True),
            ("5", "pod-b", 18, "Must"),
            ("6", None, 1, "Should"),
        ]
    )
    frame = contention(items, result).set_index("team")
    assert frame.loc["pod-a", ["must_should_demand", "net_capacity", "flag"]].tolist() == [23, 20, "over"]
    assert frame.loc["pod-a", "message"] == (
        "pod-a: Must+Should needs 23 days, net capacity 20 days over 2 sprints: likely needs more bandwidth"
    )
    assert frame.loc["pod-b", "flag"] == "tight"
    assert frame.loc["pod-b", "ratio"] == pytest.approx(0.9)
    assert frame.loc["unassigned", ["must_should_demand", "net_capacity", "flag"]].tolist() == [1, 2, "ok"]


def test_contention_for_a_team_without_capacity() -> None:
    frame = contention(backlog([("1", "pod-x", 5, "Must")]), capacity(tables())).set_index("team")
    assert frame.loc["pod-x", "flag"] == "over"
    assert frame.loc["pod-x", "ratio"] == float("inf")
    assert frame.loc["pod-a", "flag"] == "ok"


# --------------------------------------------------------------------------------------------------
# Clear messages, not tracebacks


def test_team_with_no_people_is_a_warning_with_zero_capacity() -> None:
    result = capacity(tables(teams=[("pod-a",), ("pod-z", 20)]))
    assert (team(result, "pod-z").people, team(result, "pod-z").net) == (0, 0)
    [problem] = [p for p in result.problems if "pod-z" in p.message]
    assert problem.severity == "warning"
    assert problem.message == "pod-z has no people (no one in the people sheet is in it): its capacity is 0"
    assert (problem.sheet, problem.row) == ("teams", 3)


@pytest.mark.parametrize(
    ("sprint", "holidays", "why"),
    [
        (("S0", "2025-03-08", "2025-03-09"), [], "Sat 2025-03-08 to Sun 2025-03-09 is all weekend"),
        (
            ("S0", "2025-03-03", "2025-03-07"),
            [(f"2025-03-0{d}",) for d in range(3, 8)],
            "all its 5 weekdays are holidays",
        ),
    ],
)
def test_sprint_with_zero_working_days_is_a_warning_with_zero_capacity(sprint, holidays, why) -> None:
    t = tables(
        people(("Ann", "pod-a"), ("Cy", "pod-a", None, None, 6)),
        holidays=holidays,
        sprints=[sprint, ("S1", "2025-03-10", "2025-03-21")],
    )
    result = compute_capacity(t, CapacitySettings(), today=TODAY)
    assert team(result, "pod-a", "S0").net_days == 0  # days_per_sprint too: no working day, no capacity
    assert team(result, "pod-a", "S1").net_days == 10 + 6
    [problem] = result.problems
    assert problem.message == f"S0 has 0 working days ({why}): its capacity is 0"
    assert (problem.severity, problem.sheet, problem.row) == ("warning", "sprints", 2)


def test_team_holidays_covering_a_sprint_warn_for_that_team() -> None:
    holidays = [(f"2025-03-{d:02d}", "pod-b") for d in (3, 4, 5, 6, 7, 10, 11, 12, 13, 14)]
    result = capacity(tables(people(("Ann", "pod-a"), ("Bob", "pod-b")), holidays=holidays))
    assert person(result, "Bob").net == 0
    assert person(result, "Ann").net == 10
    assert "pod-b has 0 working days in Sprint 1" in messages(result)


def test_ooo_ending_before_it_starts_is_a_clear_error() -> None:
    t = tables(ooo=[("Ann", "2025-03-03", "2025-03-04"), ("Ann", "2025-03-12", "2025-03-10")])
    with pytest.raises(InputError) as caught:
        capacity(t, sprint_count=1)
    [problem] = caught.value.problems
    assert problem.message == "Ann's out-of-office ends (2025-03-10) before it starts (2025-03-12): swap start and end"
    assert (problem.file, problem.sheet, problem.row, problem.column) == ("capacity", "ooo", 3, "end")
    assert "capacity: 1 problem to fix" in str(caught.value)


@pytest.mark.parametrize(
    ("t", "text", "sheet"),
    [
        (tables(people()), "the people sheet has no one in it", "people"),
        (tables(people(("Ann", "pod-a", None, 80))), "allocation 80 is outside 0..1 (for 80% write 0.8)", "people"),
        (tables(people(("Ann", "pod-a", None, -0.1))), "allocation -0.1 is outside 0..1", "people"),
        (tables(people(("Ann", "pod-a"), ("ann", "Pod-A"))), "listed twice in Pod-A", "people"),
        (tables(people((None, "pod-a"))), "this person has no name", "people"),
        (tables(ooo=[("Anne", "2025-03-03", "2025-03-04")]), "no one called 'Anne'", "ooo"),
        (tables(ooo=[("Ann", "2025-03-03", None)]), "has no end date", "ooo"),
        (tables(oncall=[("Ann", "2025-03-05", "2025-03-03")]), "on-call ends (2025-03-03) before it starts", "oncall"),
        (tables(oncall=[("Ann", "2025-03-03", "2025-03-04", 2)]), "on-call load 2 is outside 0..1", "oncall"),
        (tables(holidays=[(None, "pod-a")]), "this holiday has no date", "holidays"),
        (tables(sprints=[("S1", "2025-03-14", "2025-03-03")]), "S1 ends (2025-03-03) before it starts", "sprints"),
        (
            tables(sprints=[("S1", "2025-03-03", "2025-03-14"), ("S1", "2025-03-17", "2025-03-28")]),
            "'S1' is used twice",
            "sprints",
        ),
        (tables(teams=[("pod-a", -3)]), "velocity -3 is negative", "teams"),
        (tables(teams=[("pod-a", None, 80)]), "focus factor 80 must be above 0 and at most 1", "teams"),
    ],
)
def test_unusable_input_raises_input_error_naming_the_sheet(t: CapacityTables, text: str, sheet: str) -> None:
    with pytest.raises(InputError) as caught:
        compute_capacity(t, CapacitySettings(start=START, sprint_count=1), today=TODAY)
    assert any(text in p.message and p.sheet == sheet for p in caught.value.problems), caught.value
    assert all(p.severity == "error" for p in caught.value.problems)


def test_every_error_is_reported_at_once() -> None:
    t = tables(
        people(("Ann", "pod-a", None, 2)),
        ooo=[("Zed", "2025-03-03", "2025-03-04")],
        oncall=[("Ann", "2025-03-05", "2025-03-03")],
    )
    with pytest.raises(InputError) as caught:
        capacity(t)
    assert {p.sheet for p in caught.value.problems} == {"people", "ooo", "oncall"}


def test_range_problems_are_the_engines_own_for_ooo_and_oncall_rows() -> None:
    oncall = [
        (" ann ", "2025-03-03", "2025-03-04", 0.5),  # fine: names match trimmed, ignoring case
        ("Zed", "2025-03-03", "2025-03-04"),  # no one called Zed
        (None, "2025-03-03", "2025-03-04"),  # no name
        ("Ann", None, "not a date"),  # no start, no end
        ("Ann", "2025-03-05", "2025-03-03"),  # ends before it starts
        ("Ann", "2025-03-03", "2025-03-03", 1.5),  # load outside 0..1
    ]
    t = tables(people(("Ann", "pod-a"), ("Bob", "pod-b")), oncall=oncall)
    found = range_problems(t.oncall, "oncall", ["Ann", "Bob"])
    assert [(p.row, p.column, p.message) for p in found] == [
        (3, "name", "no one called 'Zed' in the people sheet: check the spelling"),
        (4, "name", "this on-call row has no name"),
        (5, "start", "Ann's on-call has no start date (for one day, give the same start and end)"),
        (5, "end", "Ann's on-call has no end date (for one day, give the same start and end)"),
        (6, "end", "Ann's on-call ends (2025-03-03) before it starts (2025-03-05): swap start and end"),
        (7, "load", "Ann's on-call load 1.5 is outside 0..1 (0.5 = half of each day)"),
    ]
    assert all((p.severity, p.file, p.sheet) == ("error", "capacity", "oncall") for p in found)
    # One implementation: the engine refuses the same rows with the same problems.
    with pytest.raises(InputError) as caught:
        capacity(t)
    assert list(caught.value.problems) == found
    # A table of another shape is coerced first; OOO rows have no load; rows built in code have no row.
    ooo = pd.DataFrame({"name": ["Bob", "Ann"], "start": ["2025-03-04", "2025-03-10"], "end": ["2025-03-04", None]})
    [problem] = range_problems(ooo, "ooo", ["Ann", "Bob"], file="edits")
    assert (problem.file, problem.sheet, problem.row, problem.column) == ("edits", "ooo", None, "end")
    assert problem.message == "Ann's out-of-office has no end date (for one day, give the same start and end)"
    assert range_problems(ooo.iloc[:1], "ooo", ["bob"]) == []
    with pytest.raises(ValueError, match="not 'people'"):
        range_problems(ooo, "people", ["Ann"])


def test_result_frames_have_the_documented_columns_and_dtypes() -> None:
    result = capacity(tables(people(("Ann", "pod-a", "backend"), ("Bob", "pod-b"))))
    assert list(result.sprints.columns) == ["sprint", "start", "end", "working_days", "holiday_days", "available_days"]
    assert list(result.team_sprint.columns) == [
        "team",
        "sprint",
        "people",
        "gross_days",
        "net_days",
        "full_days",
        "velocity",
        "net",
        "unit",
    ]
    assert list(result.team_skill_sprint.columns) == [
        "team",
        "skill",
        "sprint",
        "people",
        "max_days",
        "dedicated_days",
        "max",
        "dedicated",
    ]
    assert list(result.ledger.columns) == ["team", "sprint", "step", "kind", "days"]
    for frame in (result.person_sprint, result.team_sprint, result.team_skill_sprint, result.ledger):
        assert str(frame["team"].dtype) == "string"
        assert str(frame["sprint"].dtype) == "string"
    assert result.person_sprint["name"].tolist() == ["Ann", "Ann", "Bob", "Bob"]
    assert result.person_sprint["sprint"].tolist() == ["Sprint 1", "Sprint 2"] * 2

"""The independent check of a plan: each rule it enforces, broken on purpose in a small hand-made plan.

One valid plan of a small backlog, then one change per rule that breaks exactly that rule; each must
be reported with its own sentence (and nothing else), and the valid plan with nothing.
"""

from __future__ import annotations

import random
from datetime import date

import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import backlog, capacity, linked_instance

from planner.capacity import CapacitySettings, compute_capacity
from planner.solve.baseline import rank_and_fill
from planner.solve.problem import Placement, PlanProblem, Pool, build_problem, pool_serves
from planner.solve.verify import fits, plan_violations

TODAY = date(2026, 1, 1)
A, B = "pod-a", "pod-b"
S1, S2 = 0, 1  # sprint positions; S1 ends 2026-01-16, S2 2026-01-30

# pod-a: Ann (backend) and Cy (frontend, half the days); pod-b: Bob (frontend and iOS).
PEOPLE = [("Ann", A, "backend", 10), ("Cy", A, "frontend", 5), ("Bob", B, "frontend, ios", 10)]
ITEMS = [
    {"id": "P", "team": A, "effort:backend": 2, "value": 1},
    {"id": "D", "team": A, "effort:backend": 2, "value": 5, "depends_on": "P"},
    {"id": "M", "team": A, "effort": 1, "value": 1, "moscow": "Must"},
    {"id": "PIN", "team": A, "effort": 1, "value": 1, "sprint": "S2"},
    {"id": "DL", "team": A, "effort": 1, "value": 1, "deadline": "2026-01-16"},
    {"id": "W", "team": A, "effort": 1, "value": 1, "moscow": "Won't"},
    {"id": "DONE", "team": A, "effort": 1, "value": 1, "done": True},
    {"id": "F", "team": B, "effort:frontend": 2, "value": 3},
    {"id": "F2", "team": B, "effort:frontend": 7, "value": 3},
    {"id": "IOS", "effort:ios": 2, "value": 3},  # no team: either may take it, but only pod-b has iOS
    {"id": "B1", "team": A, "effort:backend": 6, "value": 4},
    {"id": "B2", "team": A, "effort:backend": 6, "value": 4},
    {"id": "BUG", "team": A, "effort": 1, "value": 1, "type": "Bug"},
]
INDEX = {item["id"]: position for position, item in enumerate(ITEMS)}

# Every rule kept: the Must and pinned items in, P before D, DL by its deadline, within every skill's capacity.
VALID = {"P": (A, S1), "D": (A, S1), "M": (A, S1), "PIN": (A, S2), "DL": (A, S1), "F": (B, S1), "B1": (A, S2)}


@pytest.fixture(scope="module")
def problem() -> PlanProblem:
    settings = CapacitySettings(sprint_count=2)
    return build_problem(backlog(*ITEMS), compute_capacity(capacity(PEOPLE, sprints=2), settings, TODAY))


def placement(plan: dict[str, tuple[str, int]]) -> Placement:
    return {INDEX[item_id]: place for item_id, place in plan.items()}


def changed(add: dict[str, tuple[str, int]] | None = None, drop: tuple[str, ...] = ()) -> Placement:
    """The valid plan with items added or moved (``add``) and items taken out (``drop``)."""
    plan = {item_id: place for item_id, place in VALID.items() if item_id not in drop}
    return placement({**plan, **(add or {})})


def test_the_valid_plan_breaks_no_rule(problem):
    assert plan_violations(problem, placement(VALID)) == []
    everything_that_fits = changed({"IOS": (B, S2), "F2": (B, S2), "BUG": (A, S2)})
    assert plan_violations(problem, everything_that_fits) == []


BROKEN = [
    pytest.param(changed({"W": (A, S1)}), "W is planned but cannot be (wont)", id="wont-planned"),
    pytest.param(changed({"DONE": (A, S1)}), "DONE is planned but cannot be (done)", id="done-planned"),
    pytest.param(changed({"F": (A, S1)}), "F is planned for team pod-a, which may not take it", id="wrong-team"),
    pytest.param(changed({"DL": (A, S2)}), "DL is planned in S2, outside its pin or deadline", id="past-deadline"),
    pytest.param(changed({"PIN": (A, S1)}), "PIN is planned in S1, outside its pin or deadline", id="off-its-pin"),
    pytest.param(changed({"P": (A, S2)}), "D is planned before its prerequisite P", id="prerequisite-later"),
    pytest.param(changed(drop=("P",)), "D is planned before its prerequisite P", id="prerequisite-missing"),
    pytest.param(changed(drop=("M",)), "M is Must but not planned", id="must-left-out"),
    pytest.param(changed(drop=("PIN",)), "PIN is pinned but not planned", id="pinned-left-out"),
    # Bob's 10 days hold F and F2 (9) but not IOS too (11).
    pytest.param(changed({"F2": (B, S1), "IOS": (B, S1)}), "pod-b is over capacity in S1", id="team-capacity"),
    # pod-a has 15 days in S2 for 13 days of work, but only Ann (10 days) does backend: B1 + B2 is 12.
    pytest.param(changed({"B2": (A, S2)}), "pod-a is over capacity in S2", id="skill-capacity"),
    # pod-a has days to spare in S1, but nobody there has iOS.
    pytest.param(changed({"IOS": (A, S1)}), "pod-a is over capacity in S1", id="skill-the-team-lacks"),
]


@pytest.mark.parametrize(("plan", "violation"), BROKEN)
def test_each_broken_rule_is_reported(problem, plan, violation):
    assert plan_violations(problem, plan) == [violation]


@pytest.mark.parametrize(("plan", "violation"), BROKEN)
def test_checking_only_what_changed_from_a_valid_plan_finds_the_same(problem, plan, violation):
    valid = placement(VALID)
    moved = {index for index in valid.keys() | plan.keys() if valid.get(index) != plan.get(index)}
    assert plan_violations(problem, plan, changed=moved) == [violation]
    assert plan_violations(problem, placement(VALID), changed=set()) == []


def test_checking_what_changed_agrees_with_the_whole_check_on_random_changes():
    """Random moves, additions and drops from a valid plan of a linked backlog (Musts, dependencies
    across teams, items any team may take): the same violations, whichever way they are checked."""
    frame, tables = linked_instance(11, items=90, teams=3, any_team=0.1)
    linked = build_problem(frame, compute_capacity(tables, CapacitySettings(sprint_count=3), TODAY))
    start = rank_and_fill(linked)
    assert start is not None and plan_violations(linked, start) == []
    rng = random.Random(11)
    candidates = [item for item in linked.items]
    broken = 0
    for _ in range(300):
        plan = dict(start)
        for item in rng.sample(candidates, rng.randint(1, 4)):
            if item.index in plan and rng.random() < 0.4:
                del plan[item.index]
            else:
                plan[item.index] = (rng.choice(item.teams), rng.randrange(linked.horizon))
        moved = {index for index in start.keys() | plan.keys() if start.get(index) != plan.get(index)}
        whole = plan_violations(linked, plan)
        assert sorted(plan_violations(linked, plan, changed=moved)) == sorted(whole)
        broken += bool(whole)
    assert 30 < broken < 300  # both verdicts were tried


@pytest.mark.parametrize(
    ("balance", "plan", "violations"),
    [
        pytest.param({"bug": 0.5}, VALID, ["bug has 0 of 15 planned, under its 50% share"], id="no-bugs"),
        pytest.param({"bug": 0.1}, {**VALID, "BUG": (A, S2)}, ["bug has 1 of 16 planned, under its 10% share"]),
        pytest.param({"bug": 0.05}, {**VALID, "BUG": (A, S2)}, [], id="share-kept"),
        pytest.param({" BUG ": 0.05}, {**VALID, "BUG": (A, S2)}, [], id="type-compared-as-a-label"),
    ],
)
def test_balance_targets_are_checked(problem, balance, plan, violations):
    assert plan_violations(problem, placement(plan), balance) == violations


def test_every_broken_rule_is_reported_at_once(problem):
    plan = changed({"W": (A, S1), "P": (A, S2), "B2": (A, S2)}, drop=("M",))
    assert sorted(plan_violations(problem, plan)) == [
        "D is planned before its prerequisite P",
        "M is Must but not planned",
        "W is planned but cannot be (wont)",
        "pod-a is over capacity in S2",
    ]


@pytest.mark.parametrize(
    ("demand", "fitting"),
    [
        ({"backend": 6, "frontend": 4}, True),
        ({"backend": 6, "frontend": 5}, False),  # each skill alone fits; together they need 11 of Ann's 10 days
        ({"backend": 2, "frontend": 2, "design": 6}, True),  # design is Dee's alone
        ({"design": 7}, False),
    ],
)
def test_a_person_with_two_skills_counts_once(demand, fitting):
    # Gale's condition: every set of skills needs no more than the people with any of them hold.
    pools = [
        Pool(A, frozenset({"backend", "frontend"}), ("Ann",), (10.0,)),
        Pool(A, frozenset({"design"}), ("Dee",), (6.0,)),
    ]
    assert fits(demand, pools, 0) is fitting


SKILLS = ("backend", "frontend", "design", "data", "ios")


def _people_can_split_their_time(demand: dict[str, float], pools: list[Pool]) -> bool:
    """The transport problem itself, as an LP (HiGHS): days of each pool per skill, within its capacity."""
    lp = pulp.LpProblem("split", pulp.LpMinimize)
    days = {
        (n, skill): lp.add_variable(f"d_{n}_{skill}", 0)
        for n, pool in enumerate(pools)
        for skill in demand
        if pool_serves(pool, skill)
    }
    lp += pulp.lpSum(days.values())
    for n, pool in enumerate(pools):
        lp += pulp.lpSum(v for (m, _), v in days.items() if m == n) <= pool.capacity[0]
    for skill, need in demand.items():
        lp += pulp.lpSum(v for (_, s), v in days.items() if s == skill) >= need
    lp.solve(pulp.HiGHS(msg=False))
    return pulp.LpStatus[lp.status] == "Optimal"


@settings(max_examples=150, deadline=None)
@given(
    demand=st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 12), min_size=1),
    pools=st.lists(
        st.tuples(st.frozensets(st.sampled_from(SKILLS), max_size=3), st.integers(0, 10)), min_size=1, max_size=5
    ),
)
def test_fits_says_what_the_transport_problem_says(demand, pools):
    # Gale's condition over every skill set, as fits checks it, against the LP of who does what.
    team_pools = [Pool(A, skills, (f"p{n}",), (float(days),)) for n, (skills, days) in enumerate(pools)]
    wanted = {skill: float(days) for skill, days in demand.items()}
    assert fits(wanted, team_pools, 0) is _people_can_split_their_time(wanted, team_pools)

"""Export speed: a 5,000-item plan written as the xlsx workbook (and the tracker CSV).

Run: ``python bench/bench_export.py [items]``. Prints seconds and the file size; not part of the test
run. The plan is made up (a PlanResult built directly, no solver) so only the writing is timed: 8
teams, 6 sprints, 60 people, skill-split efforts, descriptions of a few hundred characters, every
sixth item with a deadline and every tenth with a dependency, plus 20 % more items left out.

Recorded on the shared 2-core dev machine (load about 2): 5,000 items in 1.1 s, 0.73 MB, with
xlsxwriter; the same workbook through openpyxl's write-only mode (no lxml) took 3.5 s.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

import pandas as pd

from planner.capacity import CapacitySettings, compute_capacity
from planner.outputs import plan_workbook, tracker_csv
from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table
from planner.solve import CAPACITY_COLUMNS, PRICE_COLUMNS, Assignment, Exclusion, PlanResult

TEAMS = [f"pod-{name}" for name in ("scale", "claims", "care", "data", "web", "ios", "platform", "billing")]
SKILLS = ["backend", "frontend", "ios", "data"]


def timed(action, repeat: int = 3) -> tuple[float, object]:
    """Median seconds of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def make_case(planned: int) -> tuple[PlanResult, pd.DataFrame, object]:
    rng = random.Random(11)
    sprint_names = [f"Sprint {n}" for n in range(1, 7)]
    total = planned + planned // 5
    rows = []
    for index in range(total):
        parts = {skill: rng.choice([None, None, 1.0, 2.0, 3.0, 5.0]) for skill in SKILLS}
        if not any(parts.values()):
            parts["backend"] = 2.0
        rows.append(
            {
                "id": f"CARE-{index + 1:05d}",
                "title": f"Item {index} — make the scale pairing flow work ✓ {rng.random():.3f}",
                "team": TEAMS[index % len(TEAMS)],
                **{f"effort:{skill}": value for skill, value in parts.items()},
                "effort": sum(value for value in parts.values() if value),
                "value": float(rng.randint(1, 60)),
                "moscow": rng.choice(["Must", "Should", "Could", None]),
                "deadline": pd.Timestamp("2026-03-01") + pd.Timedelta(days=rng.randint(0, 90))
                if index % 6 == 0
                else None,
                "depends_on": f"CARE-{index:05d}" if index % 10 == 0 and index else None,
                "type": rng.choice(["story", "bug", "task"]),
                "initiative": rng.choice(["Scale", "Claims", "Care"]),
                "milestone": "Scale Onboarding | eng build milestone | Cellular scale pairing",
                "status": "To Do",
                "priority": rng.choice(["High", "Medium", "Low"]),
                "labels": "rpm, q1",
                "description": "As a clinician I want the scale to pair without a phone. " * rng.randint(2, 8),
                "done": False,
                "source_row": index + 2,
            }
        )
    backlog = coerce_table(pd.DataFrame(rows), BACKLOG_COLUMNS)
    selected = tuple(
        Assignment(row["id"], row["team"], sprint_names[index % 6], row["value"], row["effort"])
        for index, row in enumerate(rows[:planned])
    )
    excluded = tuple(
        Exclusion(row["id"], "capacity", "did not make the cut: worth about 30 of value") for row in rows[planned:]
    )
    capacity = pd.DataFrame(
        [
            {"team": team, "sprint": sprint, "skill": None, "capacity": 40.0, "load": 38.5}
            for team in TEAMS
            for sprint in sprint_names
        ],
        columns=CAPACITY_COLUMNS,
    )
    people = pd.DataFrame(
        [
            {"name": f"Person {n}", "team": TEAMS[n % len(TEAMS)], "skills": SKILLS[n % 4], "allocation": 1.0}
            for n in range(60)
        ]
    )
    sprints = pd.DataFrame(
        [
            {
                "sprint": name,
                "start": pd.Timestamp("2026-01-05") + pd.Timedelta(days=14 * n),
                "end": pd.Timestamp("2026-01-16") + pd.Timedelta(days=14 * n),
            }
            for n, name in enumerate(sprint_names)
        ]
    )
    net = compute_capacity(CapacityTables.from_frames({"people": people, "sprints": sprints}), CapacitySettings())
    result = PlanResult(
        "optimal",
        sum(a.value for a in selected),
        None,
        0.0,
        0.0,
        selected,
        excluded,
        capacity,
        pd.DataFrame(columns=PRICE_COLUMNS),
        1.0,
        sprints=tuple(sprint_names),
    )
    return result, backlog, net


def main() -> None:
    planned = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    result, backlog, net = make_case(planned)
    settings = {"unit": "days", "buffer": 0.1, "focus factor": 0.8, "solver": "cbc", "time limit (s)": 30}
    seconds, data = timed(lambda: plan_workbook(result, backlog, net, scenario_name="bench", settings=settings))
    print(f"{planned:,}-item plan (+{len(result.excluded):,} not planned, {len(net.person_sprint)} person-sprints)")
    print(f"  plan_workbook:  {seconds:.2f} s, {len(data) / 1e6:.2f} MB")  # type: ignore[arg-type]
    seconds, data = timed(lambda: tracker_csv(result))
    print(f"  tracker_csv:    {seconds:.3f} s, {len(data) / 1e3:.0f} kB")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()

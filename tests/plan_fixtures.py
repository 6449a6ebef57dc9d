"""Small hand-made backlogs and capacity tables for planning tests."""

from __future__ import annotations

import pandas as pd

from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table

SPRINTS = [("S1", "2026-01-05", "2026-01-16"), ("S2", "2026-01-19", "2026-01-30"), ("S3", "2026-02-02", "2026-02-13")]


def backlog(*items: dict) -> pd.DataFrame:
    """Items as dicts; ``effort`` or ``effort:<skill>`` keys, ``value``; everything else optional."""
    rows = []
    for position, item in enumerate(items):
        row = {"title": item.get("id"), "done": False, "source_row": position + 2, **item}
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("deadline",):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    skill_columns = [c for c in frame.columns if c.startswith("effort:")]
    if skill_columns and "effort" not in frame:
        frame["effort"] = frame[skill_columns].sum(axis=1, min_count=1)
    return coerce_table(frame, BACKLOG_COLUMNS)


def capacity(people: list[tuple], sprints: int = 1, holidays: list[tuple] = ()) -> CapacityTables:
    """People as (name, team, skills, days_per_sprint); ``sprints`` two-week sprints from 2026-01-05."""
    return CapacityTables.from_frames(
        {
            "people": pd.DataFrame(
                [{"name": n, "team": t, "skills": s, "allocation": 1.0, "days_per_sprint": d} for n, t, s, d in people]
            ),
            "sprints": pd.DataFrame(
                [{"sprint": n, "start": pd.Timestamp(a), "end": pd.Timestamp(b)} for n, a, b in SPRINTS[:sprints]]
            ),
            "holidays": pd.DataFrame([{"date": pd.Timestamp(d)} for d in holidays], columns=["date"]),
        }
    )


def random_instance(items: int, teams: int, seed: int = 7) -> tuple[pd.DataFrame, CapacityTables]:
    """A seeded backlog needing backend/frontend/ios per item, and teams of three two-skill people."""
    import random

    rng = random.Random(seed)
    skills = ["backend", "frontend", "ios"]
    rows = []
    for n in range(items):
        need = rng.sample(skills, rng.choice([1, 1, 2]))
        row = {"id": f"R-{n}", "value": rng.randint(1, 40), "team": f"t{n % teams}"}
        for skill in need:
            row[f"effort:{skill}"] = rng.choice([0.5, 1, 1.5, 2, 3, 5, 8])
        rows.append(row)
    people = [
        (f"p{t}-{k}", f"t{t}", ", ".join(rng.sample(skills, 2)), rng.choice([6, 7, 8, 9]))
        for t in range(teams)
        for k in range(3)
    ]
    return backlog(*rows), capacity(people, sprints=3)


def linked_instance(seed: int, items: int = 60, teams: int = 3, any_team: float = 0.0):
    """random_instance with Must items, prerequisites across teams and a share of items any team may take."""
    import random

    frame, tables = random_instance(items, teams, seed=seed)
    rng = random.Random(seed)
    frame["team"] = frame["team"].astype(object)
    for row in rng.sample(range(items), round(items * any_team)):
        frame.loc[row, "team"] = None
    small = [row for row in range(items) if frame.loc[row, "effort"] <= 1]
    musts = set(rng.sample(small, min(len(small), items // 20)))
    for row in musts:
        frame.loc[row, "moscow"] = "Must"
    for row in rng.sample(range(1, items), items // 5):
        if row not in musts:
            frame.loc[row, "depends_on"] = frame.loc[rng.randrange(row), "id"]
    return frame, tables

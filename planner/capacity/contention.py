"""Contention: open Must + Should demand per team set against the net capacity of the horizon.

:func:`contention` and :func:`check_units` are also importable from :mod:`planner.capacity`. They
live apart from the engine because they read a backlog, which the engine itself never does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.capacity.inputs import match_key, trimmed_texts
from planner.capacity.types import UNITS, CapacityResult
from planner.errors import PlannerError
from planner.number_text import format_number

__all__ = ["TIGHT_AT", "UNASSIGNED", "check_units", "contention"]

UNASSIGNED = "unassigned"
TIGHT_AT = 0.85


def check_units(backlog_unit: str, capacity_unit: str) -> None:
    """Refuse to compare a backlog and a capacity in different units (points vs days)."""
    for label, unit in (("backlog", backlog_unit), ("capacity", capacity_unit)):
        if unit not in UNITS:
            raise PlannerError(f"The {label} unit must be 'days' or 'points', not {unit!r}.")
    if backlog_unit != capacity_unit:
        needs = " (it needs each team's velocity)" if backlog_unit == "points" else ""
        raise PlannerError(
            f"Mixed units: the backlog's effort is in {backlog_unit} but capacity is in {capacity_unit}. "
            f"Compute capacity in {backlog_unit}{needs}, or estimate the backlog in {capacity_unit}."
        )


def contention(
    backlog: pd.DataFrame,
    capacity: CapacityResult,
    *,
    backlog_unit: str | None = None,
    tight_at: float = TIGHT_AT,
) -> pd.DataFrame:
    """Per team: Must + Should demand of open items vs net capacity over the whole horizon.

    Demand sums ``effort`` (blank = 0) of items whose ``moscow`` is Must or Should and that are not
    ``done``, by ``team`` (matched to capacity teams ignoring case and spaces around). Items with a
    blank team may go to any team: they form the :data:`UNASSIGNED` row, set against the capacity
    left over once each team's own Must + Should is covered. Items of a team the capacity does not
    know get a row with capacity 0.

    Columns: team, must_should_demand, net_capacity, sprints, ratio (demand / capacity; inf for
    demand without capacity), flag (``over`` when demand > capacity, ``tight`` above ``tight_at`` of
    it, else ``ok``), message. A known ``backlog_unit`` must match ``capacity.unit``
    (:func:`check_units`).
    """
    if backlog_unit is not None:
        check_units(backlog_unit, capacity.unit)
    demand, spelling = _must_should_demand(backlog)
    supply = capacity.team_sprint.groupby("team", sort=False)["net"].sum()
    rows: list[tuple[str, float, float]] = []
    for team, net in supply.items():
        rows.append((str(team), demand.pop(match_key(team), 0.0), float(net)))
    unassigned = demand.pop(None, 0.0)
    for key, amount in demand.items():  # teams the capacity file does not know
        if key is not None:  # (the blank team's demand was taken out above)
            rows.append((spelling[key], amount, 0.0))
    if unassigned > 0:
        spare = sum(max(net - amount, 0.0) for _, amount, net in rows)
        rows.append((UNASSIGNED, unassigned, spare))

    sprint_count = len(capacity.sprints)
    ratios = [_ratio(amount, net) for _, amount, net in rows]
    flags = [_flag(ratio, tight_at) for ratio in ratios]
    messages = [
        _contention_message(team, amount, net, ratio, flag, capacity.unit, sprint_count)
        for (team, amount, net), ratio, flag in zip(rows, ratios, flags)
    ]
    return pd.DataFrame(
        {
            "team": pd.array([row[0] for row in rows], dtype="string"),
            "must_should_demand": np.array([row[1] for row in rows], dtype=np.float64),
            "net_capacity": np.array([row[2] for row in rows], dtype=np.float64),
            "sprints": np.full(len(rows), sprint_count, dtype=np.int64),
            "ratio": np.array(ratios, dtype=np.float64),
            "flag": pd.array(flags, dtype="string"),
            "message": pd.array(messages, dtype="string"),
        }
    )


# --------------------------------------------------------------------------------------------------
# Helpers


def _must_should_demand(backlog: pd.DataFrame) -> tuple[dict[str | None, float], dict[str, str]]:
    """Open Must + Should effort by team key (``None`` = blank team), and each key's spelling."""
    n = len(backlog)
    moscow = trimmed_texts(backlog["moscow"]) if "moscow" in backlog.columns else [None] * n
    teams = trimmed_texts(backlog["team"]) if "team" in backlog.columns else [None] * n
    done = backlog["done"].fillna(False).astype(bool).tolist() if "done" in backlog.columns else [False] * n
    effort = (
        pd.to_numeric(backlog["effort"], errors="coerce").fillna(0.0).tolist()
        if "effort" in backlog.columns
        else [0.0] * n
    )
    demand: dict[str | None, float] = {}
    spelling: dict[str, str] = {}
    for level, team, is_done, amount in zip(moscow, teams, done, effort):
        if is_done or level is None or not level.casefold().startswith(("must", "should")):
            continue
        key = match_key(team)
        demand[key] = demand.get(key, 0.0) + float(amount)
        if key is not None and team is not None:
            spelling.setdefault(key, team)
    return demand, spelling


def _ratio(demand: float, capacity: float) -> float:
    if capacity > 0:
        return demand / capacity
    return float("inf") if demand > 0 else 0.0


def _flag(ratio: float, tight_at: float) -> str:
    if ratio > 1:
        return "over"
    if ratio > tight_at:
        return "tight"
    return "ok"


def _contention_message(
    team: str, demand: float, capacity: float, ratio: float, flag: str, unit: str, sprints: int
) -> str:
    horizon = format_number(sprints, "sprints")
    supply = "spare capacity across teams" if team == UNASSIGNED else "net capacity"
    needs, has = format_number(demand, unit, decimals=1), format_number(capacity, unit, decimals=1)
    head = f"{team}: Must+Should needs {needs}, {supply} {has} over {horizon}"
    if flag == "over":
        return f"{head}: likely needs more bandwidth"
    if flag == "tight":
        return f"{head}: tight ({ratio:.0%} of capacity)"
    return f"{head}: fits"

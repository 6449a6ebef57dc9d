"""The capacity ledger shaped for a waterfall chart and for a team x sprint table.

A waterfall reads the ledger of :class:`planner.capacity.CapacityResult` (team, sprint, step, kind,
days; steps in :data:`LEDGER_STEPS` order) for one team and sprint: a bar from 0 to gross, one
floating bar per step from the running total before it to the running total after it, and a bar
from 0 to net. Each floating bar starts where the one before ended; the last one ends at net.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.capacity.types import LEDGER_STEPS
from planner.errors import PlannerError

__all__ = ["CHANGE_STEPS", "capacity_table", "waterfall_rows"]

CHANGE_STEPS: tuple[str, ...] = LEDGER_STEPS[1:-1]
WATERFALL_COLUMNS: tuple[str, ...] = ("step", "start", "end", "change", "kind")


def waterfall_rows(ledger: pd.DataFrame, team: str, sprint: str) -> pd.DataFrame:
    """Bars of one team's waterfall in one sprint: step, start, end, change, kind.

    ``kind`` is ``total`` (gross and net: from 0 to the value) or ``change`` (from the previous
    bar's end to ``start + change``; negative for a deduction). Rows are in :data:`LEDGER_STEPS`
    order. Raises :class:`PlannerError` when the ledger has no such team and sprint, or lacks a step.
    """
    rows = ledger[(ledger["team"] == team) & (ledger["sprint"] == sprint)]
    if rows.empty:
        raise PlannerError(f"The capacity ledger has no rows for team {team!r} in sprint {sprint!r}.")
    days = dict(zip(rows["step"].astype(str), rows["days"].astype(float)))
    missing = [step for step in LEDGER_STEPS if step not in days]
    if missing:
        raise PlannerError(
            f"The capacity ledger of team {team!r} in sprint {sprint!r} lacks the steps {', '.join(missing)}."
        )
    gross = days[LEDGER_STEPS[0]]
    bars: list[tuple[str, float, float, float, str]] = [(LEDGER_STEPS[0], 0.0, gross, gross, "total")]
    running = gross
    for step in CHANGE_STEPS:
        change = days[step]
        bars.append((step, running, running + change, change, "change"))
        running += change
    net = days[LEDGER_STEPS[-1]]
    if not np.isclose(running, net, rtol=1e-9, atol=1e-6):
        raise PlannerError(
            f"The capacity ledger of team {team!r} in sprint {sprint!r} does not add up: "
            f"gross and its changes give {running:g}, net is {net:g}."
        )
    # The last change ends exactly at net (no rounding sliver between it and the net bar).
    step, start, _, change, kind = bars[-1]
    bars[-1] = (step, start, net, change, kind)
    bars.append((LEDGER_STEPS[-1], 0.0, net, net, "total"))
    steps, starts, ends, changes, kinds = zip(*bars)
    return pd.DataFrame(
        {
            "step": pd.array(steps, dtype="string"),
            "start": np.array(starts, dtype=np.float64),
            "end": np.array(ends, dtype=np.float64),
            "change": np.array(changes, dtype=np.float64),
            "kind": pd.array(kinds, dtype="string"),
        }
    )


def capacity_table(team_sprint: pd.DataFrame, ledger: pd.DataFrame, unit: str = "days") -> pd.DataFrame:
    """One row per team and sprint: people, then the ledger in wide form (days), then net points.

    Columns: team, sprint, people, gross, holidays, OOO, on-call, focus, buffer, capacity %, net
    (all in days; each change negative for a deduction), and ``net points`` when ``unit`` is
    ``points``. Rows keep the order of ``team_sprint``.
    """
    wide = ledger.pivot_table(
        index=["team", "sprint"], columns="step", values="days", aggfunc="sum", sort=False, observed=True
    )
    wide = wide.reindex(columns=list(LEDGER_STEPS)).reset_index()
    wide.columns.name = None
    table = team_sprint[["team", "sprint", "people"]].merge(wide, on=["team", "sprint"], how="left")
    if unit == "points":
        table["net points"] = team_sprint["net"].to_numpy(dtype=np.float64)
    return table

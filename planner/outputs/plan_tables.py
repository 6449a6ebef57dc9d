"""Tables a person reads from a plan: per sprint and team, load by type, value per initiative, changes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from planner.solve import PlanResult

__all__ = [
    "excluded_table",
    "load_by_type",
    "plan_changes",
    "plan_table",
    "positions",
    "prices_table",
    "value_by_initiative",
]


def positions(result: PlanResult) -> dict[str, tuple[str, str]]:
    """Item id -> (team, sprint) of every planned item."""
    return {a.id: (a.team, a.sprint) for a in result.selected}


def _items(backlog: pd.DataFrame) -> pd.DataFrame:
    columns = ["id", "title", "type", "initiative", "moscow", "effort", "value", "deadline", "depends_on"]
    return backlog[[c for c in columns if c in backlog.columns]].drop_duplicates("id").set_index("id")


def plan_table(result: PlanResult, backlog: pd.DataFrame) -> pd.DataFrame:
    """One row per planned item, by sprint, team and value (highest first)."""
    items = _items(backlog)
    rows = pd.DataFrame(
        [{"sprint": a.sprint, "team": a.team, "id": a.id} for a in result.selected], columns=["sprint", "team", "id"]
    )
    table = rows.join(items, on="id")
    sprint_order = {name: position for position, name in enumerate(result.sprints)}
    table["_order"] = table["sprint"].map(sprint_order)
    return table.sort_values(["_order", "team", "value"], ascending=[True, True, False]).drop(columns="_order")


def excluded_table(result: PlanResult, backlog: pd.DataFrame) -> pd.DataFrame:
    """One row per item left out, with its reason and what would make it fit."""
    items = _items(backlog)
    rows = pd.DataFrame(
        [{"id": e.id, "reason": e.reason, "detail": e.detail} for e in result.excluded],
        columns=["id", "reason", "detail"],
    )
    return rows.join(items[["title", "value", "effort", "moscow"]], on="id")


def load_by_type(result: PlanResult, backlog: pd.DataFrame) -> pd.DataFrame:
    """Planned effort per team, sprint and item type, with each team's capacity in that sprint."""
    table = plan_table(result, backlog)
    table["type"] = table["type"].fillna("(no type)")
    load = table.groupby(["team", "sprint", "type"], as_index=False)["effort"].sum()
    capacity = result.capacity[result.capacity["skill"].isna()][["team", "sprint", "capacity"]]
    return load.merge(capacity, on=["team", "sprint"], how="right").fillna({"effort": 0.0, "type": "(none)"})


def value_by_initiative(result: PlanResult, backlog: pd.DataFrame) -> pd.DataFrame:
    """Value planned and value left out, per initiative."""
    items = backlog[~backlog["done"]].copy()
    items["initiative"] = items["initiative"].fillna("(no initiative)")
    planned = set(positions(result))
    items["planned"] = items["id"].isin(planned)
    grouped = items.groupby(["initiative", "planned"], as_index=False)[["value"]].sum()
    grouped["part"] = grouped["planned"].map({True: "planned", False: "left out"})
    return grouped.drop(columns="planned")


def plan_changes(before: Mapping[str, tuple[str, str]], after: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Items that entered, left or moved between two plans."""
    rows = []
    for item_id in sorted(set(before) | set(after)):
        old, new = before.get(item_id), after.get(item_id)
        if old == new:
            continue
        change = "entered" if old is None else "left" if new is None else "moved"
        rows.append(
            {
                "id": item_id,
                "change": change,
                "before": " / ".join(old) if old else "",
                "after": " / ".join(new) if new else "",
            }
        )
    return pd.DataFrame(rows, columns=["id", "change", "before", "after"])


LACKED_SKILL_NOTE = "skill the team lacks: hire or borrow"


def prices_table(result: PlanResult) -> pd.DataFrame:
    """What one more day of each skill is worth per team and sprint, highest first, zeros left out.

    A row for a skill nobody in the team has says so in ``note``: its value is what hiring or
    borrowing that skill would bring, not a day the team can move from elsewhere.
    """
    prices = result.prices[result.prices["value_per_day"] > 1e-6]
    table = prices[["team", "skill", "sprint", "value_per_day"]].copy()
    lacks = ~prices["team_has_skill"].astype(bool) if "team_has_skill" in prices else pd.Series(False, prices.index)
    table["note"] = lacks.map({True: LACKED_SKILL_NOTE, False: ""})
    return table.sort_values("value_per_day", ascending=False, kind="stable").reset_index(drop=True)

"""The value of an item, by the first rule of SPEC section 1 that the backlog can use.

Rules, in order: the file's ``value`` column; WSJF cost of delay (business value + time criticality
+ risk reduction: never the WSJF ratio, since the optimiser already weighs size); RICE (reach x
impact x confidence); the priority scale below; else 1 per item.
"""

from __future__ import annotations

import pandas as pd

from planner.cells import comparable_key, is_blank
from planner.errors import SettingsError

__all__ = ["PRIORITY_SCALE", "VALUE_RULES", "apply_value_rule", "choose_value_rule", "compute_value", "priority_score"]

VALUE_RULES: dict[str, str] = {
    "value": "the file's value column",
    "wsjf": "WSJF cost of delay: business value + time criticality + risk reduction",
    "rice": "RICE: reach x impact x confidence",
    "priority": "priority scale: Highest/Blocker/Urgent/P0 = 5, High/Critical/P1 = 4, Medium/Major/P2 = 3, "
    "Low/Minor/P3 = 2, Lowest/Trivial/P4 = 1",
    "one": "1 per item (the file has no value, WSJF, RICE or priority column)",
}

_RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "value": ("value_given",),
    "wsjf": ("business_value", "time_criticality", "risk_reduction"),
    "rice": ("reach", "impact", "confidence"),
    "priority": ("priority",),
    "one": (),
}

# Jira, Linear ("1" = Urgent ... "4" = Low, "0" = no priority), Azure DevOps (1-4) and P0-P4 scales.
PRIORITY_SCALE: dict[str, float] = {
    "highest": 5,
    "blocker": 5,
    "urgent": 5,
    "p0": 5,
    "1": 5,
    "high": 4,
    "critical": 4,
    "p1": 4,
    "2": 4,
    "medium": 3,
    "major": 3,
    "normal": 3,
    "p2": 3,
    "3": 3,
    "low": 2,
    "minor": 2,
    "p3": 2,
    "4": 2,
    "lowest": 1,
    "trivial": 1,
    "p4": 1,
    "nopriority": 1,
    "none": 1,
    "0": 1,
}


def priority_score(priority: object) -> float | None:
    """Scale value of a priority label, or None when the label is blank or unknown."""
    if is_blank(priority):
        return None
    return PRIORITY_SCALE.get(comparable_key(str(priority)))


def choose_value_rule(table: pd.DataFrame) -> str:
    """The first rule whose inputs the backlog has (a column with at least one value)."""
    for rule, inputs in _RULE_INPUTS.items():
        if rule == "one":
            return rule
        present = [column for column in inputs if column in table and table[column].notna().any()]
        if (rule == "rice" and len(present) == 3) or (rule != "rice" and present):
            return rule
    return "one"


def compute_value(table: pd.DataFrame, rule: str) -> pd.Series:
    """Each item's value under ``rule``; an item missing the rule's inputs gets NaN.

    Raises :class:`~planner.errors.SettingsError` for a rule not in :data:`VALUE_RULES`.
    """
    if rule not in VALUE_RULES:
        raise SettingsError(f"unknown value rule {rule!r}; choose one of {', '.join(VALUE_RULES)}")
    if rule == "value":
        return table["value_given"].astype("float64")
    if rule == "wsjf":
        parts = table[list(_RULE_INPUTS["wsjf"])].astype("float64")
        return parts.sum(axis=1, min_count=1)
    if rule == "rice":
        parts = table[list(_RULE_INPUTS["rice"])].astype("float64")
        return parts.prod(axis=1, min_count=3)
    if rule == "priority":
        return table["priority"].map(priority_score, na_action="ignore").astype("float64")
    return pd.Series(1.0, index=table.index)


def apply_value_rule(table: pd.DataFrame, rule: str) -> pd.DataFrame:
    """A copy of the backlog whose ``value`` follows ``rule`` (items missing its inputs get 0).

    Raises :class:`~planner.errors.SettingsError` for an unknown rule.
    """
    planned = table.copy()
    planned["value"] = compute_value(table, rule).fillna(0.0)
    return planned

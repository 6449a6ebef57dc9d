"""What the planning meeting changes on top of the backlog: pins in or out, Must and Won't.

An override never edits the saved backlog; it makes a planning copy. ``pin`` is ``"in"`` (plan it:
Must), ``"out"`` (leave it out: Won't) or a sprint name (plan it in that sprint).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from planner.errors import PlannerError

__all__ = ["PIN_IN", "PIN_OUT", "Override", "apply_overrides"]

PIN_IN = "in"
PIN_OUT = "out"


@dataclass(frozen=True)
class Override:
    """One item's change for this plan: a pin (in, out, or a sprint) and/or a MoSCoW class."""

    pin: str | None = None
    moscow: str | None = None


def apply_overrides(backlog: pd.DataFrame, overrides: Mapping[str, Override]) -> pd.DataFrame:
    """A copy of ``backlog`` with each item's override applied; unknown ids are refused."""
    if not overrides:
        return backlog
    unknown = sorted(set(overrides) - set(backlog["id"]))
    if unknown:
        raise PlannerError(f"no backlog item has the id {', '.join(repr(i) for i in unknown[:5])}")
    planned = backlog.copy()
    position = {item_id: index for index, item_id in enumerate(planned["id"])}
    for item_id, override in overrides.items():
        row = position[item_id]
        if override.moscow is not None:
            planned.loc[row, "moscow"] = override.moscow or pd.NA
        if override.pin == PIN_IN:
            planned.loc[row, "moscow"] = "Must"
        elif override.pin == PIN_OUT:
            planned.loc[row, "moscow"] = "Won't"
        elif override.pin:
            planned.loc[row, "sprint"] = override.pin
    return planned

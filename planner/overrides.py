"""What the planning meeting changes on top of the backlog: pins in or out, Must and Won't.

An override never edits the saved backlog; it makes a planning copy. ``pin`` is ``"in"`` (plan it:
Must), ``"out"`` (leave it out: Won't) or a sprint name (plan it in that sprint).

The Plan page edits overrides as a table (:func:`pin_table`, one row per open item with its ``pin``
and ``moscow``); :func:`overrides_from_table` reads the edited table back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from planner.cells import is_blank
from planner.errors import PlannerError

__all__ = ["PIN_COLUMNS", "PIN_IN", "PIN_OUT", "Override", "apply_overrides", "overrides_from_table", "pin_table"]

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


PIN_COLUMNS = ["id", "title", "team", "effort", "moscow", "pin"]


def _text(cell: object) -> str:
    """A table cell as the pin table shows it: ``""`` when blank."""
    return "" if is_blank(cell) else str(cell)


def pin_table(backlog: pd.DataFrame, overrides: Mapping[str, Override]) -> pd.DataFrame:
    """The open (not done) items as the pin editor shows them: :data:`PIN_COLUMNS`, index kept.

    ``moscow`` is the override's class where it sets one, else the saved class (``""`` when blank);
    ``pin`` is the override's pin, ``""`` when the item is not pinned.
    """
    table = backlog[~backlog["done"]][PIN_COLUMNS[:-1]].copy()
    saved = table["moscow"].astype("object").where(table["moscow"].notna(), "")
    table["moscow"] = [
        overrides[item].moscow if item in overrides and overrides[item].moscow is not None else moscow
        for item, moscow in zip(table["id"], saved)
    ]
    table["pin"] = [overrides[item].pin if item in overrides and overrides[item].pin else "" for item in table["id"]]
    return table


def overrides_from_table(table: pd.DataFrame, backlog: pd.DataFrame) -> dict[str, Override]:
    """The overrides a pin table holds (``id``, ``pin`` and ``moscow`` columns, as edited), by item id.

    An item gets an override when it is pinned or its class differs from the one saved in
    ``backlog``; the override's ``moscow`` is set only when the class differs (``""``: the class was
    cleared). Blank cells are no pin and no class.
    """
    saved = dict(zip(backlog["id"], backlog["moscow"]))
    overrides = {}
    for item, pin, moscow in zip(table["id"], table["pin"], table["moscow"]):
        chosen, was = _text(moscow), _text(saved.get(item))
        if not is_blank(pin) or chosen != was:
            overrides[item] = Override(pin=None if is_blank(pin) else pin, moscow=chosen if chosen != was else None)
    return overrides

"""Outputs: what people take away from a plan.

Import every public name from this package; its modules are private to it:
:mod:`~planner.outputs.plan_tables` (the tables the Plan page shows: per sprint and team, load by
type, value per initiative, changes) and :mod:`~planner.outputs.workbook` (the Excel workbook a
lead downloads and the CSV for a tracker's Sprint field).
"""

from planner.outputs.plan_tables import (
    excluded_table,
    load_by_type,
    plan_changes,
    plan_table,
    positions,
    value_by_initiative,
)
from planner.outputs.workbook import MAX_CELL_CHARS, plan_workbook, tracker_csv, write_plan_workbook

__all__ = [
    "MAX_CELL_CHARS",
    "excluded_table",
    "load_by_type",
    "plan_changes",
    "plan_table",
    "plan_workbook",
    "positions",
    "tracker_csv",
    "value_by_initiative",
    "write_plan_workbook",
]

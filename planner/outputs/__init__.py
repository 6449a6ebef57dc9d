"""Outputs: what people take away from a plan.

Import every public name from this package; its modules are private to it:
:mod:`~planner.outputs.plan_tables` (the tables the Plan page shows: per sprint and team, load by
type, value per initiative, changes), :mod:`~planner.outputs.workbook` (the Excel workbook and the
CSV for a tracker's Sprint field) and :mod:`~planner.outputs.export` (the workbook a lead takes
away, Refinement sheet included: :func:`export_workbook` is what the Export page downloads and
:func:`write_export_workbook` what ``planner plan --out`` writes).
"""

from planner.outputs.export import SHEET_REFINEMENT, export_workbook, refinement_table, write_export_workbook
from planner.outputs.plan_tables import (
    excluded_table,
    load_by_type,
    plan_changes,
    plan_table,
    positions,
    prices_table,
    value_by_initiative,
)
from planner.outputs.workbook import MAX_CELL_CHARS, plan_workbook, tracker_csv, write_plan_workbook

__all__ = [
    "MAX_CELL_CHARS",
    "SHEET_REFINEMENT",
    "excluded_table",
    "export_workbook",
    "load_by_type",
    "plan_changes",
    "plan_table",
    "plan_workbook",
    "positions",
    "prices_table",
    "refinement_table",
    "tracker_csv",
    "value_by_initiative",
    "write_export_workbook",
    "write_plan_workbook",
]

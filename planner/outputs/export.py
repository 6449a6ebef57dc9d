"""The plan export: the one workbook both the Export page and ``planner plan --out`` give a lead.

:func:`export_workbook` assembles it: :func:`planner.outputs.workbook.plan_workbook` (Plan,
Summary, Not planned, Capacity, one sheet per team) with a ``Refinement`` sheet, the refinement
meeting's agenda from the readiness checks (:func:`planner.refine.run_checks`, then
:func:`~planner.refine.build_agenda` and :func:`~planner.refine.agenda_table`).
:func:`write_export_workbook` writes the same bytes to a file, through a temporary file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.capacity import CapacityResult
from planner.outputs.workbook import plan_workbook, write_workbook_bytes
from planner.refine import CheckSettings, agenda_table, build_agenda, run_checks
from planner.solve import PlanResult

__all__ = ["SHEET_REFINEMENT", "export_workbook", "refinement_table", "write_export_workbook"]

SHEET_REFINEMENT = "Refinement"


def refinement_table(
    backlog: pd.DataFrame, capacity: CapacityResult | None, check_settings: CheckSettings | None = None
) -> pd.DataFrame:
    """The Refinement sheet: the agenda of the readiness checks (default settings unless given), one
    row per item, efforts in the capacity's unit."""
    findings = run_checks(backlog, capacity, check_settings or CheckSettings())
    return agenda_table(build_agenda(backlog, findings, capacity))


def export_workbook(
    result: PlanResult,
    backlog: pd.DataFrame,
    capacity: CapacityResult | None,
    *,
    scenario_name: str = "",
    settings: Mapping[str, object] | None = None,
    check_settings: CheckSettings | None = None,
) -> bytes:
    """The plan workbook as xlsx bytes: Plan, Summary, Not planned, Capacity, Refinement, one sheet per team.

    ``backlog`` is the table that was planned, ``capacity`` the capacity the plan used, ``settings``
    the what-ifs and options shown on the Summary as given, ``check_settings`` the readiness checks'
    knobs (default :class:`~planner.refine.CheckSettings`).
    """
    return plan_workbook(
        result,
        backlog,
        capacity,
        scenario_name=scenario_name,
        settings=settings,
        extra_sheets={SHEET_REFINEMENT: refinement_table(backlog, capacity, check_settings)},
    )


def write_export_workbook(
    path: str | Path,
    result: PlanResult,
    backlog: pd.DataFrame,
    capacity: CapacityResult | None,
    *,
    scenario_name: str = "",
    settings: Mapping[str, object] | None = None,
    check_settings: CheckSettings | None = None,
) -> Path:
    """Write :func:`export_workbook` to ``path`` through a temporary file (a failure leaves no half
    workbook); the path written."""
    data = export_workbook(
        result, backlog, capacity, scenario_name=scenario_name, settings=settings, check_settings=check_settings
    )
    return write_workbook_bytes(path, data)

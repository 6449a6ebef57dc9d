"""Refine: what a team should fix or discuss before planning, and the refinement meeting's agenda.

Import every public name from this package; its modules are private to it:
:mod:`~planner.refine.checks` (one function per check, :class:`Finding` results) and
:mod:`~planner.refine.agenda` (the flagged items grouped the way the meeting runs).
"""

from planner.refine.agenda import AGENDA_COLUMNS, Agenda, agenda_markdown, agenda_table, build_agenda
from planner.refine.checks import (
    CHECKS,
    DEFAULT_MILESTONE_TYPES,
    CheckSettings,
    Finding,
    FindingSeverity,
    findings_frame,
    near_term,
    run_checks,
    suggest_milestone,
)

__all__ = [
    "AGENDA_COLUMNS",
    "CHECKS",
    "DEFAULT_MILESTONE_TYPES",
    "Agenda",
    "CheckSettings",
    "Finding",
    "FindingSeverity",
    "agenda_markdown",
    "agenda_table",
    "build_agenda",
    "findings_frame",
    "near_term",
    "run_checks",
    "suggest_milestone",
]

"""Capacity engine: net capacity per person, team, skill and sprint after holidays, OOO and on-call.

Net capacity of person ``p`` in sprint ``s`` (SPEC section 2), step by step, every step kept as a
column of :attr:`CapacityResult.person_sprint` so that the ledger adds up exactly:

====================  ==========================================================================
``gross``             ``working_days x allocation`` (working days = Mon-Fri in the sprint, before
                      holidays), or ``days_per_sprint`` when set (``allocation`` is then ignored)
``after_holidays``    ``(working_days - holiday_days) x allocation``
``after_ooo``         ``(working_days - holiday_days - ooo_days) x allocation``
``after_oncall``      ``max(0, after_ooo - on-call days x load)``: the only step that can go below
                      zero, so capacity is clipped here and is never negative
``after_focus``       ``x focus_factor`` (the slider when set, else the team's, else 1); in unit
                      ``points`` the factor is 1 (velocity is observed output, already net of
                      focus), so the focus step changes nothing there
``after_buffer``      ``x (1 - buffer)``: this is the SPEC's net capacity
``net``               ``x capacity_pct``: the global what-if multiplier is its own, last ledger step
                      ("capacity %"), so the what-if shows as one bar of the waterfall
====================  ==========================================================================

Day counting, all on the sprint's Mon-Fri days: a holiday applies to everyone (blank team) or to
that team's people only; an OOO day that is also a holiday is a holiday, not OOO (counted once);
overlapping OOO rows of a person count each day once; an on-call day that is a holiday or an OOO day
is not on-call; overlapping on-call rows count each day once, at the highest load among them.

``days_per_sprint`` is read as the person's days in a sprint without holidays. Holidays and OOO
reduce it in proportion to the working days they take:
``after_ooo = days_per_sprint x (working_days - holiday_days - ooo_days) / working_days``; on-call,
focus, buffer and capacity % then apply as for everyone.

Errors and warnings. Input that cannot be used raises :class:`InputError` listing every problem
found: no people at all; a person without a name, listed twice in a team, with an allocation outside
0..1 or a negative ``days_per_sprint``; an OOO or on-call row naming no one known, missing a date,
ending before it starts, or with a load outside 0..1; a holiday without a date; a sprint row without
a name or dates, ending before it starts, or named twice; a team listed twice, with a negative
velocity or a focus factor outside 0..1; unit ``points`` without the velocity of every staffed team
(mixed units); invalid settings or what-ifs. What a plan can live with is a warning in
:attr:`CapacityResult.problems`, and the capacity is as computed (often 0): a team with no people, a
sprint (or one team's sprint) with 0 working days, on-call eating a person's whole availability, a
holiday for an unknown team, ``allocation`` ignored because of ``days_per_sprint``, sprints that
overlap or already ended. :func:`range_problems` applies the OOO and on-call row rules alone, to rows
edited before they are saved.

Import every public name from this package; its modules are private to it:

- :mod:`~planner.capacity.compute`: the entry points and the choice of sprints;
- :mod:`~planner.capacity.types`: constants, settings, result;
- :mod:`~planner.capacity.workdays`: sprint calendars and working days;
- :mod:`~planner.capacity.inputs`: reading the tables and the what-ifs;
- :mod:`~planner.capacity.ledger`: the arithmetic and the result frames;
- :mod:`~planner.capacity.checks`: raising the errors, the warnings;
- :mod:`~planner.capacity.contention`: demand against capacity;
- :mod:`~planner.capacity.waterfall`: the ledger as waterfall bars and a capacity table.
"""

from planner.capacity.compute import compute_capacity, range_problems, sprint_calendar
from planner.capacity.contention import TIGHT_AT, UNASSIGNED, check_units, contention
from planner.capacity.types import (
    DEFAULT_SPRINT_COUNT,
    LEDGER_STEPS,
    NO_TEAM,
    SETTINGS_FILE,
    UNITS,
    CapacityResult,
    CapacitySettings,
    Unit,
)
from planner.capacity.waterfall import capacity_table, waterfall_rows
from planner.schema import GENERAL_SKILL

__all__ = [
    "DEFAULT_SPRINT_COUNT",
    "GENERAL_SKILL",
    "LEDGER_STEPS",
    "NO_TEAM",
    "SETTINGS_FILE",
    "TIGHT_AT",
    "UNASSIGNED",
    "UNITS",
    "CapacityResult",
    "CapacitySettings",
    "Unit",
    "capacity_table",
    "check_units",
    "compute_capacity",
    "contention",
    "range_problems",
    "sprint_calendar",
    "waterfall_rows",
]

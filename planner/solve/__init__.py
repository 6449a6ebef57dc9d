"""Solve: the highest-value plan that fits, and why every other item was left out.

Import every public name from this package; its modules are private to it. In pipeline order:

- :mod:`~planner.solve.problem`: the backlog and capacity as numbers (items, pools, pins, checks);
- :mod:`~planner.solve.baseline`: rank-and-fill (the floor) and the density bound (the ceiling);
- :mod:`~planner.solve.model`: the PuLP model, one function per constraint family, and the solver;
- :mod:`~planner.solve.warmstart`, :mod:`~planner.solve.decompose`, :mod:`~planner.solve.improve`:
  starts, team-by-team parts and repairs that the search combines;
- :mod:`~planner.solve.search`: the search strategy (which phases run, and the :class:`TimeBudget`
  that shares the deadline among them) and the sprint order of the plan found;
- :mod:`~planner.solve.verify`: every rule checked again on the plan found;
- :mod:`~planner.solve.explain`: the reason each item was left out and the price of each skill;
- :mod:`~planner.solve.plan`: :func:`make_plan`, which runs the steps above in that order and,
  re-planning against a previous plan, the fewest-changes pass of :func:`~planner.solve.search.solve_stable`
  after them (:class:`Changes` says what changed), started from the greedy plans of
  :mod:`~planner.solve.fewest_changes`;
- :mod:`~planner.solve.background`: the queue of solves a page finishes after showing a quick plan.

``PlanStatus`` is the status of a :class:`PlanResult`; ``SolveStatus`` that of one solve, with ``stopped``.
"""

from planner.solve.background import BackgroundSolves
from planner.solve.explain import PRICE_COLUMNS, Exclusion
from planner.solve.model import SOLVERS, SolveOptions
from planner.solve.plan import CAPACITY_COLUMNS, Assignment, Changes, PlanResult, make_plan, plan_changes_against
from planner.solve.plan_record import plan_from_json, plan_to_json
from planner.solve.problem import PlanStatus, SolveStatus, capacity_sprint_names, check_plan_inputs
from planner.solve.workers import SolveWorkers, planned_json

__all__ = [
    "CAPACITY_COLUMNS",
    "PRICE_COLUMNS",
    "SOLVERS",
    "Assignment",
    "BackgroundSolves",
    "Changes",
    "Exclusion",
    "PlanResult",
    "PlanStatus",
    "SolveOptions",
    "SolveStatus",
    "SolveWorkers",
    "capacity_sprint_names",
    "check_plan_inputs",
    "make_plan",
    "plan_changes_against",
    "plan_from_json",
    "plan_to_json",
    "planned_json",
]

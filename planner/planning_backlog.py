"""The planning backlog: the saved backlog as the plan, the checks and the exports see it.

The rule, in this order:

1. every item is valued by the value rule (:func:`planner.value.apply_value_rule`: an item missing
   the rule's inputs is worth 0);
2. with a :class:`~planner.sprint_values.SprintTreatment`, the sprint values are treated against the
   capacity file's sprints (:func:`planner.sprint_values.apply_sprint_treatment`: a project root such
   as ``Care`` pins nothing, an open item of a past sprint is carry-over, a sprint after the last
   stays pinned-later, as the user chose on the Data page);
3. the planning meeting's overrides are applied on top (:func:`planner.overrides.apply_overrides`:
   pins in, out or to a sprint, and MoSCoW changes; an override of an unknown item is refused).

The saved backlog is never changed: the planning backlog is a copy. The Plan, Capacity, Refinement
and Export pages all take it from :func:`planning_backlog`, so they agree on every item's value,
class and sprint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from planner.overrides import Override, apply_overrides
from planner.sprint_values import SprintTreatment, apply_sprint_treatment
from planner.value import apply_value_rule

__all__ = ["planning_backlog"]


def planning_backlog(
    backlog: pd.DataFrame,
    value_rule: str,
    overrides: Mapping[str, Override] | Iterable[tuple[str, Override]] = (),
    *,
    sprints: SprintTreatment | None = None,
) -> pd.DataFrame:
    """A copy of ``backlog`` valued by ``value_rule``, sprints treated, ``overrides`` applied: what the plan takes.

    ``overrides`` maps item id -> :class:`~planner.overrides.Override`, as a mapping or as
    ``(id, override)`` pairs (the app's cache keys hold pairs). Raises
    :class:`~planner.errors.SettingsError` for an unknown value rule and
    :class:`~planner.errors.PlannerError` for an override of an item the backlog does not have.
    ``sprints``: how sprint values are treated (None: as written, every value pins); with it the copy
    has a ``carry_over`` column (the past sprint a carry-over item was left in, else blank).
    """
    valued = apply_value_rule(backlog, value_rule)
    if sprints is not None:
        valued, _ = apply_sprint_treatment(
            valued, sprints.capacity_sprints, dict(sprints.treatments), sprints.carry_over_moscow
        )
    return apply_overrides(valued, dict(overrides))

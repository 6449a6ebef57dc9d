"""The planning backlog: the saved backlog as the plan, the checks and the exports see it.

The rule, in this order:

1. every item is valued by the value rule (:func:`planner.value.apply_value_rule`: an item missing
   the rule's inputs is worth 0);
2. the planning meeting's overrides are applied on top (:func:`planner.overrides.apply_overrides`:
   pins in, out or to a sprint, and MoSCoW changes; an override of an unknown item is refused).

The saved backlog is never changed: the planning backlog is a copy. The Plan, Capacity, Refinement
and Export pages all take it from :func:`planning_backlog`, so they agree on every item's value,
class and sprint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from planner.overrides import Override, apply_overrides
from planner.value import apply_value_rule

__all__ = ["planning_backlog"]


def planning_backlog(
    backlog: pd.DataFrame,
    value_rule: str,
    overrides: Mapping[str, Override] | Iterable[tuple[str, Override]] = (),
) -> pd.DataFrame:
    """A copy of ``backlog`` valued by ``value_rule``, with ``overrides`` applied: what the plan takes.

    ``overrides`` maps item id -> :class:`~planner.overrides.Override`, as a mapping or as
    ``(id, override)`` pairs (the app's cache keys hold pairs). Raises
    :class:`~planner.errors.SettingsError` for an unknown value rule and
    :class:`~planner.errors.PlannerError` for an override of an item the backlog does not have.
    """
    return apply_overrides(apply_value_rule(backlog, value_rule), dict(overrides))

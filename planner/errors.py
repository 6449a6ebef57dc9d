"""The one exception hierarchy of the planner library.

Every error the library raises on purpose is a :class:`PlannerError`; callers (the app, the command
line) catch that one class and show its message. Input problems carry the list of
:class:`planner.input_problems.Problem` found, each naming file, sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.input_problems import Problem

__all__ = [
    "InputError",
    "PlannerError",
    "ScenarioNotFound",
    "SettingsError",
    "SolveFailed",
    "SolveOverran",
    "SolveWithdrawn",
    "StoreError",
    "VersionConflict",
]


class PlannerError(Exception):
    """Base class: something the user can act on, with a message that says what to do next."""


class InputError(PlannerError):
    """An input file cannot be used; ``problems`` lists every blocking problem found."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        lines = [head] + [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class SettingsError(PlannerError):
    """A setting or what-if is out of range or unknown; the message names it and what is allowed."""


class ScenarioNotFound(PlannerError):
    """No scenario has the id asked for."""


class SolveFailed(PlannerError):
    """A solve could not finish in its worker process (the message says why); nothing was kept."""


class SolveOverran(SolveFailed):
    """A solve ran past its hard deadline (its time limit plus a margin) and was stopped."""


class SolveWithdrawn(SolveFailed):
    """A solve nobody was waiting for was stopped to free its worker for one somebody is waiting for."""


class StoreError(PlannerError):
    """The scenario database could not be read or written; nothing was half-saved."""


class VersionConflict(StoreError):
    """A save based on an older version of a scenario: someone changed it since; nothing was written.

    ``current`` is the scenario's version now, ``based_on`` the one the save started from and
    ``changes`` what happened in between (oldest first, as :meth:`planner.store.Store.history` words it),
    ``clashes`` what both changed (``"the setting what_if.buffer_pct"``; empty when any change since clashes).
    """

    def __init__(
        self, message: str, *, current: int, based_on: int, changes: Iterable[str] = (), clashes: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.current = current
        self.based_on = based_on
        self.changes: tuple[str, ...] = tuple(changes)
        self.clashes: tuple[str, ...] = tuple(clashes)

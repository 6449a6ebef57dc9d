"""The backlog's sprint values against the capacity workbook's sprints: which pin, which do not.

A backlog's ``sprint`` column pins an item into a sprint (SPEC section 1), but trackers write sprint
values that are not the capacity workbook's sprints: Azure DevOps writes the project root (``Care``)
for "not in a sprint", Jira keeps the sprint an open item was left in (``CARE Sprint 42`` when the
plan starts at ``Sprint 43``), and Jira prefixes sprint names with the project (``CARE Sprint 43``).
Each distinct value held by open items is classified once (:func:`classify_sprint_values`):

- ``matched``: it names a capacity sprint: the same comparable key (:func:`planner.cells.comparable_key`),
  or the same trailing number with a sprint-like name before it (``CARE Sprint 43``, ``sprint-43``,
  ``Care\\Sprint 43`` -> ``Sprint 43``). The item is pinned to that sprint, by its exact name.
- ``unscheduled``: it names no sprint: a value without a number (a project or area root such as
  ``Care``, ``Backlog``), or a number the capacity sprints cannot be compared with. The item is not pinned.
- ``carry-over``: a numbered sprint before the first capacity sprint: the item is still open from a
  past sprint. It is not pinned, is marked (column ``carry_over`` = the old sprint as written) and is
  raised to at least Should (or Must: ``carry_over_moscow``); a Won't item stays Won't.
- ``later``: a numbered sprint after the last capacity sprint. The pin is kept, so the plan leaves
  the item out as ``pinned-later``.

Every value that is not ``matched`` is reported once, as one grouped warning with its item count,
and its treatment can be changed (:class:`SprintTreatment`, saved in the scenario's settings under
:data:`SPRINT_SETTINGS_KEY`). :func:`apply_sprint_treatment` makes the planning copy; the saved
backlog is never changed. Done items are left as they are (they are not planned either way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from planner.cells import comparable_key, is_blank
from planner.errors import SettingsError
from planner.input_problems import WARNING, Problem

__all__ = [
    "CARRY_OVER",
    "CARRY_OVER_COLUMN",
    "CARRY_OVER_MOSCOW",
    "LATER",
    "MATCHED",
    "SPRINT_SETTINGS_KEY",
    "TREATMENTS",
    "UNSCHEDULED",
    "SprintTreatment",
    "SprintValue",
    "apply_sprint_treatment",
    "classify_sprint_values",
    "sprint_findings",
]

Treatment = Literal["matched", "unscheduled", "carry-over", "later"]
MATCHED: Treatment = "matched"
UNSCHEDULED: Treatment = "unscheduled"
CARRY_OVER: Treatment = "carry-over"
LATER: Treatment = "later"
TREATMENTS: tuple[Treatment, ...] = (UNSCHEDULED, CARRY_OVER, LATER)
"""The treatments a user can choose for a value that matches no sprint."""
TREATMENT_TEXT: dict[str, str] = {
    UNSCHEDULED: "unscheduled (not pinned: the plan may take it in any sprint)",
    CARRY_OVER: "carry-over (not pinned, planned as at least Should)",
    LATER: "later (kept pinned: left out of this plan as pinned-later)",
}
CARRY_OVER_COLUMN = "carry_over"
CARRY_OVER_MOSCOW = ("Should", "Must")
SPRINT_SETTINGS_KEY = "sprint_values"
"""Key of the scenario settings holding ``{"treatments": {value: treatment}, "carry_over_moscow": ...}``."""

_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<number>\d+)$")
# Words trackers put before a sprint number: values named with them are compared by number.
_SPRINT_WORDS = ("sprint", "cycle", "iteration", "iter")
_RANK = {"Must": 0, "Should": 1, "Could": 2}
_GENERATED = re.compile(r"sprint \d+")  # the names of sprints made up without a sprints sheet


@dataclass(frozen=True)
class SprintValue:
    """One sprint value of the backlog's open items, as written, and how it is treated by default."""

    value: str
    items: int
    treatment: Treatment
    reason: str
    sprint: str | None = None  # the capacity sprint a matched value names

    def message(self, treatment: str | None = None) -> str:
        """The grouped warning, e.g. ``55 items name sprint 'Care', which is not one of your sprints: ...``."""
        chosen = treatment or self.treatment
        noun = "item names" if self.items == 1 else "items name"
        how = TREATMENT_TEXT.get(chosen, chosen)
        default = "" if chosen == self.treatment else f" (your choice; by default {self.treatment})"
        return (
            f"{self.items} {noun} sprint '{self.value}', which is not one of your sprints: treated as {how}"
            f"{default}; {self.reason}"
        )


@dataclass(frozen=True)
class SprintTreatment:
    """How a plan treats the backlog's sprint values: hashable, so it can key a cached plan.

    ``capacity_sprints``: the capacity workbook's sprint names (its sprints sheet, all of them, not only
    the planned ones); None when it has none and the sprints are made up (``Sprint 1``, ``Sprint 2`` ...).
    ``treatments``: ``(value as written, treatment)`` pairs the user chose, overriding the defaults.
    ``carry_over_moscow``: ``Should`` or ``Must``, the least class of a carry-over item.
    """

    capacity_sprints: tuple[str, ...] | None
    treatments: tuple[tuple[str, str], ...] = field(default=())
    carry_over_moscow: str = "Should"

    def __post_init__(self) -> None:
        if self.capacity_sprints is not None:
            object.__setattr__(self, "capacity_sprints", tuple(str(name) for name in self.capacity_sprints))
        object.__setattr__(
            self, "treatments", tuple(sorted((str(v), str(t)) for v, t in dict(self.treatments).items()))
        )
        for value, treatment in self.treatments:
            if treatment not in TREATMENTS:
                raise SettingsError(
                    f"sprint '{value}': the treatment '{treatment}' is not one of {', '.join(TREATMENTS)}"
                )
        if self.carry_over_moscow not in CARRY_OVER_MOSCOW:
            raise SettingsError(f"carry-over items are Should or Must, not '{self.carry_over_moscow}'")

    @classmethod
    def from_settings(
        cls, capacity_sprints: Sequence[str] | None, settings: Mapping[str, Any] | None
    ) -> SprintTreatment:
        """The treatment saved in a scenario's ``settings`` (under :data:`SPRINT_SETTINGS_KEY`)."""
        saved = (settings or {}).get(SPRINT_SETTINGS_KEY) or {}
        if not isinstance(saved, Mapping):
            raise SettingsError("the saved sprint treatments are not a mapping")
        chosen = saved.get("treatments") or {}
        if not isinstance(chosen, Mapping):
            raise SettingsError("the saved sprint treatments are not a mapping of sprint value to treatment")
        return cls(
            None if capacity_sprints is None else tuple(capacity_sprints),
            tuple(chosen.items()),
            str(saved.get("carry_over_moscow") or "Should"),
        )

    def settings(self) -> dict[str, Any]:
        """The user's choices as scenario settings JSON (the value of :data:`SPRINT_SETTINGS_KEY`)."""
        return {"treatments": dict(self.treatments), "carry_over_moscow": self.carry_over_moscow}


def _text(cell: object) -> str | None:
    return None if is_blank(cell) else str(cell).strip()


def _last_segment(value: str) -> str:
    """``Care\\Sprint 43`` -> ``Sprint 43``; a root (``Care`` or ``Care\\``) stays itself."""
    parts = [part.strip() for part in re.split(r"[\\/]", value) if part.strip()]
    return parts[-1] if parts else value


def _numbered(value: str) -> tuple[str, int] | None:
    """``(stem key, trailing number)``: ``CARE Sprint 42`` -> ``("caresprint", 42)``; None without a number."""
    match = _NUMBERED.match(comparable_key(_last_segment(value)))
    if match is None:
        return None
    return match.group("stem"), int(match.group("number"))


def _sprint_like(stem: str, capacity_stems: set[str]) -> bool:
    """Whether a value's stem reads as a sprint name: the capacity sprints' stem or a sprint word."""
    if not stem:
        return True
    return any(stem.endswith(known) for known in capacity_stems if known) or any(
        stem.endswith(word) for word in _SPRINT_WORDS
    )


def _same_stem(stem: str, known: str) -> bool:
    """``caresprint`` names the same sprints as ``sprint`` (a project prefix), ``cycle`` as ``sprint``, ``s`` too."""
    if stem.endswith(known) or known.endswith(stem):
        return True
    return _sprintish(stem) and _sprintish(known)


def _sprintish(stem: str) -> bool:
    """A stem that names sprints: it ends with a sprint word, or is a short form of one (``s``, ``it``)."""
    return any(stem.endswith(word) for word in _SPRINT_WORDS) or (
        0 < len(stem) <= 3 and any(word.startswith(stem) for word in _SPRINT_WORDS)
    )


def classify_sprint_values(backlog: pd.DataFrame, capacity_sprints: Sequence[str] | None) -> list[SprintValue]:
    """Each distinct sprint value of the open items, with its count and default treatment, as first seen.

    ``capacity_sprints``: the capacity workbook's sprint names, in order; None when the sprints are made
    up (``Sprint 1`` ...): then ``Sprint N`` is matched, a value without a number is unscheduled and
    other numbered values are later.
    """
    if "sprint" not in backlog or backlog.empty:
        return []
    done = backlog["done"].fillna(False).astype(bool).tolist() if "done" in backlog else [False] * len(backlog)
    counts: dict[str, int] = {}
    for cell, finished in zip(backlog["sprint"].tolist(), done):
        value = _text(cell)
        if value is not None and not finished:
            counts[value] = counts.get(value, 0) + 1
    names = [name for name in (capacity_sprints or ()) if _text(name)]
    by_key = {comparable_key(name): name for name in reversed(names)}
    numbered = [(name, parsed) for name in names if (parsed := _numbered(name)) is not None]
    stems = {stem for _, (stem, _) in numbered}
    numbers = [number for _, (_, number) in numbered]
    return [
        _classify(value, items, capacity_sprints, by_key, numbered, stems, numbers) for value, items in counts.items()
    ]


def _classify(
    value: str,
    items: int,
    capacity_sprints: Sequence[str] | None,
    by_key: Mapping[str, str],
    numbered: list[tuple[str, tuple[str, int]]],
    stems: set[str],
    numbers: list[int],
) -> SprintValue:
    segment = _last_segment(value)
    key = comparable_key(segment)
    if capacity_sprints is None and _GENERATED.fullmatch(value.casefold()):
        return SprintValue(value, items, MATCHED, "a made-up sprint of the plan", value)
    if key in by_key:
        return SprintValue(value, items, MATCHED, "names a sprint of the capacity file", by_key[key])
    parsed = _numbered(value)
    if parsed is None:
        return SprintValue(
            value,
            items,
            UNSCHEDULED,
            "it has no sprint number: a project or area root (as Azure DevOps writes for items in no "
            "sprint) or a bucket such as a backlog, so the items are in no sprint",
        )
    stem, number = parsed
    if not _sprint_like(stem, stems):
        return SprintValue(
            value, items, UNSCHEDULED, "it is not named like a sprint, so its number says nothing about when"
        )
    same = [name for name, (known, at) in numbered if at == number and _same_stem(stem, known)]
    if same:
        return SprintValue(value, items, MATCHED, f"names sprint '{same[0]}'", same[0])
    if not numbers:
        if capacity_sprints is None:
            return SprintValue(
                value, items, LATER, "the capacity file has no sprints sheet, so this sprint cannot be placed"
            )
        return SprintValue(
            value, items, UNSCHEDULED, "your sprints have no numbers, so it cannot be placed before or after them"
        )
    first, last = min(numbers), max(numbers)
    if number < first:
        return SprintValue(
            value, items, CARRY_OVER, f"sprint {number} is before your first sprint ({first}): still open from it"
        )
    if number > last:
        return SprintValue(value, items, LATER, f"sprint {number} is after your last sprint ({last})")
    namesakes = [name for name, (_, at) in numbered if at == number]
    if namesakes:
        return SprintValue(
            value,
            items,
            UNSCHEDULED,
            f"it has the number of your sprint '{namesakes[0]}' but another name, so it may not be that sprint",
        )
    return SprintValue(
        value, items, UNSCHEDULED, f"sprint {number} falls between your sprints {first} to {last} but is none of them"
    )


def _chosen(classified: SprintValue, treatments: Mapping[str, str]) -> str:
    if classified.treatment == MATCHED:
        return MATCHED
    return treatments.get(classified.value, classified.treatment)


def sprint_findings(
    classified: Iterable[SprintValue],
    treatments: Mapping[str, str] | None = None,
    *,
    backlog: pd.DataFrame | None = None,
    file: str = "backlog",
    column: str = "sprint",
) -> list[Problem]:
    """One warning per value that is not a sprint of the capacity file, with its treatment.

    With ``backlog``, the warning names the row (``source_row``) of the first open item holding it.
    """
    chosen = dict(treatments or {})
    first_rows: dict[str, int] = {}
    if backlog is not None and "source_row" in backlog and "sprint" in backlog:
        done = backlog["done"].fillna(False).astype(bool).tolist() if "done" in backlog else [False] * len(backlog)
        for cell, row, finished in zip(backlog["sprint"].tolist(), backlog["source_row"].tolist(), done):
            value = _text(cell)
            if value is not None and not finished and not is_blank(row):
                first_rows.setdefault(value, int(row))
    return [
        Problem(WARNING, found.message(_chosen(found, chosen)), file, None, first_rows.get(found.value), column)
        for found in classified
        if found.treatment != MATCHED
    ]


def apply_sprint_treatment(
    backlog: pd.DataFrame,
    capacity_sprints: Sequence[str] | None,
    treatments: Mapping[str, str] | None = None,
    carry_over_moscow: str = "Should",
    *,
    file: str = "backlog",
) -> tuple[pd.DataFrame, list[Problem]]:
    """A copy of ``backlog`` with its sprint values treated, and one grouped warning per value that is no sprint.

    Matched values become the capacity sprint's exact name; unscheduled values are blanked; carry-over
    items are un-pinned, get column :data:`CARRY_OVER_COLUMN` (the old sprint as written; blank for
    every other item) and at least ``carry_over_moscow``; later values keep their pin. ``treatments``
    maps a value as written to the treatment chosen for it (:data:`TREATMENTS`), else its default.
    Done items are left as they are. Raises :class:`~planner.errors.SettingsError` for an unknown
    treatment or class.
    """
    chosen = dict(treatments or {})
    for value, treatment in chosen.items():
        if treatment not in TREATMENTS:
            raise SettingsError(f"sprint '{value}': the treatment '{treatment}' is not one of {', '.join(TREATMENTS)}")
    if carry_over_moscow not in CARRY_OVER_MOSCOW:
        raise SettingsError(f"carry-over items are Should or Must, not '{carry_over_moscow}'")
    classified = classify_sprint_values(backlog, capacity_sprints)
    planned = backlog.copy()
    planned[CARRY_OVER_COLUMN] = pd.array([None] * len(planned), dtype="string")
    if not classified:
        return planned, []
    by_value = {found.value: found for found in classified}
    done = planned["done"].fillna(False).astype(bool).tolist() if "done" in planned else [False] * len(planned)
    sprints: list[object] = planned["sprint"].astype("object").tolist()
    moscow: list[object] = planned["moscow"].astype("object").tolist() if "moscow" in planned else [None] * len(planned)
    carried: list[str | None] = [None] * len(planned)
    for index, (cell, finished) in enumerate(zip(sprints, done)):
        written = _text(cell)
        found = by_value.get(written) if written is not None and not finished else None
        if found is None:
            continue
        treatment = _chosen(found, chosen)
        if treatment == MATCHED:
            sprints[index] = found.sprint
        elif treatment == UNSCHEDULED:
            sprints[index] = None
        elif treatment == CARRY_OVER:
            sprints[index] = None
            carried[index] = written
            held = _text(moscow[index])
            if held != "Won't" and _RANK.get(held or "", 3) > _RANK[carry_over_moscow]:
                moscow[index] = carry_over_moscow
    planned["sprint"] = _like(planned, "sprint", sprints)
    planned[CARRY_OVER_COLUMN] = pd.Series(carried, index=planned.index, dtype="string")
    if "moscow" in planned or any(carried):
        planned["moscow"] = _like(planned, "moscow", moscow)
    return planned, sprint_findings(classified, chosen, backlog=backlog, file=file)


def _like(table: pd.DataFrame, column: str, values: list[object]) -> pd.Series:
    """``values`` as a column of ``table``, text typed when the column was (else plain objects)."""
    text = column in table and isinstance(table[column].dtype, pd.StringDtype)
    return pd.Series(values, index=table.index, dtype="string" if text else "object")

"""Scenarios side by side: what-if settings saved with a scenario, and tables comparing their plans.

A scenario can keep the what-ifs it was planned with (the app's sliders, pins and value rule) in its
settings, under :data:`WHAT_IF_KEY`, as JSON data::

    {"version": 1, "sprints": 2, "unit": "days", "capacity_pct": 120, "use_team_focus": true,
     "focus": 1.0, "buffer_pct": 0, "oncall_load": 1.0, "value_rule": null,
     "headcount": {"pod-a": 1}, "overrides": {"CARE-12": {"pin": "in", "moscow": null}},
     "previous": {"CARE-7": ["pod-a", "Sprint 27"]}}

``value_rule`` null means the scenario's own rule (``settings["value_rule"]``); ``previous`` is the
plan kept stable (item -> team, sprint): the baseline a stable re-plan makes the fewest changes to.

The plan a user accepts as the baseline is also kept in the scenario's settings on its own, under
:data:`ACCEPTED_PLAN_KEY` (``{"CARE-7": ["pod-a", "Sprint 27"]}``), so accepting it does not save
the sliders too: :func:`with_accepted_plan` writes it, :func:`accepted_plan` reads it back, and
:func:`apply_what_if` restores it as ``previous`` when the saved what-ifs keep no plan of their own.

In the app the same what-ifs are *session values*, keyed as in :data:`WHAT_IF_DEFAULTS`
(``planner_capacity_pct``...); :func:`what_if_json` and :func:`what_if_values` turn one into the
other, checking every value, and
:func:`capacity_settings` / :func:`plan_arguments` turn session values into what the planner takes.

The comparison tables take plans keyed by a label per scenario (:func:`scenario_labels` makes them
unique: names may repeat).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeGuard

import pandas as pd

from planner.capacity import UNITS, CapacitySettings
from planner.cells import is_blank
from planner.errors import PlannerError
from planner.outputs import plan_changes, positions
from planner.overrides import Override
from planner.solve import PlanResult
from planner.store import ScenarioSummary
from planner.value import VALUE_RULES

__all__ = [
    "ACCEPTED_PLAN_KEY",
    "WHAT_IF_DEFAULTS",
    "WHAT_IF_KEY",
    "WHAT_IF_LIMITS",
    "WHAT_IF_VERSION",
    "PlanArguments",
    "accepted_plan",
    "apply_what_if",
    "capacity_settings",
    "initiative_values",
    "metrics_table",
    "overrides_change",
    "plan_arguments",
    "plan_differences",
    "saved_what_if",
    "scenario_labels",
    "scenario_table",
    "utilisation_table",
    "what_if_json",
    "what_if_summary",
    "what_if_values",
    "with_accepted_plan",
    "with_overrides",
    "with_what_if",
]

WHAT_IF_KEY = "what_if"
ACCEPTED_PLAN_KEY = "accepted_plan"
WHAT_IF_VERSION = 1
_PREFIX = "planner_"

# Session key -> default: the app's what-if state (pages/_state.PLAN_KEYS holds the same).
WHAT_IF_DEFAULTS: dict[str, Any] = {
    "planner_sprints": 1,
    "planner_unit": "days",
    "planner_capacity_pct": 100,
    "planner_use_team_focus": True,
    "planner_focus": 1.0,
    "planner_buffer_pct": 0,
    "planner_oncall_load": 1.0,
    "planner_value_rule": None,
    "planner_headcount": {},
    "planner_overrides": {},
    "planner_previous": {},
}

# The sliders' ranges: a saved value outside them could not be shown by the app's widgets.
WHAT_IF_LIMITS: dict[str, tuple[float, float]] = {
    "planner_capacity_pct": (50, 150),
    "planner_focus": (0.5, 1.0),
    "planner_buffer_pct": (0, 50),
    "planner_oncall_load": (0.0, 1.0),
    "planner_headcount": (-10, 10),
}

_LABELS = {
    "planner_sprints": "sprints",
    "planner_unit": "unit",
    "planner_capacity_pct": "capacity %",
    "planner_use_team_focus": "each team's own focus factor",
    "planner_focus": "focus factor",
    "planner_buffer_pct": "buffer %",
    "planner_oncall_load": "on-call load",
    "planner_value_rule": "value rule",
    "planner_headcount": "headcount",
    "planner_overrides": "pins and MoSCoW changes",
    "planner_previous": "plan kept stable",
}


def _fail(key: str, problem: str) -> PlannerError:
    return PlannerError(f"The what-if {_LABELS[key]!r} cannot be used: {problem}.")


# --- checking one value -----------------------------------------------------------------------------


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(key: str, value: object) -> int:
    if not _is_number(value) or float(value) != int(value):
        raise _fail(key, f"{value!r} is not a whole number")
    return int(value)


def _in_limits(key: str, value: float) -> None:
    low, high = WHAT_IF_LIMITS[key]
    if not low <= value <= high:
        raise _fail(key, f"{value:g} is not between {low:g} and {high:g}")


def _text(key: str, value: object, name: str) -> str:
    if not isinstance(value, str) or is_blank(value):
        raise _fail(key, f"{name} {value!r} is not text")
    return value


def _check(key: str, value: Any) -> Any:
    """``value`` as the session keeps it for ``key``; a PlannerError naming the what-if if unusable."""
    if key == "planner_sprints":
        count = _whole(key, value)
        if count < 1:
            raise _fail(key, f"{count} is not at least 1")
        return count
    if key == "planner_unit":
        if value not in UNITS:
            raise _fail(key, f"{value!r} is not one of {', '.join(UNITS)}")
        return value
    if key in ("planner_capacity_pct", "planner_buffer_pct"):
        number = _whole(key, value)
        _in_limits(key, number)
        return number
    if key in ("planner_focus", "planner_oncall_load"):
        if not _is_number(value):
            raise _fail(key, f"{value!r} is not a number")
        _in_limits(key, float(value))
        return float(value)
    if key == "planner_use_team_focus":
        if not isinstance(value, bool):
            raise _fail(key, f"{value!r} is not true or false")
        return value
    if key == "planner_value_rule":
        if value is not None and value not in VALUE_RULES:
            raise _fail(key, f"{value!r} is not one of {', '.join(VALUE_RULES)}")
        return value
    if not isinstance(value, Mapping):
        raise _fail(key, f"expected a table of items, got {type(value).__name__}")
    if key == "planner_headcount":
        changes = {}
        for team, delta in value.items():
            number = _whole(key, delta)
            _in_limits(key, number)
            if number:
                changes[_text(key, team, "team")] = number
        return changes
    if key == "planner_overrides":
        return {_text(key, item, "item id"): _override(key, item, override) for item, override in value.items()}
    if key == "planner_previous":
        return {_text(key, item, "item id"): _position(key, item, where) for item, where in value.items()}
    raise KeyError(key)


def _override(key: str, item: str, override: object) -> Override:
    if isinstance(override, Override):
        pin, moscow = override.pin, override.moscow
    elif isinstance(override, Mapping) and set(override) <= {"pin", "moscow"}:
        pin, moscow = override.get("pin"), override.get("moscow")
    else:
        raise _fail(key, f"{item}: {override!r} is not a pin and MoSCoW class")
    for name, part in (("pin", pin), ("MoSCoW class", moscow)):
        if part is not None and not isinstance(part, str):
            raise _fail(key, f"{item}: the {name} {part!r} is not text")
    return Override(pin=pin or None, moscow=moscow)


def _position(key: str, item: str, where: object) -> tuple[str, str]:
    if isinstance(where, (list, tuple)) and len(where) == 2 and all(isinstance(part, str) and part for part in where):
        return (where[0], where[1])
    raise _fail(key, f"{item}: {where!r} is not a team and a sprint")


# --- session values <-> JSON --------------------------------------------------------------------------


def what_if_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Session values (every key of :data:`WHAT_IF_DEFAULTS`) from saved what-if JSON.

    Missing entries take their default; unknown entries are ignored (a later planner may save more).
    Raises :class:`PlannerError` naming the first unusable what-if.
    """
    if not isinstance(data, Mapping):
        raise PlannerError(f"The saved what-ifs cannot be used: expected a JSON object, got {type(data).__name__}.")
    version = data.get("version", WHAT_IF_VERSION)
    if version != WHAT_IF_VERSION:
        raise PlannerError(f"The saved what-ifs are version {version!r}; this planner reads version {WHAT_IF_VERSION}.")
    values = {}
    for key, default in WHAT_IF_DEFAULTS.items():
        name = key.removeprefix(_PREFIX)
        values[key] = _check(key, data[name]) if name in data else _copy(default)
    return values


def what_if_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Session values as JSON data to save (missing keys: their default). Raises PlannerError if unusable."""
    checked = {
        key: _check(key, values[key]) if key in values else _copy(default) for key, default in WHAT_IF_DEFAULTS.items()
    }
    data: dict[str, Any] = {"version": WHAT_IF_VERSION}
    for key, value in checked.items():
        name = key.removeprefix(_PREFIX)
        if key == "planner_overrides":
            value = {item: {"pin": o.pin, "moscow": o.moscow} for item, o in sorted(value.items())}
        elif key == "planner_previous":
            value = {item: list(where) for item, where in sorted(value.items())}
        elif key == "planner_headcount":
            value = dict(sorted(value.items()))
        data[name] = value
    json.dumps(data, allow_nan=False)  # a bug here must not reach the store half-way through a save
    return data


def _copy(default: Any) -> Any:
    return dict(default) if isinstance(default, dict) else default


def saved_what_if(settings: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The what-if JSON a scenario's settings hold, or None when it has none."""
    saved = settings.get(WHAT_IF_KEY) if isinstance(settings, Mapping) else None
    return saved if isinstance(saved, Mapping) else None


def apply_what_if(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The session values to restore from a scenario's settings; ``{}`` when it saved no what-ifs.

    ``st.session_state.update(apply_what_if(scenario.settings))`` restores them. Raises
    :class:`PlannerError` when the saved what-ifs cannot be used.
    """
    saved = saved_what_if(settings)
    values = {} if saved is None else what_if_values(saved)
    accepted = accepted_plan(settings)
    if accepted and not values.get("planner_previous"):
        values["planner_previous"] = accepted
    return values


def accepted_plan(settings: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The plan accepted as the baseline, saved in a scenario's settings (``{}`` when none).

    Raises :class:`PlannerError` when the saved plan cannot be used.
    """
    saved = settings.get(ACCEPTED_PLAN_KEY) if isinstance(settings, Mapping) else None
    if saved is None:
        return {}
    return dict(_check("planner_previous", saved))


def with_accepted_plan(settings: Mapping[str, Any], plan: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """A copy of a scenario's settings with ``plan`` (id -> team, sprint) kept as the accepted baseline.

    Saved what-ifs, when the scenario has some, keep the same plan as their ``previous``: the two never disagree.
    """
    checked = _check("planner_previous", dict(plan))
    data = {item: list(where) for item, where in sorted(checked.items())}
    updated: dict[str, Any] = {**settings, ACCEPTED_PLAN_KEY: data}
    saved = saved_what_if(settings)
    if saved is not None:
        updated[WHAT_IF_KEY] = {**saved, "previous": data}
    return updated


def with_what_if(settings: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a scenario's settings with ``values`` saved as its what-ifs (the rest kept).

    Only the what-ifs that differ from the saved ones (or their defaults) are written: a save names
    what it changed, so two people saving different sliders of one scenario both land, and a slider
    nobody moved never clashes with one somebody did (:mod:`planner.settings_merge`).
    """
    wanted = what_if_json(values)
    saved = saved_what_if(settings)
    try:
        before = what_if_json(what_if_values(saved if saved is not None else {}))
    except PlannerError:  # saved what-ifs this planner cannot read: replaced whole
        return {**settings, WHAT_IF_KEY: wanted}
    changed = {name: value for name, value in wanted.items() if before.get(name) != value}
    return {**settings, WHAT_IF_KEY: {**(saved or {"version": WHAT_IF_VERSION}), **changed}}


def with_overrides(settings: Mapping[str, Any], overrides: Mapping[str, Override]) -> dict[str, Any]:
    """A copy of a scenario's settings with ``overrides`` (pins and MoSCoW changes) as its saved ones.

    Only the overrides change: saved sliders stay as they are (a scenario without saved what-ifs gets
    what-ifs holding just the overrides; the others then read as their defaults).
    """
    checked = _check("planner_overrides", dict(overrides))
    data = {item: {"pin": o.pin, "moscow": o.moscow} for item, o in sorted(checked.items())}
    saved = saved_what_if(settings)
    return {**settings, WHAT_IF_KEY: {**(saved or {"version": WHAT_IF_VERSION}), "overrides": data}}


def overrides_change(before: Mapping[str, Override], after: Mapping[str, Override]) -> str:
    """What changed from one set of pins and MoSCoW changes to another, in a few words (for the history)."""
    words = []
    for item in sorted(set(before) | set(after)):
        old, new = before.get(item, Override()), after.get(item, Override())
        if old.pin != new.pin:
            words.append(f"{item} unpinned" if new.pin is None else f"{item} pinned {new.pin}")
        if old.moscow != new.moscow:
            words.append(f"{item} MoSCoW {new.moscow or 'as in the backlog'}")
    if not words:
        return "pins unchanged"
    shown = ", ".join(words[:5])
    return f"pins: {shown}" + (f" and {len(words) - 5} more" if len(words) > 5 else "")


def what_if_summary(values: Mapping[str, Any], own_rule: str | None = None) -> str:
    """The sprint count and the what-ifs that differ from the defaults, in a few words.

    The value rule is named unless it is ``own_rule`` (the scenario's own).
    """
    get = {key: values.get(key, default) for key, default in WHAT_IF_DEFAULTS.items()}
    parts = [f"{get['planner_sprints']} sprint{'s' if get['planner_sprints'] != 1 else ''}"]
    if get["planner_unit"] != "days":
        parts.append(f"in {get['planner_unit']}")
    if get["planner_capacity_pct"] != 100:
        parts.append(f"capacity {get['planner_capacity_pct']:g} %")
    if not get["planner_use_team_focus"]:
        parts.append(f"focus {get['planner_focus']:g}")
    if get["planner_buffer_pct"]:
        parts.append(f"buffer {get['planner_buffer_pct']:g} %")
    if get["planner_oncall_load"] != 1.0:
        parts.append(f"on-call load {get['planner_oncall_load']:g}")
    if get["planner_value_rule"] and get["planner_value_rule"] != own_rule:
        parts.append(f"value: {get['planner_value_rule']}")
    for team, delta in sorted(get["planner_headcount"].items()):
        if delta:
            parts.append(f"{team} {delta:+d} {'person' if abs(delta) == 1 else 'people'}")
    overrides = get["planner_overrides"]
    if overrides:
        pins = sum(1 for o in overrides.values() if o.pin)
        classes = sum(1 for o in overrides.values() if o.moscow is not None)
        parts.append(
            ", ".join(
                part
                for part in (
                    f"{pins} pin{'s' if pins != 1 else ''}" if pins else "",
                    f"{classes} MoSCoW change{'s' if classes != 1 else ''}" if classes else "",
                )
                if part
            )
        )
    if get["planner_previous"]:
        parts.append(f"kept stable ({len(get['planner_previous'])} items)")
    return ", ".join(part for part in parts if part)


# --- what the planner takes ----------------------------------------------------------------------------


def capacity_settings(values: Mapping[str, Any]) -> CapacitySettings:
    """The capacity what-ifs of session values (missing keys: their default), as the engine takes them."""
    get = {key: values.get(key, default) for key, default in WHAT_IF_DEFAULTS.items()}
    return CapacitySettings(
        focus_factor=None if get["planner_use_team_focus"] else float(get["planner_focus"]),
        buffer=get["planner_buffer_pct"] / 100,
        oncall_load=float(get["planner_oncall_load"]),
        capacity_pct=get["planner_capacity_pct"] / 100,
        unit=get["planner_unit"],
        headcount=tuple(sorted((team, int(delta)) for team, delta in get["planner_headcount"].items() if delta)),
        sprint_count=int(get["planner_sprints"]),
    )


class PlanArguments(NamedTuple):
    """What ``pages._state.plan_for`` takes after the scenario id and its version."""

    settings: CapacitySettings
    value_rule: str
    overrides: tuple[tuple[str, Override], ...]
    previous: tuple[tuple[str, tuple[str, str]], ...]


def plan_arguments(values: Mapping[str, Any], scenario_settings: Mapping[str, Any]) -> PlanArguments:
    """The plan's inputs from session values; no value rule means the scenario's own (else ``"one"``)."""
    rule = values.get("planner_value_rule") or scenario_settings.get("value_rule") or "one"
    return PlanArguments(
        capacity_settings(values),
        rule,
        tuple(sorted((values.get("planner_overrides") or {}).items())),
        tuple(sorted((item, tuple(where)) for item, where in (values.get("planner_previous") or {}).items())),
    )


# --- comparison tables -----------------------------------------------------------------------------------


def scenario_labels(summaries: Sequence[ScenarioSummary]) -> dict[str, str]:
    """Scenario id -> a label unique among them: the name, numbered when names repeat (oldest first)."""
    counts: dict[str, int] = {}
    for summary in summaries:
        counts[summary.name] = counts.get(summary.name, 0) + 1
    labels: dict[str, str] = {}
    seen: dict[str, int] = {}
    taken = set(counts)
    for summary in sorted(summaries, key=lambda s: (s.created_at, s.id)):
        if counts[summary.name] == 1:
            labels[summary.id] = summary.name
            continue
        number = seen.get(summary.name, 0)
        while True:
            number += 1
            label = f"{summary.name} ({number})"
            if label not in taken:
                break
        seen[summary.name] = number
        taken.add(label)
        labels[summary.id] = label
    return {summary.id: labels[summary.id] for summary in summaries}


def scenario_table(summaries: Sequence[ScenarioSummary], current: str | None = None) -> pd.DataFrame:
    """One row per scenario, as listed: name, items, people, updated, created, and whether it is current."""
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "items": s.items,
                "people": s.people,
                "updated": s.updated_at,
                "created": s.created_at,
                "current": s.id == current,
            }
            for s in summaries
        ],
        columns=["name", "items", "people", "updated", "created", "current"],
    )


METRIC_COLUMNS = [
    "scenario",
    "what-ifs",
    "value rule",
    "status",
    "planned value",
    "rank-and-fill",
    "gain",
    "items planned",
    "items left out",
    "sprints",
    "gap",
    "seconds",
]


def metrics_table(
    results: Mapping[str, PlanResult],
    what_ifs: Mapping[str, Mapping[str, Any]] | None = None,
    rules: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per scenario label: how its plan did (``gap`` is a fraction; None when there is no plan)."""
    rows = []
    for label, result in results.items():
        planned = result.status in ("optimal", "feasible")
        rows.append(
            {
                "scenario": label,
                "what-ifs": what_if_summary(what_ifs[label], (rules or {}).get(label))
                if what_ifs and label in what_ifs
                else "",
                "value rule": (rules or {}).get(label, ""),
                "status": result.status,
                "planned value": result.objective if planned else None,
                "rank-and-fill": result.baseline_objective,
                "gain": result.gain_over_baseline if planned else None,
                "items planned": len(result.selected),
                "items left out": len(result.excluded),
                "sprints": len(result.sprints),
                "gap": result.gap,
                "seconds": result.seconds,
            }
        )
    table = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    for column in ("planned value", "rank-and-fill", "gain", "gap", "seconds"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    return table


def utilisation_table(results: Mapping[str, PlanResult]) -> pd.DataFrame:
    """Planned load / net capacity over each plan's horizon: one row per team, one column per label.

    A team with no capacity in a plan shows NaN there; teams missing from a scenario too.
    """
    columns = {}
    for label, result in results.items():
        totals = result.capacity[result.capacity["skill"].isna()].groupby("team")[["load", "capacity"]].sum()
        capacity = totals["capacity"].where(totals["capacity"] > 1e-9)
        columns[label] = (totals["load"] / capacity).astype("float64")
    if not columns:
        return pd.DataFrame(index=pd.Index([], name="team"))
    table = pd.DataFrame(columns)
    table.index.name = "team"
    return table.sort_index()


def plan_differences(
    first: PlanResult,
    other: PlanResult,
    backlog: pd.DataFrame | None = None,
    first_label: str = "first",
    other_label: str = "other",
) -> pd.DataFrame:
    """Items planned in one plan and not the other, or in another sprint or team.

    Columns: ``id``, ``title`` (from ``backlog`` when given), ``difference`` ("only in <first_label>",
    "only in <other_label>", "other sprint", "other team", "other team and sprint"), ``first`` and
    ``other`` (where the item is in each plan: "team / sprint", blank when not planned). Built on
    :func:`planner.outputs.plan_tables.plan_changes`, the first plan as "before".
    """
    old, new = positions(first), positions(other)
    changes = plan_changes(old, new)

    def difference(item: str, change: str) -> str:
        if change == "entered":
            return f"only in {other_label}"
        if change == "left":
            return f"only in {first_label}"
        team_moved, sprint_moved = old[item][0] != new[item][0], old[item][1] != new[item][1]
        return (
            "other team and sprint" if team_moved and sprint_moved else "other team" if team_moved else "other sprint"
        )

    titles = {}
    if backlog is not None and "title" in backlog.columns:
        titles = {item: None if is_blank(title) else str(title) for item, title in zip(backlog["id"], backlog["title"])}
    table = pd.DataFrame(
        {
            "id": changes["id"].tolist(),
            "title": [titles.get(item) for item in changes["id"]],
            "difference": [difference(item, change) for item, change in zip(changes["id"], changes["change"])],
            "first": changes["before"].tolist(),
            "other": changes["after"].tolist(),
        },
        columns=["id", "title", "difference", "first", "other"],
    )
    return table.astype("string")


def initiative_values(results: Mapping[str, PlanResult], backlogs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Planned value per initiative and scenario label (long form: scenario, initiative, value)."""
    frames: list[pd.DataFrame] = []
    for label, result in results.items():
        backlog = backlogs[label]
        initiative = {}
        if "initiative" in backlog.columns:
            initiative = {item: name for item, name in zip(backlog["id"], backlog["initiative"]) if not is_blank(name)}
        planned = pd.DataFrame(
            {
                "initiative": [initiative.get(a.id, "(no initiative)") for a in result.selected],
                "value": [float(a.value) for a in result.selected],
            },
            columns=["initiative", "value"],
        )
        grouped = planned.groupby("initiative", as_index=False).agg(value=("value", "sum"))
        grouped.insert(0, "scenario", label)
        frames.append(grouped)
    if not frames:
        return pd.DataFrame(columns=["scenario", "initiative", "value"])
    return pd.concat(frames, ignore_index=True)

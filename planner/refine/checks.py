"""Backlog refinement checks: findings a team should fix or discuss before planning.

:func:`run_checks` runs one small function per check and returns :class:`Finding` objects, each
with a severity, the ids of the items concerned, a plain one-line message and a suggested action.
Messages are plain text (user strings are not escaped here: the UI escapes them).

Checks (the ``check`` name of their findings):

- ``not-ready``: near-term items without estimate, acceptance criteria, description or team.
- ``oversized``: effort more than the team can hold in one sprint, or above the split threshold.
- ``milestone``: milestone names not in ``{Initiative} | {Milestone Type} | {optional Description}``
  form, or with an unknown milestone type; the corrected name when it can be inferred.
- ``overdue``: deadline passed (or before any planned sprint can end) and not done; items pinned to
  a sprint that is already over.
- ``duplicate``: likely duplicate titles (SequenceMatcher ratio on normalised titles).
- ``stale``: open items not updated in ``stale_days``.
- ``dependency``: cycles, missing or Won't prerequisites, items pinned or due before their
  prerequisite can be done.
- ``contention``: per team Must + Should demand vs net capacity (:func:`planner.capacity.contention`).
- ``reassign``: items whose skill or domain label matches another team better than the owner.
- ``balance``: share of effort per type vs the user's minimum targets.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from planner.capacity import GENERAL_SKILL, UNASSIGNED, CapacityResult, contention
from planner.cells import is_blank
from planner.errors import SettingsError
from planner.number_text import format_number
from planner.schema import EFFORT_PREFIX, effort_skill_columns, split_list

__all__ = [
    "CHECKS",
    "DEFAULT_MILESTONE_TYPES",
    "CheckSettings",
    "Finding",
    "FindingSeverity",
    "findings_frame",
    "near_term",
    "run_checks",
    "suggest_milestone",
]

FindingSeverity = Literal["error", "warning", "info"]
DEFAULT_MILESTONE_TYPES: tuple[str, ...] = ("eng build milestone", "Released to Pilot", "Released to GA")
_MOSCOW_RANK = {"must": 0, "should": 1, "could": 2, "won't": 3, "wont": 3}


@dataclass(frozen=True)
class Finding:
    """One thing to fix or discuss: which check, how serious, which items, what to do."""

    check: str
    severity: FindingSeverity
    items: tuple[str, ...]
    message: str
    action: str

    def as_dict(self) -> dict[str, object]:
        """Plain dict, for tables and JSON (items joined by ``", "``)."""
        return {
            "check": self.check,
            "severity": self.severity,
            "items": ", ".join(self.items),
            "message": self.message,
            "action": self.action,
        }


@dataclass(frozen=True)
class CheckSettings:
    """Knobs of the checks.

    - ``horizon_items``: how many open items, best ranked first (MoSCoW, then value), count as
      near-term. ``None``: with a capacity, the ranked items whose effort fits the horizon's net
      capacity; without, every open Must and Should item. Items pinned to a sprint are near-term.
    - ``split_threshold``: effort above which an item should be split (``None``: off).
    - ``stale_days``: open items not updated for longer are stale.
    - ``milestone_types``: the known milestone types (matched ignoring case).
    - ``duplicate_similarity``: minimum title similarity (0..1) for a likely duplicate.
    - ``balance_targets``: ``{type: minimum share}``, e.g. ``{"tech debt": 0.2}``; types are matched
      ignoring case, spaces, ``-`` and ``_``.
    - ``today``: the date the checks are run for (default: today).
    """

    horizon_items: int | None = None
    split_threshold: float | None = 8.0
    stale_days: int = 90
    milestone_types: tuple[str, ...] = DEFAULT_MILESTONE_TYPES
    duplicate_similarity: float = 0.85
    balance_targets: Mapping[str, float] = field(default_factory=dict)
    today: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "milestone_types", tuple(self.milestone_types))
        if not 0 < self.duplicate_similarity <= 1:
            raise SettingsError(f"duplicate_similarity must be in (0, 1], not {self.duplicate_similarity!r}")
        if self.stale_days < 0:
            raise SettingsError(f"stale_days must be at least 0, not {self.stale_days!r}")

    def __hash__(self) -> int:  # the mapping is not hashable
        return hash(
            (
                self.horizon_items,
                self.split_threshold,
                self.stale_days,
                self.milestone_types,
                self.duplicate_similarity,
                tuple(sorted(self.balance_targets.items())),
                self.today,
            )
        )

    @property
    def day(self) -> date:
        """``today`` or the real date."""
        return self.today or date.today()


# --------------------------------------------------------------------------------------------------
# Column helpers


def _texts(backlog: pd.DataFrame, column: str) -> list[str | None]:
    """A text column as trimmed strings, blank = None (all None when the column is absent)."""
    if column not in backlog.columns:
        return [None] * len(backlog)
    return [None if is_blank(v) else str(v).strip() for v in backlog[column].tolist()]


def _ids(backlog: pd.DataFrame) -> list[str]:
    return [
        v if v is not None else f"row {r}"
        for v, r in zip(
            _texts(backlog, "id"),
            backlog["source_row"].tolist() if "source_row" in backlog else range(2, len(backlog) + 2),
        )
    ]


def _done(backlog: pd.DataFrame) -> np.ndarray:
    if "done" not in backlog.columns:
        return np.zeros(len(backlog), dtype=bool)
    return backlog["done"].fillna(False).astype(bool).to_numpy()


def _moscow_rank(backlog: pd.DataFrame) -> np.ndarray:
    return np.array(
        [_MOSCOW_RANK.get(m.casefold().split()[0], 2) if m else 2 for m in _texts(backlog, "moscow")], dtype=np.int64
    )


def _open(backlog: pd.DataFrame) -> np.ndarray:
    """Not done and not Won't."""
    return ~_done(backlog) & (_moscow_rank(backlog) < 3)


def _numbers(backlog: pd.DataFrame, column: str) -> np.ndarray:
    if column not in backlog.columns:
        return np.full(len(backlog), np.nan)
    return pd.to_numeric(backlog[column], errors="coerce").to_numpy(dtype=np.float64)


def _dates(backlog: pd.DataFrame, column: str) -> pd.Series:
    if column not in backlog.columns:
        return pd.Series(pd.NaT, index=backlog.index, dtype="datetime64[ns]")
    return pd.to_datetime(backlog[column], errors="coerce")


def _key(text: str | None) -> str | None:
    return text.casefold() if text else None


def _norm_type(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.casefold()).strip()


def _fmt(amount: float, unit: str | None = None) -> str:
    """An amount as people read it (``5.6``, ``1 day``): :func:`planner.number_text.format_number`."""
    return format_number(amount, unit)


# --------------------------------------------------------------------------------------------------
# Near-term rule


def near_term(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> np.ndarray:
    """Which items are near-term (must be ready): open items ranked by MoSCoW then value, the first
    ``horizon_items`` of them (or, by default, those whose cumulative effort fits the capacity's net
    total; without a capacity every Must and Should item), plus open items pinned to a sprint."""
    is_open = _open(backlog)
    rank = _moscow_rank(backlog)
    value = np.nan_to_num(_numbers(backlog, "value"), nan=0.0)
    order = [i for i in np.lexsort((-value, rank)) if is_open[i]]
    result = np.zeros(len(backlog), dtype=bool)
    if settings.horizon_items is not None:
        result[order[: max(settings.horizon_items, 0)]] = True
    elif capacity is not None:
        total = float(capacity.team_sprint["net"].sum())
        effort = np.nan_to_num(_numbers(backlog, "effort"), nan=0.0)
        used = 0.0
        for i in order:
            if used >= total:
                break
            result[i] = True
            used += effort[i]
    else:
        result = is_open & (rank <= 1)
    pinned = np.array([s is not None for s in _texts(backlog, "sprint")], dtype=bool)
    return result | (pinned & is_open)


# --------------------------------------------------------------------------------------------------
# The checks


def check_not_ready(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Near-term items (see :func:`near_term`) must have an estimate, acceptance criteria, a
    description and an owner team. A missing estimate is an error (the item cannot be planned), the
    rest warnings. Long-term items may stay vague and are not reported."""
    near = near_term(backlog, capacity, settings)
    effort = _numbers(backlog, "effort")
    fields = {name: _texts(backlog, name) for name in ("acceptance_criteria", "description", "team")}
    findings = []
    for i, item in enumerate(_ids(backlog)):
        if not near[i]:
            continue
        missing = []
        if np.isnan(effort[i]):
            missing.append("estimate")
        for name, label in (
            ("acceptance_criteria", "acceptance criteria"),
            ("description", "description"),
            ("team", "owner team"),
        ):
            if fields[name][i] is None:
                missing.append(label)
        if missing:
            findings.append(
                Finding(
                    "not-ready",
                    "error" if "estimate" in missing else "warning",
                    (item,),
                    f"{item} is near-term but has no {', no '.join(missing)}",
                    f"refine it: add the {', '.join(missing)}",
                )
            )
    return findings


def check_oversized(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Open items whose effort exceeds the most their team (blank team: any team) can hold in one
    sprint, in total or for one skill, are errors; items above ``split_threshold`` are warnings."""
    effort = _numbers(backlog, "effort")
    teams = _texts(backlog, "team")
    is_open = _open(backlog)
    team_max: dict[str | None, float] = {}
    skill_max: dict[tuple[str | None, str], float] = {}
    unit = "days"
    if capacity is not None and len(capacity.team_sprint):
        unit = capacity.unit
        per_team = capacity.team_sprint.groupby(capacity.team_sprint["team"].str.strip().str.casefold())["net"].max()
        team_max = {str(k): float(v) for k, v in per_team.items()}
        team_max[None] = max(team_max.values())
        tss = capacity.team_skill_sprint
        if len(tss):
            keyed = pd.DataFrame(
                {
                    "team": tss["team"].str.strip().str.casefold(),
                    "skill": tss["skill"].str.casefold(),
                    "max": tss["max"],
                }
            )
            grouped = keyed.groupby(["team", "skill"], as_index=False)["max"].max()
            for team, skill, amount in zip(grouped["team"], grouped["skill"], grouped["max"]):
                skill_max[(str(team), str(skill))] = float(amount)
                skill_max[(None, str(skill))] = max(skill_max.get((None, str(skill)), 0.0), float(amount))
    skill_columns = effort_skill_columns(backlog.columns)
    skill_effort = {c[len(EFFORT_PREFIX) :]: _numbers(backlog, c) for c in skill_columns}
    findings = []
    for i, item in enumerate(_ids(backlog)):
        if not is_open[i] or np.isnan(effort[i]):
            continue
        key = _key(teams[i])
        where = teams[i] or "any team"
        if key in team_max and effort[i] > team_max[key] + 1e-9:
            findings.append(
                Finding(
                    "oversized",
                    "error",
                    (item,),
                    f"{item} needs {_fmt(effort[i], unit)}, more than {where} can hold in one sprint "
                    f"({_fmt(team_max[key], unit)})",
                    "split into smaller items",
                )
            )
            continue
        too_big_skill = None
        for skill, amounts in skill_effort.items():
            need = amounts[i]
            if np.isnan(need) or need <= 0 or (key, skill) not in skill_max:
                continue
            if (key, GENERAL_SKILL) in skill_max:  # general people can do any skill
                continue
            if need > skill_max[(key, skill)] + 1e-9:
                too_big_skill = (skill, need, skill_max[(key, skill)])
                break
        if too_big_skill:
            skill, need, most = too_big_skill
            findings.append(
                Finding(
                    "oversized",
                    "error",
                    (item,),
                    f"{item} needs {_fmt(need, unit)} of {skill}, more than {where} has in one sprint "
                    f"({_fmt(most, unit)})",
                    "split into smaller items",
                )
            )
        elif settings.split_threshold is not None and effort[i] > settings.split_threshold:
            findings.append(
                Finding(
                    "oversized",
                    "warning",
                    (item,),
                    f"{item} is estimated at {_fmt(effort[i])}, above the split threshold of "
                    f"{_fmt(settings.split_threshold)}",
                    "split into smaller items",
                )
            )
    return findings


_SEPARATORS = (r"\s*\|\s*", r"\s+[-\u2013\u2014]\s+", r"\s*:\s*")


def suggest_milestone(name: str, types: Iterable[str], initiative: str | None = None) -> str | None:
    """The milestone name in ``{Initiative} | {Type} | {Description}`` form, when it can be inferred.

    The name is split on ``|``, then `` - ``, then ``:``; the part that is (or is close to) a known
    type becomes the type, the parts before it the initiative (or ``initiative`` when there are none),
    the parts after it the description. ``None`` when no part matches a known type."""
    types = list(types)
    by_key = {t.casefold(): t for t in types}
    for separator in _SEPARATORS:
        parts = [p.strip() for p in re.split(separator, name.strip()) if p.strip()]
        if len(parts) < 2 and not (len(parts) == 1 and initiative):
            continue
        for position, part in enumerate(parts):
            match = by_key.get(part.casefold())
            if match is None:
                close = difflib.get_close_matches(part.casefold(), list(by_key), n=1, cutoff=0.75)
                match = by_key[close[0]] if close else None
            if match is None:
                continue
            head = " ".join(parts[:position]) or (initiative or "")
            if not head:
                return None
            return " | ".join([head, match, *([" ".join(parts[position + 1 :])] if parts[position + 1 :] else [])])
    return None


def check_milestones(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Milestone names must read ``{Initiative Name} | {Milestone Type} | {optional Description}``
    with a known type (``milestone_types``, any case); a ``milestone_type`` column must hold a known
    type too. One finding per distinct wrong name, with the corrected name when it can be inferred."""
    known = {t.casefold(): t for t in settings.milestone_types}
    allowed = ", ".join(settings.milestone_types)
    names = _texts(backlog, "milestone")
    kinds = _texts(backlog, "milestone_type")
    initiatives = _texts(backlog, "initiative")
    ids = _ids(backlog)
    by_name: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        if name is not None:
            by_name[name].append(i)
    findings = []
    for name, rows in by_name.items():
        items = tuple(ids[i] for i in rows)
        parts = [p.strip() for p in name.split("|")]
        initiative = next((initiatives[i] for i in rows if initiatives[i]), None)
        well_formed = "|" in name and len(parts) in (2, 3) and all(parts) and name == " | ".join(parts)
        if well_formed and parts[1].casefold() in known:
            continue
        suggestion = suggest_milestone(name, settings.milestone_types, initiative)
        if well_formed:
            problem = f"milestone '{name}' has the unknown type '{parts[1]}' (known: {allowed})"
        else:
            problem = f"milestone '{name}' does not follow 'Initiative Name | Milestone Type | optional Description'"
        action = (
            f"rename it to '{suggestion}'"
            if suggestion and suggestion != name
            else f"rename it with one of the types: {allowed}"
        )
        findings.append(Finding("milestone", "warning", items, problem, action))
    flagged = {i for f in findings for i in f.items}
    unknown: dict[str, list[str]] = defaultdict(list)
    for i, kind in enumerate(kinds):
        if kind is not None and kind.casefold() not in known and ids[i] not in flagged:
            unknown[kind].append(ids[i])
    for kind, kind_items in unknown.items():
        close = difflib.get_close_matches(kind.casefold(), list(known), n=1, cutoff=0.75)
        findings.append(
            Finding(
                "milestone",
                "warning",
                tuple(kind_items),
                f"unknown milestone type '{kind}' (known: {allowed})",
                f"set the type to '{known[close[0]]}'" if close else f"use one of the types: {allowed}",
            )
        )
    return findings


def _sprint_number(name: str | None) -> int | None:
    match = re.search(r"(\d+)\s*$", name or "")
    return int(match.group(1)) if match else None


def check_overdue(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Open items whose deadline has passed are errors ("set a new due date"); with a capacity, a
    deadline before the first planned sprint ends is a warning (no sprint can meet it). Open items
    pinned to a sprint that has ended (by the capacity's dates, or numbered below its first sprint)
    are warnings."""
    today = pd.Timestamp(settings.day)
    deadline = _dates(backlog, "deadline")
    not_done = ~_done(backlog)
    ids = _ids(backlog)
    first_end = None
    ended: dict[str, pd.Timestamp] = {}
    first_number = None
    if capacity is not None and len(capacity.sprints):
        sprints = capacity.sprints.sort_values("start")
        first_end = pd.Timestamp(sprints["end"].iloc[0])
        first_number = _sprint_number(str(sprints["sprint"].iloc[0]))
        ended = {
            str(s).strip().casefold(): pd.Timestamp(e)
            for s, e in zip(sprints["sprint"], sprints["end"])
            if pd.Timestamp(e) < today
        }
    findings = []
    for i, due in enumerate(deadline):
        if not not_done[i] or pd.isna(due):
            continue
        if due.normalize() < today:
            findings.append(
                Finding(
                    "overdue",
                    "error",
                    (ids[i],),
                    f"{ids[i]} was due {due.date()} and is not done",
                    "set a new due date",
                )
            )
        elif first_end is not None and due < first_end:
            findings.append(
                Finding(
                    "overdue",
                    "warning",
                    (ids[i],),
                    f"{ids[i]} is due {due.date()}, before the first sprint ends ({first_end.date()})",
                    "set a new due date or cut the scope",
                )
            )
    for i, sprint in enumerate(_texts(backlog, "sprint")):
        if sprint is None or not not_done[i]:
            continue
        number = _sprint_number(sprint)
        if sprint.casefold() in ended or (first_number is not None and number is not None and number < first_number):
            findings.append(
                Finding(
                    "overdue",
                    "warning",
                    (ids[i],),
                    f"{ids[i]} was planned for {sprint}, which is over, and is not done",
                    "move it to an upcoming sprint or close it",
                )
            )
    return findings


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def _normalise_title(title: str) -> str:
    return " ".join(_WORD.findall(title.casefold()))


def check_duplicates(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Pairs of not-done items whose normalised titles (case-folded, punctuation dropped) have a
    difflib ratio of at least ``duplicate_similarity``. Candidate pairs must share one of each
    title's rarest words (a prefix filter), and pass the length and quick-ratio bounds first, so
    thousands of items take seconds. Titles whose numbers differ (``0.20 release`` vs ``0.21
    release``, ``Sprint 27`` vs ``Sprint 28``) are not duplicates."""
    threshold = settings.duplicate_similarity
    ids = _ids(backlog)
    not_done = ~_done(backlog)
    titles = [(i, _normalise_title(t)) for i, t in enumerate(_texts(backlog, "title")) if t and not_done[i]]
    titles = [(i, t) for i, t in titles if t]
    tokens = {i: sorted(set(t.split())) for i, t in titles}
    frequency = Counter(word for words in tokens.values() for word in words)
    index: dict[str, list[int]] = defaultdict(list)
    text = dict(titles)
    candidates: set[tuple[int, int]] = set()
    for i, _ in titles:
        words = sorted(tokens[i], key=lambda w: (frequency[w], w))
        # pairs with at least half of the words in common share one of these
        prefix = words[: len(words) - (len(words) + 1) // 2 + 1]
        for word in prefix:
            for j in index[word]:
                candidates.add((j, i))
            index[word].append(i)
    findings = []
    for j, i in sorted(candidates):
        a, b = text[j], text[i]
        if _NUMBER.findall(a) != _NUMBER.findall(b):
            continue
        if 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
            continue
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        if matcher.quick_ratio() < threshold:
            continue
        ratio = matcher.ratio()
        if ratio >= threshold:
            findings.append(
                Finding(
                    "duplicate",
                    "warning",
                    (ids[j], ids[i]),
                    f"{ids[j]} and {ids[i]} have {ratio:.0%} similar titles",
                    "merge them or close one as a duplicate",
                )
            )
    return findings


def check_stale(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Open items last updated more than ``stale_days`` days before today (items without an
    ``updated`` date are not judged)."""
    today = pd.Timestamp(settings.day)
    updated = _dates(backlog, "updated")
    is_open = _open(backlog)
    ids = _ids(backlog)
    findings = []
    for i, when in enumerate(updated):
        if not is_open[i] or pd.isna(when):
            continue
        age = (today - when.normalize()).days
        if age > settings.stale_days:
            findings.append(
                Finding(
                    "stale",
                    "info",
                    (ids[i],),
                    f"{ids[i]} has not been updated in {_fmt(age, 'days')} (since {when.date()})",
                    "confirm it is still wanted, re-estimate it, or close it",
                )
            )
    return findings


def _cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with a cycle (Tarjan, iterative), each in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    result.append(component[::-1])
    return result


def check_dependencies(
    backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings
) -> list[Finding]:
    """Dependency problems of open items: cycles (error), prerequisites missing from the backlog
    (error) or Won't (error), an item due before its open prerequisite is due (warning), and an item
    pinned to a sprint before its prerequisite's sprint (warning, by the capacity's sprint order or
    the sprints' numbers)."""
    ids = _ids(backlog)
    position = {item: i for i, item in enumerate(ids)}
    done = _done(backlog)
    rank = _moscow_rank(backlog)
    is_open = ~done & (rank < 3)
    deadline = _dates(backlog, "deadline")
    sprints = _texts(backlog, "sprint")
    order: dict[str, int] = {}
    if capacity is not None and len(capacity.sprints):
        order = {str(s).strip().casefold(): k for k, s in enumerate(capacity.sprints.sort_values("start")["sprint"])}

    def sprint_order(name: str | None) -> int | None:
        if name is None:
            return None
        if name.casefold() in order:
            return order[name.casefold()]
        return None if order else _sprint_number(name)

    graph = {item: split_list(text) for item, text in zip(ids, _texts(backlog, "depends_on"))}
    findings = []
    open_graph = {
        item: [p for p in prereqs if p in position and not done[position[p]]]
        for item, prereqs in graph.items()
        if not done[position[item]]
    }
    for component in _cycles(open_graph):
        findings.append(
            Finding(
                "dependency",
                "error",
                tuple(component),
                f"dependency cycle: {' -> '.join(component + component[:1])}",
                "remove one of these dependencies",
            )
        )
    for item, prereqs in graph.items():
        i = position[item]
        if not is_open[i]:
            continue
        for prereq in prereqs:
            if prereq not in position:
                findings.append(
                    Finding(
                        "dependency",
                        "error",
                        (item,),
                        f"{item} depends on {prereq}, which is not in the backlog",
                        f"add {prereq} to the backlog or remove the dependency",
                    )
                )
                continue
            p = position[prereq]
            if done[p]:
                continue
            if rank[p] == 3:
                findings.append(
                    Finding(
                        "dependency",
                        "error",
                        (item, prereq),
                        f"{item} depends on {prereq}, which is Won't",
                        f"make {prereq} a Could or better, or drop the dependency",
                    )
                )
                continue
            if pd.notna(deadline.iloc[i]) and pd.notna(deadline.iloc[p]) and deadline.iloc[i] < deadline.iloc[p]:
                findings.append(
                    Finding(
                        "dependency",
                        "warning",
                        (item, prereq),
                        f"{item} is due {deadline.iloc[i].date()} but its prerequisite {prereq} is only due "
                        f"{deadline.iloc[p].date()}",
                        f"bring {prereq}'s deadline forward or move {item}'s later",
                    )
                )
            mine, theirs = sprint_order(sprints[i]), sprint_order(sprints[p])
            if mine is not None and theirs is not None and mine < theirs:
                findings.append(
                    Finding(
                        "dependency",
                        "warning",
                        (item, prereq),
                        f"{item} is planned in {sprints[i]}, before its prerequisite {prereq} ({sprints[p]})",
                        f"move {item} to {sprints[p]} or later, or {prereq} earlier",
                    )
                )
    return findings


def check_contention(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Per team, open Must + Should demand vs net capacity over the horizon, as computed by
    :func:`planner.capacity.contention`: ``over`` is a warning, ``tight`` info. Needs a capacity."""
    if capacity is None:
        return []
    table = contention(backlog, capacity)
    teams = _texts(backlog, "team")
    rank = _moscow_rank(backlog)
    not_done = ~_done(backlog)
    ids = _ids(backlog)
    findings = []
    for team, flag, message in zip(table["team"], table["flag"], table["message"]):
        if flag == "ok":
            continue
        key = None if team == UNASSIGNED else str(team).strip().casefold()
        items = tuple(ids[i] for i in range(len(ids)) if not_done[i] and rank[i] <= 1 and _key(teams[i]) == key)
        findings.append(
            Finding(
                "contention",
                "warning" if flag == "over" else "info",
                items,
                str(message),
                "move Should items to Could, move work to another team, or add capacity"
                if flag == "over"
                else "keep an eye on it: little room for surprises",
            )
        )
    return findings


def check_reassign(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Open items owned by a team that lacks a skill they need (``effort:<skill>`` > 0 or ``skill``)
    while other teams have it (needs a capacity), or whose domain label belongs to another team:
    that team owns at least 60 % (and 3) of the open items carrying the label, the owner none other."""
    ids = _ids(backlog)
    teams = _texts(backlog, "team")
    is_open = _open(backlog)
    findings = []
    flagged: set[int] = set()
    if capacity is not None and len(capacity.team_skill_sprint):
        tss = capacity.team_skill_sprint
        has: dict[str, set[str]] = defaultdict(set)
        spelling: dict[str, str] = {}
        for team, skill, amount in zip(tss["team"], tss["skill"], tss["max"]):
            if amount > 0:
                has[str(team).strip().casefold()].add(str(skill).casefold())
                spelling[str(team).strip().casefold()] = str(team)
        needs: list[set[str]] = [set() for _ in ids]
        for column in effort_skill_columns(backlog.columns):
            amounts = _numbers(backlog, column)
            for i in np.flatnonzero(np.nan_to_num(amounts) > 0).tolist():
                needs[i].add(column[len(EFFORT_PREFIX) :].casefold())
        for i, skill in enumerate(_texts(backlog, "skill")):
            if skill:
                needs[i].add(skill.casefold())
        for i, need in enumerate(needs):
            owner = _key(teams[i])
            if not is_open[i] or not need or owner not in has or GENERAL_SKILL in has[owner]:
                continue
            lacking = sorted(need - has[owner])
            if not lacking:
                continue
            better = [spelling[t] for t in has if t != owner and (GENERAL_SKILL in has[t] or need <= has[t])]
            if better:
                flagged.add(i)
                findings.append(
                    Finding(
                        "reassign",
                        "warning",
                        (ids[i],),
                        f"{ids[i]} needs {', '.join(lacking)}, which nobody in {teams[i]} has",
                        f"reassign it to {' or '.join(better)}",
                    )
                )
    labels = [split_list(text) for text in _texts(backlog, "labels")]
    counts: dict[str, Counter] = defaultdict(Counter)
    spell: dict[str, str] = {}
    for i, item_labels in enumerate(labels):
        team = teams[i]
        if is_open[i] and team:
            for label in item_labels:
                counts[label.casefold()][team.casefold()] += 1
                spell[team.casefold()] = team
    owner_of = {}
    for label, by_team in counts.items():
        team, count = by_team.most_common(1)[0]
        if count >= 3 and count / sum(by_team.values()) >= 0.6:
            owner_of[label] = team
    for i, item_labels in enumerate(labels):
        if i in flagged or not is_open[i] or not teams[i]:
            continue
        owner = _key(teams[i])
        for label in item_labels:
            domain = owner_of.get(label.casefold())
            if domain and domain != owner and counts[label.casefold()][owner] <= 1:
                findings.append(
                    Finding(
                        "reassign",
                        "info",
                        (ids[i],),
                        f"{ids[i]} has the label '{label}', whose items are mostly owned by {spell[domain]}, "
                        f"but is owned by {teams[i]}",
                        f"consider reassigning it to {spell[domain]}",
                    )
                )
                break
    return findings


def check_balance(backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> list[Finding]:
    """Share of effort per ``type`` among open Must + Should items (all open items when there are
    none) against ``balance_targets`` minimum shares; a type below its target is a warning."""
    if not settings.balance_targets:
        return []
    is_open = _open(backlog)
    rank = _moscow_rank(backlog)
    chosen = is_open & (rank <= 1)
    scope = "Must and Should"
    if not chosen.any():
        chosen, scope = is_open, "open"
    effort = np.nan_to_num(_numbers(backlog, "effort"), nan=0.0)
    types = [_norm_type(t) if t else "(no type)" for t in _texts(backlog, "type")]
    total = float(effort[chosen].sum())
    ids = _ids(backlog)
    findings = []
    for name, target in settings.balance_targets.items():
        key = _norm_type(name)
        mask = chosen & np.array([t == key for t in types], dtype=bool)
        share = float(effort[mask].sum()) / total if total > 0 else 0.0
        if share + 1e-9 < target:
            findings.append(
                Finding(
                    "balance",
                    "warning",
                    tuple(ids[i] for i in np.flatnonzero(mask)),
                    f"{name} is {share:.0%} of the {scope} effort, below the target of {target:.0%}",
                    f"promote {name} items to Should or Must "
                    f"(about {_fmt(target * total - effort[mask].sum())} more effort)",
                )
            )
    return findings


CHECKS = {
    "not-ready": check_not_ready,
    "oversized": check_oversized,
    "milestone": check_milestones,
    "overdue": check_overdue,
    "duplicate": check_duplicates,
    "stale": check_stale,
    "dependency": check_dependencies,
    "contention": check_contention,
    "reassign": check_reassign,
    "balance": check_balance,
}

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def run_checks(
    backlog: pd.DataFrame,
    capacity: CapacityResult | None = None,
    settings: CheckSettings = CheckSettings(),
    *,
    only: Iterable[str] | None = None,
) -> list[Finding]:
    """Run every check (or those named in ``only``, see :data:`CHECKS`) and return the findings,
    errors first, then warnings, then info; within a severity in check order."""
    names = list(CHECKS) if only is None else list(only)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        raise SettingsError(f"unknown checks: {', '.join(unknown)} (known: {', '.join(CHECKS)})")
    findings = [finding for name in names for finding in CHECKS[name](backlog, capacity, settings)]
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])  # stable: keeps check order


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a table: check, severity, items, message, action (all text)."""
    rows = [finding.as_dict() for finding in findings]
    return pd.DataFrame(rows, columns=["check", "severity", "items", "message", "action"]).astype("string")

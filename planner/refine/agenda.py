"""Refinement meeting agenda: the items the checks flagged, grouped the way a refinement meeting runs.

Sections, in order: initiatives in build phase (an open item of the initiative has the milestone
type ``eng build milestone``), initiatives in spec phase (the rest; those with nobody assigned
need an engineering point of contact), domain backlogs (items without an initiative whose labels or
type name a domain, default claims and compliance), tech debt (items without an initiative of type
or label tech debt), other items, and capacity notes (on-call and OOO per sprint). Each item follows
the template Description / Technical notes / Acceptance criteria / Points or days / Deadline.
:func:`agenda_markdown` renders the agenda for download.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from planner.capacity import CapacityResult
from planner.cells import is_blank
from planner.number_text import format_number
from planner.refine.checks import Finding
from planner.schema import split_list

__all__ = ["AGENDA_COLUMNS", "Agenda", "AgendaGroup", "AgendaItem", "agenda_markdown", "agenda_table", "build_agenda"]

BUILD_TYPE = "eng build milestone"
DEFAULT_DOMAINS: tuple[str, ...] = ("claims", "compliance")
# Findings about the whole plan, not about refining an item.
_NOT_REFINEMENT = frozenset({"contention", "balance"})


@dataclass(frozen=True)
class AgendaItem:
    """One item in the refinement template."""

    id: str
    title: str
    description: str
    technical_notes: tuple[str, ...]
    acceptance_criteria: str
    effort: str
    deadline: str


@dataclass(frozen=True)
class AgendaGroup:
    """A heading (an initiative, a domain...) and its items; ``note`` e.g. a missing point of contact."""

    name: str
    items: tuple[AgendaItem, ...]
    note: str = ""


@dataclass(frozen=True)
class Agenda:
    """Sections ``(title, groups)`` in meeting order, and the capacity notes."""

    sections: tuple[tuple[str, tuple[AgendaGroup, ...]], ...]
    capacity_notes: tuple[str, ...] = ()

    def section(self, title: str) -> tuple[AgendaGroup, ...]:
        """The groups of the section called ``title`` (empty when it has none)."""
        return dict(self.sections).get(title, ())


def _text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.casefold()).strip()


def build_agenda(
    backlog: pd.DataFrame,
    findings: Iterable[Finding],
    capacity: CapacityResult | None = None,
    *,
    domains: Sequence[str] = DEFAULT_DOMAINS,
    unit: str | None = None,
) -> Agenda:
    """The agenda for the open items named in ``findings`` (contention and balance findings, which
    are about the whole plan, do not put items on it); their messages and actions become the
    item's technical notes. ``capacity`` adds the on-call and OOO notes. ``unit`` names the
    efforts (default: the capacity's unit, else days)."""
    if unit is None:
        unit = capacity.unit if capacity is not None else "days"
    notes: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.check in _NOT_REFINEMENT:
            continue
        for item in finding.items:
            notes[item].append(f"{finding.message}: {finding.action}")
    rows = backlog.reset_index(drop=True)
    ids = [_text(v) for v in rows["id"]]
    done = rows["done"].fillna(False).astype(bool).tolist() if "done" in rows else [False] * len(rows)

    def column(name: str) -> list[str]:
        return [_text(v) for v in rows[name]] if name in rows else [""] * len(rows)

    initiative, milestone_type, milestone = column("initiative"), column("milestone_type"), column("milestone")
    kinds, labels, assignee = column("type"), column("labels"), column("assignee")
    build_initiatives = {
        initiative[i]
        for i in range(len(rows))
        if initiative[i]
        and not done[i]
        and (_norm(milestone_type[i]) == BUILD_TYPE or BUILD_TYPE in _norm(milestone[i]))
    }
    staffed = {initiative[i] for i in range(len(rows)) if initiative[i] and assignee[i]}

    build: dict[str, list[AgendaItem]] = defaultdict(list)
    spec: dict[str, list[AgendaItem]] = defaultdict(list)
    domain: dict[str, list[AgendaItem]] = defaultdict(list)
    debt: list[AgendaItem] = []
    other: list[AgendaItem] = []
    domain_keys = {_norm(d): d for d in domains}
    for i, item in enumerate(ids):
        if done[i] or item not in notes:
            continue
        entry = _agenda_item(rows.iloc[i], item, tuple(notes[item]), unit)
        tags = [_norm(t) for t in split_list(labels[i])] + [_norm(kinds[i])]
        if initiative[i]:
            (build if initiative[i] in build_initiatives else spec)[initiative[i]].append(entry)
        elif any(tag in domain_keys for tag in tags):
            domain[domain_keys[next(tag for tag in tags if tag in domain_keys)]].append(entry)
        elif "tech debt" in tags:
            debt.append(entry)
        else:
            other.append(entry)
    sections = (
        ("Initiatives in build phase", tuple(AgendaGroup(name, tuple(items)) for name, items in build.items())),
        (
            "Initiatives in spec phase",
            tuple(
                AgendaGroup(name, tuple(items), "" if name in staffed else "needs an engineering point of contact")
                for name, items in spec.items()
            ),
        ),
        ("Domain backlogs", tuple(AgendaGroup(name, tuple(domain[name])) for name in domains if domain[name])),
        ("Tech debt", (AgendaGroup("Tech debt", tuple(debt)),) if debt else ()),
        ("Other items", (AgendaGroup("Other items", tuple(other)),) if other else ()),
    )
    return Agenda(sections, _capacity_notes(capacity))


def _agenda_item(row: pd.Series, item: str, notes: tuple[str, ...], unit: str) -> AgendaItem:
    effort = row.get("effort")
    deadline = row.get("deadline")
    return AgendaItem(
        id=item,
        title=_text(row.get("title")),
        description=_text(row.get("description")),
        technical_notes=notes,
        acceptance_criteria=_text(row.get("acceptance_criteria")),
        effort="" if effort is None or pd.isna(effort) else format_number(float(effort), unit),
        deadline="" if deadline is None or pd.isna(deadline) else str(pd.Timestamp(deadline).date()),
    )


def _capacity_notes(capacity: CapacityResult | None) -> tuple[str, ...]:
    """One line per person and sprint with OOO or on-call days."""
    if capacity is None or not len(capacity.person_sprint):
        return ()
    lines = []
    frame = capacity.person_sprint
    for name, sprint, ooo, oncall in zip(frame["name"], frame["sprint"], frame["ooo_days"], frame["oncall_days"]):
        parts = []
        if ooo > 0:
            parts.append(f"{format_number(ooo, 'days')} out of office")
        if oncall > 0:
            parts.append(f"{format_number(oncall, 'days')} on call")
        if parts:
            lines.append(f"{sprint}: {name}: {', '.join(parts)}")
    return tuple(lines)


def _line(text: str) -> str:
    return " ".join(text.split())


def agenda_markdown(agenda: Agenda, title: str = "Refinement agenda") -> str:
    """The agenda as Markdown, each item in the template Description / Technical notes /
    Acceptance criteria / Points or days / Deadline (blank fields read ``(missing)``)."""
    out = [f"# {_line(title)}", ""]
    for section, groups in agenda.sections:
        if not groups:
            continue
        out += [f"## {section}", ""]
        for group in groups:
            out.append(f"### {_line(group.name)}" + (f" ({group.note})" if group.note else ""))
            out.append("")
            for item in group.items:
                out += [
                    f"#### {_line(item.id)}: {_line(item.title)}",
                    "",
                    f"- **Description:** {_line(item.description) or '(missing)'}",
                    "- **Technical notes:**",
                    *[f"  - {_line(note)}" for note in item.technical_notes],
                    f"- **Acceptance criteria:** {_line(item.acceptance_criteria) or '(missing)'}",
                    f"- **Points or days:** {item.effort or '(missing)'}",
                    f"- **Deadline:** {item.deadline or '(none)'}",
                    "",
                ]
    out += ["## Capacity notes", ""]
    out += [f"- {_line(note)}" for note in agenda.capacity_notes] or ["- (none)"]
    return "\n".join(out) + "\n"


AGENDA_COLUMNS = [
    "section",
    "group",
    "id",
    "title",
    "description",
    "technical notes",
    "acceptance criteria",
    "points or days",
    "deadline",
]


def agenda_table(agenda: Agenda) -> pd.DataFrame:
    """The agenda as one row per item, in agenda order: the Refinement sheet of the Excel export."""
    rows = []
    for section, groups in agenda.sections:
        for group in groups:
            for item in group.items:
                rows.append(
                    {
                        "section": section,
                        "group": group.name,
                        "id": item.id,
                        "title": item.title,
                        "description": item.description,
                        "technical notes": "; ".join(item.technical_notes),
                        "acceptance criteria": item.acceptance_criteria,
                        "points or days": item.effort,
                        "deadline": item.deadline,
                    }
                )
    return pd.DataFrame(rows, columns=AGENDA_COLUMNS)

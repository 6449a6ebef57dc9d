"""Match the headers real exports use to the planner's canonical fields (SPEC section 1 and 2).

Headers are compared case-insensitively, ignoring spaces, ``_``, ``-`` and punctuation, and through
synonyms. Jira's ``Custom field (X)`` is matched as ``X``; repeated headers (``Sprint, Sprint``) all
map to the same field and keep every value. The mapping is returned to the caller so a user can see
and correct it; a correction is ``{header as written: field or None}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from planner.cells import comparable_key
from planner.schema import EFFORT_PREFIX

__all__ = [
    "BACKLOG_FIELDS",
    "CAPACITY_FIELDS",
    "ColumnMapping",
    "ColumnMatch",
    "comparable_key",
    "map_columns",
]


# Canonical backlog field -> header synonyms, best first. Internal fields (not in the final table):
# ``blocks`` (outward blocking links: the other item depends on this one) and ``completed_at``.
BACKLOG_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "key", "issue key", "issuekey", "task id", "work item id", "item id", "ticket"),
    "title": ("title", "summary", "name", "task name", "issue summary", "work item title"),
    "team": ("team", "pod", "squad", "owner team", "team name", "area path", "area", "group"),
    "effort": (
        "effort",
        "story points",
        "story point estimate",
        "storypoint",
        "estimate",
        "size",
        "points",
        "days",
        "effort days",
        "estimate days",
        "person days",
        "sp",
    ),
    "skill": ("skill", "discipline", "required skill"),
    "value": ("value", "business value", "score", "benefit"),
    "business_value": ("business_value", "user business value", "bv"),
    "time_criticality": ("time criticality", "timecriticality", "tc"),
    "risk_reduction": (
        "risk reduction",
        "rr oe",
        "rroe",
        "risk reduction opportunity enablement",
        "risk reduction and opportunity enablement",
        "rr",
    ),
    "reach": ("reach",),
    "impact": ("impact",),
    "confidence": ("confidence",),
    "priority": ("priority", "prio"),
    "moscow": ("moscow", "mo sco w", "moscow priority"),
    "depends_on": (
        "depends on",
        "dependencies",
        "blocked by",
        "blocked by dependencies",
        "prerequisites",
        "predecessors",
        "inward issue link blocks",
    ),
    "blocks": ("blocks", "blocking", "blocking dependents", "outward issue link blocks"),
    "deadline": ("deadline", "due date", "due", "target date", "due on", "needed by"),
    "status": ("status", "state", "workflow state"),
    "completed_at": ("completed at", "completed", "canceled", "cancelled", "completed on"),
    "sprint": ("sprint", "iteration path", "iteration", "cycle name", "cycle", "cycle number"),
    "type": ("type", "issue type", "work item type", "item type", "kind"),
    "initiative": (
        "initiative",
        "initiatives",
        "epic link",
        "epic",
        "epic name",
        "parent summary",
        "parent",
        "parent issue",
        "project",
    ),
    "milestone": ("milestone", "project milestone", "fix version", "fix versions", "release"),
    "milestone_type": ("milestone type",),
    "assignee": ("assignee", "assigned to", "owner"),
    "labels": ("labels", "label", "tags", "tag"),
    "description": ("description", "notes", "details", "body"),
    "acceptance_criteria": ("acceptance criteria", "acceptance", "ac", "definition of done"),
    "created": ("created", "created at", "created date", "creation date"),
    "updated": ("updated", "last modified", "updated at", "changed date", "last updated", "modified"),
}

# Capacity sheets: sheet -> field -> synonyms.
CAPACITY_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "people": {
        "name": ("name", "person", "member", "engineer", "full name", "people", "who"),
        "team": ("team", "pod", "squad", "group"),
        "skills": ("skills", "skill", "role", "roles", "discipline"),
        "allocation": ("allocation", "fte", "availability", "allocation percent", "percent allocated"),
        "days_per_sprint": ("days per sprint", "days sprint", "sprint days", "capacity days", "days"),
    },
    "sprints": {
        "sprint": ("sprint", "name", "iteration", "cycle", "sprint name"),
        "start": ("start", "start date", "from", "begins", "starts"),
        "end": ("end", "end date", "to", "finish", "ends", "until"),
    },
    "ooo": {
        "name": ("name", "person", "who", "member"),
        "start": ("start", "start date", "from", "first day"),
        "end": ("end", "end date", "to", "until", "last day"),
    },
    "oncall": {
        "name": ("name", "person", "who", "member", "engineer"),
        "start": ("start", "start date", "from"),
        "end": ("end", "end date", "to", "until"),
        "load": ("load", "on call load", "oncall load", "share"),
    },
    "holidays": {
        "date": ("date", "day", "holiday date"),
        "team": ("team", "pod", "squad"),
        "name": ("name", "holiday", "description", "occasion"),
    },
    "teams": {
        "team": ("team", "pod", "squad", "name"),
        "velocity": ("velocity", "points per sprint", "average velocity"),
        "focus_factor": ("focus factor", "focus", "focusfactor"),
    },
}

# Jira link columns: the link type in brackets varies by site; only blocking types are dependencies.
_LINK_HEADER = re.compile(r"^\s*(inward|outward)\s+issue\s+link\s*\((?P<kind>[^)]*)\)\s*$", re.IGNORECASE)
_BLOCKING_LINK_TYPES = {
    "blocks",
    "blocker",
    "blocked",
    "blocking",
    "dependency",
    "dependent",
    "depends",
    "dependencies",
}
_CUSTOM_FIELD = re.compile(r"^\s*custom\s+field\s*\((?P<name>.*)\)\s*$", re.IGNORECASE)
_EFFORT_SKILL = re.compile(r"^\s*(?:effort|days|estimate|points)\s*[:/]\s*(?P<skill>.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnMatch:
    """How one column of the file was read: ``field`` is None when the column is kept as is."""

    position: int
    header: str
    field: str | None
    how: str  # "name" | "synonym" | "custom field" | "link" | "corrected" | "kept" | "duplicate"
    note: str = ""


@dataclass(frozen=True)
class ColumnMapping:
    """Every column of the file with the field it feeds, in file order."""

    matches: tuple[ColumnMatch, ...]

    def columns_for(self, field: str) -> list[ColumnMatch]:
        """The columns feeding ``field``, in file order."""
        return [match for match in self.matches if match.field == field]

    def fields(self) -> set[str]:
        """The fields at least one column feeds."""
        return {match.field for match in self.matches if match.field}

    def as_rows(self) -> list[dict[str, object]]:
        """One dict per column, for a table in the app."""
        return [
            {"column": m.position + 1, "header": m.header, "field": m.field or "", "how": m.how, "note": m.note}
            for m in self.matches
        ]

    def corrections(self) -> dict[str, str | None]:
        """The user's corrections in this mapping, as passed back to :func:`map_columns`."""
        return {m.header: m.field for m in self.matches if m.how == "corrected"}


def _synonym_index(fields: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, int]]:
    """Normalised synonym -> (field, rank), built once per set of fields (a header row may have 5,000 cells)."""
    return _built_index(tuple((name, tuple(synonyms)) for name, synonyms in fields.items()))


@functools.lru_cache(maxsize=32)
def _built_index(fields: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for field_name, synonyms in fields:
        for rank, synonym in enumerate((field_name, *synonyms)):
            index.setdefault(comparable_key(synonym), (field_name, rank))
    return index


def match_header(header: str, fields: Mapping[str, Sequence[str]]) -> tuple[str | None, str, str]:
    """The field one header names, how it was recognised, and a note; ``(None, "kept", "")`` if none."""
    index = _synonym_index(fields)
    text = str(header)
    link = _LINK_HEADER.match(text)
    if link and "depends_on" in fields:
        kind = comparable_key(link.group("kind"))
        if kind in _BLOCKING_LINK_TYPES:
            field_name = "depends_on" if link.group(1).lower() == "inward" else "blocks"
            return field_name, "link", "blocking link"
        return None, "kept", "not a blocking link: kept, not a dependency"
    skill = _EFFORT_SKILL.match(text)
    if skill and "effort" in fields:
        return EFFORT_PREFIX + skill.group("skill").casefold(), "name", ""
    custom = _CUSTOM_FIELD.match(text)
    if custom:
        found = index.get(comparable_key(custom.group("name")))
        if found:
            return found[0], "custom field", ""
        return None, "kept", ""
    found = index.get(comparable_key(text))
    if found:
        return found[0], "name" if found[1] == 0 else "synonym", ""
    return None, "kept", ""


def map_columns(
    headers: Sequence[str],
    fields: Mapping[str, Sequence[str]] = BACKLOG_FIELDS,
    corrections: Mapping[str, str | None] | None = None,
) -> ColumnMapping:
    """Map each header to a field; ``corrections`` (header -> field or None) override the guess.

    Single-valued fields take the best-ranked column; the others matching the same field are kept
    as fallbacks (used where the first is blank) except for ``id`` and ``title``, where a second
    candidate is kept as its own column so an internal number never replaces a key.
    """
    corrections = dict(corrections or {})
    index = _synonym_index(fields)
    matches = []
    for position, header in enumerate(headers):
        if header in corrections:
            field_name = corrections[header]
            matches.append(ColumnMatch(position, header, field_name, "corrected" if field_name else "kept"))
            continue
        field_name, how, note = match_header(header, fields)
        matches.append(ColumnMatch(position, header, field_name, how, note))
    matches = _business_value_for_wsjf(matches, index)
    matches = _one_identity_column(matches, index)
    return ColumnMapping(tuple(matches))


def _business_value_for_wsjf(matches: list[ColumnMatch], index: dict[str, tuple[str, int]]) -> list[ColumnMatch]:
    """``Business Value`` is a WSJF input when the file also has Time Criticality or Risk Reduction."""
    fields = {m.field for m in matches}
    if not ({"time_criticality", "risk_reduction"} & fields) or "business_value" in fields:
        return matches
    return [
        replace(m, field="business_value", note="WSJF input (the file has Time Criticality / Risk Reduction)")
        if m.field == "value" and m.how != "corrected" and _bare(m.header) == "businessvalue"
        else m
        for m in matches
    ]


def _bare(header: str) -> str:
    custom = _CUSTOM_FIELD.match(header)
    return comparable_key(custom.group("name") if custom else header)


def _one_identity_column(matches: list[ColumnMatch], index: dict[str, tuple[str, int]]) -> list[ColumnMatch]:
    """Keep only the best-ranked column for ``id``, ``title``, ``name`` fields; others stay as columns."""
    result = list(matches)
    for field_name in ("id", "title", "name"):
        candidates = [m for m in result if m.field == field_name]
        headers = {comparable_key(m.header) for m in candidates}
        if len(headers) < 2:
            continue  # repeated copies of one header are merged, not ranked
        best = min(candidates, key=lambda m: (m.how != "corrected", index.get(_bare(m.header), (field_name, 99))[1]))
        for m in candidates:
            if comparable_key(m.header) != comparable_key(best.header):
                result[m.position] = replace(
                    m, field=None, how="duplicate", note=f"'{best.header}' is used as {field_name}"
                )
    return result

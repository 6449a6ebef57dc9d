"""Reading the capacity tables into plain arrays, with every error and warning found on the way.

Internal to :mod:`planner.capacity` (and :mod:`planner.capacity.contention`, for name matching). Each reader
returns what it read plus its problems; it never raises, so the engine can report every problem of
a file at once. People are matched by :func:`match_key` (trimmed, case-folded), and OOO and on-call
rows point at people-sheet rows, so they follow a person through the headcount what-ifs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from planner.capacity.types import NO_TEAM, setting_problem
from planner.capacity.workdays import user_row
from planner.cells import is_blank
from planner.input_problems import ERROR, WARNING, Problem, Severity
from planner.schema import GENERAL_SKILL, split_list

# --------------------------------------------------------------------------------------------------
# Small helpers


def match_key(text: object) -> str | None:
    """Matching key of a name or team: trimmed and case-folded; ``None`` when blank."""
    if is_blank(text):
        return None
    return str(text).strip().casefold() or None


def _key(text: str) -> str:
    """The :func:`match_key` of a text already trimmed and known not to be blank."""
    key = match_key(text)
    assert key is not None, f"{text!r} is blank"
    return key


def trimmed_texts(series: pd.Series) -> list[str | None]:
    """A text column as trimmed Python strings, blank = ``None`` (faster than pandas on small sheets)."""
    return [None if is_blank(value) else str(value).strip() for value in series.tolist()]


def _skills(text: object) -> tuple[str, ...]:
    skills = tuple(dict.fromkeys(part.casefold() for part in split_list(text)))
    return skills or (GENERAL_SKILL,)


def _row_problems(
    problems: list[Problem], file: str, sheet: str, rows: np.ndarray
) -> Callable[[Severity, int, str, str], None]:
    """A function adding to ``problems`` a problem about table row ``i`` of ``sheet``."""

    def add(severity: Severity, i: int, message: str, column: str) -> None:
        problems.append(Problem(severity, message, file, sheet, user_row(rows[i]), column))

    return add


# --------------------------------------------------------------------------------------------------
# Inputs: a roster of people, teams, holidays and date ranges, validated


@dataclass(frozen=True)
class Roster:
    """People, one entry per row of the people sheet (plus what-if hires), as plain arrays.

    ``listed_row`` is the person's position in the people sheet (-1 for hires): OOO and on-call
    rows point at it, so they follow the person through headcount what-ifs.
    """

    name: list[str]
    team: list[str]
    team_key: list[str]
    skills: list[tuple[str, ...]]
    allocation: np.ndarray
    allocation_given: np.ndarray
    days_per_sprint: np.ndarray  # NaN = not set
    source_row: np.ndarray
    added: np.ndarray
    listed_row: np.ndarray

    def __len__(self) -> int:
        return len(self.name)

    def take(self, rows: Sequence[int]) -> Roster:
        """The people at ``rows``, in that order."""
        index = np.asarray(rows, dtype=np.int64)
        positions = index.tolist()
        return Roster(
            name=[self.name[i] for i in positions],
            team=[self.team[i] for i in positions],
            team_key=[self.team_key[i] for i in positions],
            skills=[self.skills[i] for i in positions],
            allocation=self.allocation[index],
            allocation_given=self.allocation_given[index],
            days_per_sprint=self.days_per_sprint[index],
            source_row=self.source_row[index],
            added=self.added[index],
            listed_row=self.listed_row[index],
        )

    def plus(self, other: Roster) -> Roster:
        """This roster followed by ``other``."""
        return Roster(
            name=self.name + other.name,
            team=self.team + other.team,
            team_key=self.team_key + other.team_key,
            skills=self.skills + other.skills,
            allocation=np.concatenate([self.allocation, other.allocation]),
            allocation_given=np.concatenate([self.allocation_given, other.allocation_given]),
            days_per_sprint=np.concatenate([self.days_per_sprint, other.days_per_sprint]),
            source_row=np.concatenate([self.source_row, other.source_row]),
            added=np.concatenate([self.added, other.added]),
            listed_row=np.concatenate([self.listed_row, other.listed_row]),
        )

    def name_index(self) -> dict[str, list[int]]:
        """Name key -> listed rows (several when a person is split across teams)."""
        index: dict[str, list[int]] = {}
        for row, name in zip(self.listed_row.tolist(), self.name):
            key = match_key(name)
            if key is not None:
                index.setdefault(key, []).append(row)
        return index


@dataclass(frozen=True)
class Teams:
    """Teams in display order: people's teams as first listed, then teams only in the teams sheet."""

    names: list[str]
    index_of: dict[str, int]  # team key -> position
    velocity: np.ndarray  # NaN = not given
    focus_factor: np.ndarray  # NaN = not given
    source_row: np.ndarray  # teams-sheet row; 0 when not there or built in code
    in_sheet: np.ndarray  # bool

    def codes(self, people: Roster) -> np.ndarray:
        """Each person's team position."""
        return np.array([self.index_of[key] for key in people.team_key], dtype=np.int64)

    def staffed(self, people: Roster) -> list[int]:
        """Positions of the teams that have at least one of ``people``, in team order."""
        return sorted(set(self.codes(people).tolist()))


@dataclass(frozen=True)
class Holidays:
    """Holiday dates: those of everyone (blank team), and each team's own by team position."""

    team_wide: np.ndarray  # datetime64[D]
    by_team: dict[int, np.ndarray]  # team position -> datetime64[D]


@dataclass(frozen=True)
class Ranges:
    """OOO or on-call ranges: listed person row, inclusive start and end (datetime64[D]), load."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray
    load: np.ndarray

    def plus(self, other: Ranges) -> Ranges:
        return Ranges(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in ("person", "start", "end", "load"))
        )


def read_people(frame: pd.DataFrame, file: str) -> tuple[Roster, list[Problem]]:
    """The people sheet as a roster. Blank allocation = 1, blank skills = general.

    A blank team becomes :data:`NO_TEAM`, with a warning when other people do have a team (a
    one-team file may well have no team column). The same name in several teams is a person split
    across teams: allowed, with a warning when the allocations add up to more than 1.
    """
    sheet = "people"
    problems: list[Problem] = []
    rows = frame["source_row"].to_numpy(dtype=np.int64)
    problem = _row_problems(problems, file, sheet, rows)

    if len(frame) == 0:
        problems.append(
            Problem(
                ERROR,
                "the people sheet has no one in it: list at least one person with a name and a team",
                file,
                sheet,
                None,
                "name",
            )
        )
        return _new_hires("", "", 0, 0), problems

    names = trimmed_texts(frame["name"])
    written_teams = trimmed_texts(frame["team"])
    labels = [name or "this person" for name in names]
    for i in (i for i, name in enumerate(names) if name is None):
        problem(ERROR, i, "this person has no name", "name")
    if any(team is None for team in written_teams) and any(team is not None for team in written_teams):
        for i in (i for i, team in enumerate(written_teams) if team is None and names[i] is not None):
            problem(WARNING, i, f"{labels[i]} has no team: counted in {NO_TEAM!r}", "team")
    teams = [team or NO_TEAM for team in written_teams]

    allocation = frame["allocation"].to_numpy(dtype=np.float64)
    given = ~np.isnan(allocation)
    for i in np.flatnonzero(given & ((allocation < 0) | (allocation > 1))).tolist():
        # 80 instead of 0.8 is the likely slip: say how to write it.
        hint = f" (for {allocation[i]:g}% write {allocation[i] / 100:g})" if 1 < allocation[i] <= 100 else ""
        problem(ERROR, i, f"{labels[i]}'s allocation {allocation[i]:g} is outside 0..1{hint}", "allocation")
    per_sprint = frame["days_per_sprint"].to_numpy(dtype=np.float64)
    for i in np.flatnonzero(per_sprint < 0).tolist():
        problem(ERROR, i, f"{labels[i]}'s days_per_sprint {per_sprint[i]:g} is negative", "days_per_sprint")

    seen: dict[tuple[str, str], int] = {}
    allocation_by_name: dict[str, list[float]] = {}
    for i, (name, team) in enumerate(zip(names, teams)):
        if name is None:
            continue
        pair = (_key(name), _key(team))
        if pair in seen:
            problem(ERROR, i, f"{name} is listed twice in {team}: keep one row", "name")
        seen[pair] = i
        allocation_by_name.setdefault(pair[0], []).append(allocation[i] if given[i] else 1.0)
    for key, shares in allocation_by_name.items():
        if len(shares) > 1 and sum(shares) > 1 + 1e-9:
            i = next(i for i, name in enumerate(names) if match_key(name) == key)
            problem(
                WARNING,
                i,
                f"{names[i]} is in {len(shares)} teams with allocations adding up to {sum(shares):g}, more than 1",
                "allocation",
            )

    roster = Roster(
        name=labels,
        team=teams,
        team_key=[_key(team) for team in teams],
        skills=[_skills(text) for text in frame["skills"].tolist()],
        allocation=np.where(given, allocation, 1.0),
        allocation_given=given,
        days_per_sprint=per_sprint,
        source_row=rows,
        added=np.zeros(len(frame), dtype=bool),
        listed_row=np.arange(len(frame), dtype=np.int64),
    )
    return roster, problems


def read_teams(frame: pd.DataFrame, people: Roster, file: str) -> tuple[Teams, list[Problem]]:
    """Teams: people's teams in order of appearance, then teams only in the teams sheet."""
    sheet = "teams"
    problems: list[Problem] = []
    names: list[str] = []
    index_of: dict[str, int] = {}
    for team, key in zip(people.team, people.team_key):
        if key not in index_of:
            index_of[key] = len(names)
            names.append(team)

    rows = frame["source_row"].to_numpy(dtype=np.int64)
    problem = _row_problems(problems, file, sheet, rows)
    velocity_in = frame["velocity"].to_numpy(dtype=np.float64)
    focus_in = frame["focus_factor"].to_numpy(dtype=np.float64)
    listed: dict[str, int] = {}
    for i, written in enumerate(trimmed_texts(frame["team"])):
        if written is None:
            problem(ERROR, i, "this row has no team name", "team")
            continue
        key = _key(written)
        if key in listed:
            problem(ERROR, i, f"{written} is listed twice in the teams sheet: keep one row", "team")
            continue
        listed[key] = i
        if velocity_in[i] < 0:
            problem(ERROR, i, f"{written}'s velocity {velocity_in[i]:g} is negative", "velocity")
        if not np.isnan(focus_in[i]) and not 0 < focus_in[i] <= 1:
            problem(
                ERROR,
                i,
                f"{written}'s focus factor {focus_in[i]:g} must be above 0 and at most 1 (0.8 for 80%)",
                "focus_factor",
            )
        if key not in index_of:
            index_of[key] = len(names)
            names.append(written)

    velocity = np.full(len(names), np.nan)
    focus = np.full(len(names), np.nan)
    source_row = np.zeros(len(names), dtype=np.int64)
    in_sheet = np.zeros(len(names), dtype=bool)
    for key, i in listed.items():
        position = index_of[key]
        velocity[position], focus[position] = velocity_in[i], focus_in[i]
        source_row[position], in_sheet[position] = rows[i], True
    return Teams(names, index_of, velocity, focus, source_row, in_sheet), problems


def read_holidays(
    frame: pd.DataFrame, team_index: Mapping[str, int], file: str, *, warn_unknown_team: bool = True
) -> tuple[Holidays, list[Problem]]:
    """Holiday dates, team-wide (blank team) and per team position; unknown teams are ignored."""
    sheet = "holidays"
    problems: list[Problem] = []
    problem = _row_problems(problems, file, sheet, frame["source_row"].to_numpy(dtype=np.int64))
    dates = frame["date"].to_numpy().astype("datetime64[D]")
    missing = np.isnat(dates)
    for i in np.flatnonzero(missing).tolist():
        problem(ERROR, i, "this holiday has no date", "date")
    teams = trimmed_texts(frame["team"])
    blank = np.array([team is None for team in teams], dtype=bool)
    by_team: dict[int, list[np.datetime64]] = {}
    for i in np.flatnonzero(~blank & ~missing).tolist():
        team = teams[i]
        position = team_index.get(_key(team)) if team is not None else None
        if position is not None:
            by_team.setdefault(position, []).append(dates[i])
        elif warn_unknown_team:
            problem(
                WARNING,
                i,
                f"holiday for team {teams[i]!r}, which has no people and is not in the teams sheet: ignored",
                "team",
            )
    return Holidays(
        dates[blank & ~missing],
        {team: np.array(days, dtype="datetime64[D]") for team, days in by_team.items()},
    ), problems


RANGE_SHEETS = ("ooo", "oncall")


def read_ranges(
    frame: pd.DataFrame,
    sheet: str,
    names: Mapping[str, list[int]],
    file: str,
    *,
    default_load: float = 1.0,
) -> tuple[Ranges, list[Problem]]:
    """OOO or on-call rows as ranges; a name split across teams gives one range per people row.

    Both dates are required (one day: the same start and end): a blank end could mean "open-ended",
    and guessing one day would understate the absence. Blank on-call loads get ``default_load``.
    """
    what = "out-of-office" if sheet == "ooo" else "on-call"
    problems: list[Problem] = []
    problem = _row_problems(problems, file, sheet, frame["source_row"].to_numpy(dtype=np.int64))
    starts = frame["start"].to_numpy().astype("datetime64[D]")
    ends = frame["end"].to_numpy().astype("datetime64[D]")
    loads = frame["load"].to_numpy(dtype=np.float64) if "load" in frame.columns else np.full(len(frame), np.nan)
    person: list[int] = []
    kept: list[int] = []
    for i, name in enumerate(trimmed_texts(frame["name"])):
        errors: list[tuple[str, str]] = []
        matches = names.get(_key(name), []) if name is not None else []
        if name is None:
            errors.append((f"this {what} row has no name", "name"))
        elif not matches:
            errors.append((f"no one called {name!r} in the people sheet: check the spelling", "name"))
        label = name or "this person"
        for column, value in (("start", starts[i]), ("end", ends[i])):
            if np.isnat(value):
                errors.append(
                    (f"{label}'s {what} has no {column} date (for one day, give the same start and end)", column)
                )
        if not np.isnat(starts[i]) and not np.isnat(ends[i]) and ends[i] < starts[i]:
            errors.append(
                (f"{label}'s {what} ends ({ends[i]}) before it starts ({starts[i]}): swap start and end", "end")
            )
        if not np.isnan(loads[i]) and not 0 <= loads[i] <= 1:
            errors.append((f"{label}'s on-call load {loads[i]:g} is outside 0..1 (0.5 = half of each day)", "load"))
        for message, column in errors:
            problem(ERROR, i, message, column)
        if not errors:
            person += matches
            kept += [i] * len(matches)
    load = np.where(np.isnan(loads[kept]), default_load, loads[kept])
    return Ranges(np.array(person, dtype=np.int64), starts[kept], ends[kept], load), problems


def extra_ooo_ranges(
    extra: Iterable[tuple[str, date, date]], names: Mapping[str, list[int]]
) -> tuple[Ranges, list[Problem]]:
    """The what-if OOO ranges (dates already checked by :class:`CapacitySettings`)."""
    problems: list[Problem] = []
    person: list[int] = []
    starts: list[date] = []
    ends: list[date] = []
    for name, start, end in extra:
        key = match_key(name)
        matches = names.get(key, []) if key is not None else []
        if not matches:
            problems.append(setting_problem("extra_ooo", f"no one called {name!r} in the people sheet"))
        person += matches
        starts += [start] * len(matches)
        ends += [end] * len(matches)
    return Ranges(
        np.array(person, dtype=np.int64),
        np.array(starts, dtype="datetime64[D]"),
        np.array(ends, dtype="datetime64[D]"),
        np.full(len(person), np.nan),
    ), problems


# --------------------------------------------------------------------------------------------------
# Headcount what-if


def apply_headcount(people: Roster, teams: Teams, headcount: Iterable[tuple[str, int]]) -> tuple[Roster, list[Problem]]:
    """People after the headcount what-ifs: ``+n`` appends hires, ``-n`` drops the last n listed."""
    problems: list[Problem] = []
    for team, change in headcount:
        key = match_key(team)
        if key not in teams.index_of:
            problems.append(
                setting_problem("headcount", f"no team called {team!r}; the teams are {', '.join(teams.names)}")
            )
            continue
        members = [i for i, member_key in enumerate(people.team_key) if member_key == key]
        if change < 0:
            dropped = set(members[max(len(members) + change, 0) :])
            people = people.take([i for i in range(len(people)) if i not in dropped])
        elif change > 0:
            hired = int(sum(people.added[i] for i in members))
            people = people.plus(_new_hires(teams.names[teams.index_of[key]], key, hired, change))
    return people, problems


def _new_hires(team: str, key: str, already: int, count: int) -> Roster:
    """``count`` generic full-time people with the general skill, numbered after ``already``."""
    return Roster(
        name=[f"New hire {already + i} ({team})" for i in range(1, count + 1)],
        team=[team] * count,
        team_key=[key] * count,
        skills=[(GENERAL_SKILL,)] * count,
        allocation=np.ones(count),
        allocation_given=np.zeros(count, dtype=bool),
        days_per_sprint=np.full(count, np.nan),
        source_row=np.zeros(count, dtype=np.int64),
        added=np.ones(count, dtype=bool),
        listed_row=np.full(count, -1, dtype=np.int64),
    )

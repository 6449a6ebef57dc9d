"""A backlog and capacity file set as read, before it is saved: what it holds and what blocks saving it.

The Data page reads uploaded files with :mod:`planner.ingest` and saves them as a scenario only when
:meth:`LoadedFiles.blockers` is empty: both files are there, both could be read, and no problem is an
error (warnings never block). Nothing is written before that, so a bad upload never touches a saved
scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.ingest.backlog import BacklogImport
from planner.ingest.capacity import CapacityImport
from planner.input_problems import ERROR, Problem

__all__ = ["LoadedFiles", "import_settings"]


def import_settings(backlog: BacklogImport, capacity: CapacityImport) -> dict[str, object]:
    """What a scenario keeps about how its files were read: sources, mapping, value rule, problems."""
    return {
        "value_rule": backlog.value_rule,
        "import": {
            "backlog": {
                "source": backlog.source.describe() if backlog.source else None,
                "mapping": backlog.mapping.as_rows(),
                "corrections": backlog.mapping.corrections(),
                "problems": [problem.as_dict() for problem in backlog.problems],
            },
            "capacity": {
                "sources": {sheet: info.describe() for sheet, info in capacity.sources.items()},
                "problems": [problem.as_dict() for problem in capacity.problems],
            },
        },
    }


@dataclass(frozen=True)
class LoadedFiles:
    """The file set as read: imports (None where a file is missing or unreadable) and why.

    ``failures`` holds one message per file that could not be read at all; ``corrections`` are the
    backlog mapping corrections it was read with (header as written -> field, or None).
    """

    backlog_name: str | None
    capacity_names: tuple[str, ...]
    backlog: BacklogImport | None
    capacity: CapacityImport | None
    corrections: dict[str, str | None] = field(default_factory=dict)
    failures: tuple[str, ...] = ()

    @property
    def problems(self) -> list[Problem]:
        """Every problem found in both files, errors first (otherwise in file order)."""
        found = list(self.backlog.problems if self.backlog else ()) + list(
            self.capacity.problems if self.capacity else ()
        )
        return sorted(found, key=lambda problem: problem.severity != ERROR)  # stable: file order kept

    def count(self, severity: str) -> int:
        """How many problems have ``severity``."""
        return sum(problem.severity == severity for problem in self.problems)

    def blockers(self) -> list[str]:
        """Why the file set cannot be saved yet, each a sentence saying what to do; empty when it can.

        A backlog file and the capacity file(s) must be loaded, every file must have been read, and
        no problem may be an error.
        """
        reasons = []
        if self.backlog_name is None:
            reasons.append("Load a backlog file.")
        if not self.capacity_names:
            reasons.append("Load the capacity workbook (or its CSV files).")
        if self.failures:
            reasons.append("A file could not be read: see the message above.")
        errors = self.count(ERROR)
        if errors:
            reasons.append(
                f"Fix the {errors} error{'' if errors == 1 else 's'} listed under Problems: correct the file and "
                "upload it again, or correct the column mapping."
            )
        return reasons

    def settings(self) -> dict[str, object]:
        """What the scenario keeps about how its files were read (call it only when nothing blocks saving)."""
        assert self.backlog is not None and self.capacity is not None
        return {
            **import_settings(self.backlog, self.capacity),
            "corrections": dict(self.corrections),
            "files": {"backlog": self.backlog_name, "capacity": list(self.capacity_names)},
        }

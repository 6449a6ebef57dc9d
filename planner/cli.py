"""The command line of SPEC section 3: ``planner plan --backlog FILE --capacity FILE [...]``.

A thin shell around the library: parse the flags, read both files with the ingest, compute the
capacity, call :func:`planner.solve.plan.make_plan`, and report. No planning happens here.

``--what-ifs FILE`` plans a scenario at the what-ifs the app saved or exported for it (the what-if
JSON of :mod:`planner.scenarios`, or a scenario's settings holding it): the library's own functions
turn it into the plan's inputs, as the app does (:func:`planner.scenarios.apply_what_if`,
:func:`~planner.scenarios.plan_arguments`, :func:`planner.planning_backlog.planning_backlog`), so the
command gives the app's plan. A capacity flag given beside it replaces that one what-if (and says so
on stderr); ``--previous`` replaces the plan kept stable.

Exit status: 0 a plan (optimal or feasible), 2 bad input (files, or flags), 3 infeasible (the Must
and pinned items cannot fit), 1 anything else. Problems and warnings go to stderr; stdout holds the
report, or with ``--json`` exactly one JSON object (also when planning fails, with ``status``
``error`` or ``infeasible`` and a ``message``). ``PLANNER_DEBUG=1`` shows the traceback of an
unexpected failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
import traceback
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from planner.capacity import SETTINGS_FILE, CapacityResult, CapacitySettings, compute_capacity
from planner.errors import InputError, PlannerError
from planner.ingest import BacklogImport, CapacityImport, read_backlog, read_capacity
from planner.input_problems import ERROR, Problem
from planner.solve import (
    SOLVERS,
    Changes,
    PlanResult,
    SolveOptions,
    capacity_sprint_names,
    check_plan_inputs,
    make_plan,
)
from planner.sprint_values import SprintTreatment, apply_sprint_treatment

if TYPE_CHECKING:
    from planner.scenarios import PlanArguments

__all__ = ["EXIT_FAILURE", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_OK", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_INTERRUPTED = 130

JSON_KEYS = (
    "status",
    "objective",
    "bound",
    "gap",
    "baseline_objective",
    "selected",
    "excluded",
    "capacity",
    "seconds",
    "message",
)
CAPACITY_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SHOWN_PER_GROUP = 20  # excluded items listed per reason without --verbose
SHOWN_SELECTED = 60  # selected items listed in full up to this many without --verbose
SHOWN_PER_TEAM_SPRINT = 10  # else this many per team and sprint
SHOWN_WARNINGS = 20

# Settings of CapacitySettings -> the flag that sets it, to name the flag in messages.
_SETTING_FLAGS = {
    "unit": "--unit",
    "focus_factor": "--focus-factor",
    "buffer": "--buffer",
    "oncall_load": "--oncall-load",
    "sprint_count": "--sprints",
}
# The capacity flags: argparse dest -> CapacitySettings field. Beside --what-ifs, each one given on the
# command line replaces that what-if (flags win, as a flag beats a configuration file).
_CAPACITY_FLAGS = {
    "sprints": "sprint_count",
    "unit": "unit",
    "focus_factor": "focus_factor",
    "buffer": "buffer",
    "oncall_load": "oncall_load",
}
_DEFAULT_OPTIONS = SolveOptions()
_DEFAULT_SETTINGS = CapacitySettings()


class CliError(Exception):
    """A failure the command line reports with an exit status and a message (no traceback)."""

    def __init__(self, code: int, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = tuple(details)


class _Given(argparse.Action):
    """Store the flag's value and remember it was given: beside --what-ifs it replaces that what-if."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        given = tuple(getattr(namespace, "given", ()))
        namespace.given = given if self.dest in given else (*given, self.dest)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``--json`` can still print its object."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(EXIT_INPUT, message, (self.format_usage().rstrip(),))


# --------------------------------------------------------------------------------------------------
# Arguments


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``planner``; its help is the reference of the flags."""
    parser = _Parser(
        prog="planner",
        description="Sprint capacity and priority planner: the highest-value sprint plan that really fits.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    plan = commands.add_parser(
        "plan",
        help="plan a backlog into the sprints of a capacity file",
        description="Plan the backlog into the sprints of the capacity file and report the plan, the "
        "rank-and-fill baseline, the reason for every item left out and the capacity used.",
        epilog="Exit status: 0 a plan (optimal or feasible), 2 bad input, 3 infeasible (the Must and "
        "pinned items cannot fit), 1 anything else. Problems and warnings go to stderr.",
    )
    plan.add_argument(
        "--backlog",
        required=True,
        metavar="FILE",
        help="backlog: .xlsx (first sheet, or the sheet named Backlog) or .csv",
    )
    plan.add_argument(
        "--capacity",
        required=True,
        action="append",
        metavar="FILE",
        help="capacity workbook (.xlsx with sheets people, sprints, ooo, oncall, holidays, teams); "
        "or one CSV per sheet: give --capacity once per CSV, or a directory of CSVs",
    )
    plan.add_argument(
        "--sprints",
        action=_Given,
        type=int,
        default=1,
        metavar="N",
        help="number of sprints to plan: the first N of the sprints sheet, or N two-week "
        "sprints from next Monday without one (default: 1)",
    )
    plan.add_argument(
        "--unit",
        action=_Given,
        choices=("days", "points"),
        default="days",
        help="unit of effort and capacity; points need every team's velocity (default: days)",
    )
    plan.add_argument(
        "--focus-factor",
        action=_Given,
        type=float,
        default=None,
        metavar="F",
        help="share of net time spent on planned work, in (0, 1] (default: each team's "
        "focus_factor in the teams sheet, else 1)",
    )
    plan.add_argument(
        "--buffer",
        action=_Given,
        type=float,
        default=_DEFAULT_SETTINGS.buffer,
        metavar="B",
        help=f"share of capacity kept free, 0-1 (default: {_DEFAULT_SETTINGS.buffer:g})",
    )
    plan.add_argument(
        "--oncall-load",
        action=_Given,
        type=float,
        default=_DEFAULT_SETTINGS.oncall_load,
        metavar="L",
        help="share of an on-call day lost, 0-1, for on-call rows without a load "
        f"(default: {_DEFAULT_SETTINGS.oncall_load:g})",
    )
    plan.add_argument(
        "--solver",
        choices=SOLVERS,
        default=_DEFAULT_OPTIONS.solver,
        help=f"MIP solver; highs needs the optional highspy package (default: {_DEFAULT_OPTIONS.solver})",
    )
    plan.add_argument(
        "--time-limit",
        type=float,
        default=_DEFAULT_OPTIONS.time_limit,
        metavar="S",
        help="seconds the whole command may take, reading the files included; the best plan "
        f"found by then is reported (default: {_DEFAULT_OPTIONS.time_limit:g})",
    )
    plan.add_argument(
        "--gap",
        type=float,
        default=_DEFAULT_OPTIONS.gap,
        metavar="G",
        help="relative optimality gap at which the solver stops, 0 = prove the optimum "
        f"(default: {_DEFAULT_OPTIONS.gap:g})",
    )
    plan.add_argument(
        "--previous",
        metavar="FILE",
        help="an earlier plan to keep where it can (the JSON printed by --json, or a workbook written by "
        "--out): the plan then makes the fewest changes to it within --keep-within of the best value",
    )
    plan.add_argument(
        "--keep-within",
        type=float,
        default=_DEFAULT_OPTIONS.keep_within,
        metavar="K",
        help="with --previous: the plan's value is at least (1 - K) times the best value, 0 <= K < 1 "
        f"(default: {_DEFAULT_OPTIONS.keep_within:g})",
    )
    plan.add_argument(
        "--what-ifs",
        metavar="FILE",
        help="plan at a scenario's what-ifs: the JSON the app's Export page downloads (what-ifs.json), the "
        "what-if JSON a scenario saves, or a scenario's settings holding it; it sets sprints, unit, capacity %%, "
        "headcount, focus, buffer, on-call load, value rule, pins and MoSCoW changes and the plan kept stable "
        "(as --previous). A capacity flag or --previous given beside it wins over that what-if",
    )
    plan.set_defaults(given=())
    plan.add_argument("--out", metavar="plan.xlsx", help="also write the plan to this Excel workbook")
    plan.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of the report")
    plan.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every item, warning and skill row (the report is shortened otherwise)",
    )
    return parser


# --------------------------------------------------------------------------------------------------
# Entry point


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in argv
    out = _Output(sys.stdout, sys.stderr, json_mode)
    started = time.perf_counter()
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit_:  # --help
            return int(exit_.code or 0) if not isinstance(exit_.code, str) else EXIT_FAILURE
        out.verbose = args.verbose
        return _plan(args, out, started)
    except CliError as error:
        return out.fail(error.code, "error", error.message, error.details, time.perf_counter() - started)
    except InputError as error:
        details = [str(problem) for problem in error.problems]
        return out.fail(
            EXIT_INPUT,
            "error",
            str(error.args[0]) if error.args else "bad input",
            details,
            time.perf_counter() - started,
        )
    except PlannerError as error:
        return out.fail(EXIT_INPUT, "error", str(error), (), time.perf_counter() - started)
    except KeyboardInterrupt:
        return out.fail(EXIT_INTERRUPTED, "error", "interrupted", (), time.perf_counter() - started)
    except Exception as error:
        if os.environ.get("PLANNER_DEBUG") == "1":
            traceback.print_exc(file=sys.stderr)
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        message = f"unexpected {type(error).__name__}{': ' + text if text else ''}"
        hint = () if os.environ.get("PLANNER_DEBUG") == "1" else ("set PLANNER_DEBUG=1 to see the traceback",)
        return out.fail(EXIT_FAILURE, "error", message, hint, time.perf_counter() - started)


def _plan(args: argparse.Namespace, out: _Output, started: float) -> int:
    """``planner plan``: read, check, plan and report, all within ``--time-limit`` of ``started``."""
    what_ifs = read_what_ifs(args.what_ifs) if args.what_ifs is not None else None
    settings = _capacity_settings(args, what_ifs)
    SolveOptions(solver=args.solver, time_limit=args.time_limit, gap=args.gap)  # bad flags fail before reading
    keep_within = _keep_within(args.keep_within)
    out_path = _out_path(args.out, [args.backlog, *args.capacity, *([args.what_ifs] if what_ifs else [])])
    previous = read_previous(args.previous) if args.previous is not None else None
    if what_ifs is not None:
        _say_replaced(out, args, what_ifs, settings)
        if previous is None:
            previous = what_ifs.previous or None
    capacity_sources = _capacity_sources(args.capacity)

    backlog = read_backlog(args.backlog)
    capacity = read_capacity(capacity_sources)
    problems = [*backlog.problems, *capacity.problems]
    errors = [problem for problem in problems if problem.severity == ERROR]
    out.warnings(problem for problem in problems if problem.severity != ERROR)
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        raise CliError(
            EXIT_INPUT, f"{count} in the input files to fix before planning", [str(problem) for problem in errors]
        )

    name = _capacity_name(args.capacity)
    try:
        net = compute_capacity(capacity.tables, settings, file=name)
    except InputError as error:
        located = [_locate(problem, name, capacity, what_ifs) for problem in error.problems]
        if what_ifs is not None and located and all(problem.file == what_ifs.file for problem in located):
            raise what_ifs.fail(f"the what-ifs do not fit {name}", [str(problem) for problem in located]) from None
        raise InputError(str(error.args[0]) if error.args else "capacity", located) from None
    out.warnings(_locate(problem, name, capacity, what_ifs) for problem in net.problems)
    # Sprint values that are none of the capacity file's sprints: unscheduled, carry-over or later, said
    # once per value (as the Data page says it), never a silent pin.
    place = _backlog_place(backlog, args.backlog)
    sprint_names = capacity_sprint_names(capacity.tables)
    treatment = SprintTreatment(sprint_names) if what_ifs is None else what_ifs.sprint_treatment(sprint_names)
    table, sprint_warnings = apply_sprint_treatment(
        backlog.table, sprint_names, dict(treatment.treatments), treatment.carry_over_moscow, file=place[0]
    )
    out.warnings(sprint_warnings)
    arguments = None
    if what_ifs is not None:  # the app's planning backlog: value rule, sprint treatment, pins and MoSCoW
        arguments = what_ifs.arguments(backlog.value_rule)
        table = what_ifs.planning_backlog(backlog.table, arguments, treatment, place[0])
        backlog = dataclasses.replace(backlog, value_rule=arguments.value_rule)  # the report names the rule used
    check_plan_inputs(table, sprint_names, *place)
    # --time-limit bounds the whole command: the plan gets what reading the files left, less the
    # time the report (and the workbook) will take to write.
    rows = len(backlog.table)
    report = _REPORT_SECONDS + _REPORT_SECONDS_PER_ROW * rows * (1 + (out_path is not None) * _WORKBOOK_FACTOR)
    options = SolveOptions(
        solver=args.solver,
        time_limit=args.time_limit,
        gap=args.gap,
        deadline=started + args.time_limit - report,
        previous=previous,
        keep_within=keep_within,
    )
    result = make_plan(table, net, options=options)

    if result.status == "infeasible":
        return out.fail(EXIT_INFEASIBLE, "infeasible", result.message, (), result.seconds, result)
    if result.status not in ("optimal", "feasible"):
        return out.fail(EXIT_FAILURE, "error", result.message or "no plan could be made", (), result.seconds, result)
    if out_path is not None:
        from planner.outputs import write_export_workbook

        try:
            # The Export page's workbook: the plan, its summary, and the Refinement sheet.
            write_export_workbook(
                out_path,
                result,
                table,
                net,
                scenario_name=Path(args.backlog).name,
                settings=_workbook_settings(args, what_ifs, settings, arguments),
            )
        except OSError as error:
            raise CliError(
                EXIT_FAILURE, f"the plan was made but could not be written to {out_path}: {error.strerror or error}"
            ) from None
    if out.json_mode:
        out.json(result.as_json())
    else:
        out.print(format_report(result, backlog, net, verbose=args.verbose, written=out_path))
    return EXIT_OK


_REPORT_SECONDS = 0.05  # writing the report or the JSON object: a fixed part ...
_REPORT_SECONDS_PER_ROW = 4e-6  # ... and per backlog row (200,000 rows of JSON: about 0.6 s measured)
_WORKBOOK_FACTOR = 10  # --out: the workbook takes about ten times the JSON's time per row


def _backlog_place(backlog: BacklogImport, given: str) -> tuple[str, str, str | None]:
    """The backlog's file name, its sprint column's header(s) and its sheet, to locate problems."""
    headers = [match.header for match in backlog.mapping.columns_for("sprint")]
    file = backlog.source.file if backlog.source is not None else Path(given).name
    sheet = backlog.source.sheet if backlog.source is not None else None
    return file, " / ".join(headers) or "sprint", sheet


def _keep_within(value: float) -> float:
    """``--keep-within``, checked: at least 0 and below 1."""
    if not (math.isfinite(value) and 0 <= value < 1):
        raise CliError(EXIT_INPUT, f"--keep-within {value:g}: give a share of the value at least 0 and below 1")
    return value


def read_previous(file: str) -> dict[str, tuple[str, str]]:
    """An earlier plan, id -> (team, sprint name): the JSON printed by ``--json`` or a workbook written by ``--out``.

    The JSON's ``selected`` list, or the workbook's Plan sheet (its ``id``, ``team`` and ``sprint``
    columns). A file that is missing, unreadable or holds no plan is a :class:`CliError` naming it (exit 2).
    """
    path = Path(file)

    def fail(problem: str) -> CliError:
        return CliError(EXIT_INPUT, f"--previous {file}: {problem}")

    if not path.is_file():
        raise fail("no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            rows = _previous_rows_from_workbook(path)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            selected = data.get("selected") if isinstance(data, dict) else None
            if not isinstance(selected, list):
                raise fail("not a plan: expected the JSON object printed by --json, with its 'selected' list")
            rows = selected
    except CliError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise fail(f"cannot be read as a plan ({type(error).__name__}: {error})") from None
    previous: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(rows, start=1):
        cells = [row.get(name) if isinstance(row, dict) else None for name in ("id", "team", "sprint")]
        if not all(isinstance(cell, str) and cell.strip() for cell in cells):
            raise fail(f"planned item {number} has no id, team and sprint")
        item_id, team, sprint = (str(cell) for cell in cells)
        previous[item_id] = (team, sprint)
    return previous


@dataclass(frozen=True)
class WhatIfs:
    """A scenario's what-ifs read from a ``--what-ifs`` file, turned into the plan's inputs by the library.

    ``scenario_settings``: the file as a scenario's settings (``{"what_if": ...}`` around bare what-if
    JSON); ``values``: the app's session values (:func:`planner.scenarios.apply_what_if`, the defaults
    for what the file leaves out); ``settings``: their capacity settings; ``previous``: the plan kept
    stable (the what-ifs' own, else the accepted plan).
    """

    file: str
    scenario_settings: dict[str, Any]
    values: dict[str, Any]
    settings: CapacitySettings
    previous: dict[str, tuple[str, str]]

    def fail(self, problem: str, details: Sequence[str] = ()) -> CliError:
        return CliError(EXIT_INPUT, f"--what-ifs {self.file}: {problem}", details)

    def arguments(self, file_rule: str) -> PlanArguments:
        """The plan's inputs as the app makes them; the scenario's own value rule is the file's
        ``value_rule``, else the rule the backlog file is read with (what the app saves on upload)."""
        from planner.scenarios import plan_arguments

        own = {**self.scenario_settings, "value_rule": self.scenario_settings.get("value_rule") or file_rule}
        return plan_arguments(self.values, own)

    def sprint_treatment(self, capacity_sprints: Sequence[str] | None) -> SprintTreatment:
        """The treatment of sprint names the file's settings hold (the Data page's choices), else the defaults."""
        try:
            return SprintTreatment.from_settings(capacity_sprints, self.scenario_settings)
        except PlannerError as error:
            raise self.fail(f"the sprint treatments cannot be used: {error}") from None

    def planning_backlog(
        self, table: pd.DataFrame, arguments: PlanArguments, treatment: SprintTreatment, backlog_file: str
    ) -> pd.DataFrame:
        """The backlog as the app's plan takes it (:func:`planner.planning_backlog.planning_backlog`)."""
        from planner.planning_backlog import planning_backlog

        try:
            return planning_backlog(table, arguments.value_rule, arguments.overrides, sprints=treatment)
        except PlannerError as error:  # the value rule and treatments are checked already: a pin of an unknown item
            problem = f"the what-if 'pins and MoSCoW changes' cannot be used on {backlog_file}: {error}"
            raise self.fail(problem) from None


def read_what_ifs(file: str) -> WhatIfs:
    """The what-ifs of ``--what-ifs FILE``: a JSON object, either the what-if JSON a scenario saves
    (:func:`planner.scenarios.what_if_json`) or a scenario's settings holding it under ``what_if``
    (and maybe ``value_rule``, the accepted plan and the sprint treatments), as the Export page writes it.

    Every value is checked by the library (:func:`planner.scenarios.apply_what_if`); a file that is
    missing, not JSON or holds an unusable what-if is a :class:`CliError` naming it (exit 2).
    """
    from planner import scenarios

    def fail(problem: str) -> CliError:
        return CliError(EXIT_INPUT, f"--what-ifs {file}: {problem}")

    path = Path(file)
    if not path.is_file():
        raise fail("no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise fail(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise fail(f"cannot be read ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict):
        raise fail(
            f"expected a JSON object (the what-ifs, or a scenario's settings holding them), got {type(data).__name__}"
        )
    whole_settings = scenarios.WHAT_IF_KEY in data or scenarios.ACCEPTED_PLAN_KEY in data
    settings = data if whole_settings else {scenarios.WHAT_IF_KEY: data}
    saved = settings.get(scenarios.WHAT_IF_KEY)
    if saved is not None and not isinstance(saved, dict):
        raise fail(f"its {scenarios.WHAT_IF_KEY!r} is not a JSON object of what-ifs")
    try:
        values = scenarios.apply_what_if(settings) or dict(scenarios.WHAT_IF_DEFAULTS)
        if whole_settings and settings.get("value_rule") is not None:  # the scenario's own rule: checked as the what-if
            scenarios.what_if_values({"value_rule": settings["value_rule"]})
        capacity = scenarios.capacity_settings(values)
    except PlannerError as error:
        raise fail(str(error)) from None
    what_ifs = WhatIfs(file, settings, values, capacity, dict(values.get("planner_previous") or {}))
    what_ifs.sprint_treatment(None)  # unusable sprint treatments fail before the files are read
    return what_ifs


def _flag_name(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _say_replaced(out: _Output, args: argparse.Namespace, what_ifs: WhatIfs, settings: CapacitySettings) -> None:
    """On stderr: each flag given beside --what-ifs that replaces a what-if of the file (flags win)."""
    for dest in args.given:
        field_name = _CAPACITY_FLAGS.get(dest)
        if field_name is None:
            continue
        saved, used = getattr(what_ifs.settings, field_name), getattr(settings, field_name)
        if saved != used:
            out.note(
                f"note: {_flag_name(dest)} {_setting_text(used)} replaces the what-if of {what_ifs.file} "
                f"({_setting_text(saved)}): this is not the plan the app shows for those what-ifs"
            )
    if args.previous is not None and what_ifs.previous:
        out.note(
            f"note: --previous {args.previous} replaces the plan kept stable in {what_ifs.file} "
            f"({len(what_ifs.previous)} items)"
        )


def _setting_text(value: object) -> str:
    if value is None:
        return "each team's focus factor"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _previous_rows_from_workbook(path: Path) -> list[dict[str, object]]:
    """The Plan sheet's rows as {id, team, sprint}: the first sheet of a workbook written by ``--out``."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if "Plan" not in book.sheetnames:
            raise CliError(EXIT_INPUT, f"--previous {path}: the workbook has no Plan sheet (write one with --out)")
        rows = book["Plan"].iter_rows(values_only=True)
        header = [str(cell).strip().casefold() if cell is not None else "" for cell in next(rows, ())]
        missing = [name for name in ("id", "team", "sprint") if name not in header]
        if missing:
            raise CliError(EXIT_INPUT, f"--previous {path}: the Plan sheet has no {', '.join(missing)} column")
        where = {name: header.index(name) for name in ("id", "team", "sprint")}
        return [
            {name: None if row[column] is None else str(row[column]) for name, column in where.items()}
            for row in rows
            if any(cell is not None for cell in row)
        ]
    finally:
        book.close()


def _workbook_settings(
    args: argparse.Namespace,
    what_ifs: WhatIfs | None = None,
    settings: CapacitySettings | None = None,
    arguments: PlanArguments | None = None,
) -> dict[str, object]:
    """The flags as the workbook's Summary shows them; with --what-ifs, the settings the plan used."""
    shown = _flag_settings(args)
    if what_ifs is None or settings is None or arguments is None:
        return shown
    from planner.scenarios import what_if_summary

    replaced = [_flag_name(dest) for dest in args.given if dest in _CAPACITY_FLAGS]
    shown.update(
        {
            "sprints": settings.sprint_count,
            "unit": settings.unit,
            "focus factor": "from the teams sheet" if settings.focus_factor is None else settings.focus_factor,
            "buffer": settings.buffer,
            "on-call load": settings.oncall_load,
            "what-ifs": f"{Path(what_ifs.file).name}: {what_if_summary(what_ifs.values, arguments.value_rule)}"
            + (f" ({', '.join(replaced)} given on the command line instead)" if replaced else ""),
            "capacity %": round(settings.capacity_pct * 100, 6),
            "headcount": ", ".join(f"{team} {delta:+d}" for team, delta in settings.headcount) or "as in the file",
            "value rule": arguments.value_rule,
        }
    )
    if args.previous is None and what_ifs.previous:
        shown.update({"previous plan": f"kept stable in {Path(what_ifs.file).name}", "keep within": args.keep_within})
    return shown


def _flag_settings(args: argparse.Namespace) -> dict[str, object]:
    return {
        "backlog": Path(args.backlog).name,
        "capacity": ", ".join(Path(entry).name for entry in args.capacity),
        "sprints": args.sprints,
        "unit": args.unit,
        "focus factor": "from the teams sheet" if args.focus_factor is None else args.focus_factor,
        "buffer": args.buffer,
        "on-call load": args.oncall_load,
        "solver": args.solver,
        "time limit (s)": args.time_limit,
        "gap": args.gap,
        **({"previous plan": Path(args.previous).name, "keep within": args.keep_within} if args.previous else {}),
    }


def _capacity_settings(args: argparse.Namespace, what_ifs: WhatIfs | None = None) -> CapacitySettings:
    """The capacity flags as settings; an invalid value is reported under its flag.

    With ``what_ifs``: the what-ifs' settings, each capacity flag given on the command line replacing its what-if.
    """
    try:
        if what_ifs is not None:
            given = {_CAPACITY_FLAGS[dest]: getattr(args, dest) for dest in args.given if dest in _CAPACITY_FLAGS}
            return dataclasses.replace(what_ifs.settings, **given)
        return CapacitySettings(
            unit=args.unit,
            focus_factor=args.focus_factor,
            buffer=args.buffer,
            oncall_load=args.oncall_load,
            sprint_count=args.sprints,
        )
    except InputError as error:
        details = [
            f"{_SETTING_FLAGS.get(problem.column or '', problem.column)}: {problem.message}"
            for problem in error.problems
        ]
        raise CliError(EXIT_INPUT, "invalid option" + ("s" if len(details) > 1 else ""), details) from None


def _out_path(out: str | None, inputs: Iterable[str]) -> Path | None:
    """Where to write the workbook, checked before any work is done."""
    if out is None:
        return None
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise CliError(EXIT_INPUT, f"--out {out}: the plan is written as an Excel workbook; name it *.xlsx")
    if not path.parent.is_dir():
        raise CliError(EXIT_INPUT, f"--out {out}: the folder {path.parent} does not exist")
    target = path.resolve()
    for given in inputs:
        if Path(given).resolve() == target:
            raise CliError(EXIT_INPUT, f"--out {out} would overwrite the input file {given}; choose another name")
    return path


def _capacity_sources(given: Sequence[str]) -> list[Path]:
    """The capacity files: each --capacity is a file, or a directory whose CSVs are the sheets."""
    sources: list[Path] = []
    for entry in given:
        path = Path(entry)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CAPACITY_CSV_SUFFIXES)
            if not found:
                raise CliError(
                    EXIT_INPUT,
                    f"--capacity {entry}: the folder holds no CSV files (one per sheet: people.csv, sprints.csv, ...)",
                )
            sources.extend(found)
        else:
            sources.append(path)  # a missing file is reported by the ingest, with its name
    return sources


def _capacity_name(given: Sequence[str]) -> str:
    """The capacity file's name for messages of the capacity engine."""
    names = [Path(entry).resolve().name or str(entry) for entry in given]
    return names[0] if len(names) == 1 else " + ".join(names)


def _locate(problem: Problem, name: str, capacity: CapacityImport, what_ifs: WhatIfs | None = None) -> Problem:
    """A capacity engine problem named after the file its sheet came from (one CSV per sheet); a
    problem of a what-if (the headcount of a team the file does not have) after the what-ifs file."""
    if what_ifs is not None and problem.file == SETTINGS_FILE:
        return dataclasses.replace(problem, file=what_ifs.file)
    source = capacity.sources.get(problem.sheet or "")
    if problem.file != name or source is None:
        return problem
    return dataclasses.replace(problem, file=source.file, sheet=source.sheet)


# --------------------------------------------------------------------------------------------------
# Output


@dataclass
class _Output:
    """stdout for the report or the one JSON object; stderr for everything else."""

    stdout: TextIO
    stderr: TextIO
    json_mode: bool
    verbose: bool = False
    _json_written: bool = field(default=False)

    def print(self, text: str) -> None:
        _write(self.stdout, text)

    def note(self, text: str) -> None:
        _write(self.stderr, text)

    def warnings(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        shown = problems if self.verbose else problems[:SHOWN_WARNINGS]
        for problem in shown:
            _write(self.stderr, str(problem))
        if len(problems) > len(shown):
            _write(self.stderr, f"warning: ... and {len(problems) - len(shown)} more warnings (--verbose lists them)")

    def json(self, payload: dict[str, object]) -> None:
        if self._json_written:  # one object, ever
            return
        self._json_written = True
        _write(self.stdout, json.dumps(_finite(payload), allow_nan=False))

    def fail(
        self,
        code: int,
        status: str,
        message: str,
        details: Sequence[str],
        seconds: float | None,
        result: PlanResult | None = None,
    ) -> int:
        """Report a failure: ``<status>: message`` and details on stderr, and the JSON object."""
        _write(self.stderr, f"{status}: {message}")
        for line in details:
            _write(self.stderr, line if line.startswith(("error:", "warning:", "usage:")) else f"  {line}")
        if self.json_mode:
            if result is not None:
                payload = result.as_json()
            else:
                payload = {key: [] if key in ("selected", "excluded", "capacity") else None for key in JSON_KEYS}
                payload.update(status=status, seconds=seconds, message=message)
            if details and status == "error":
                payload["message"] = "\n".join([message, *details])
            self.json(payload)
        return code


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:  # a console that cannot show every character of an id
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding) + "\n")
    stream.flush()


def _finite(value: object) -> object:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------------
# The readable report


def format_report(
    result: PlanResult,
    backlog: BacklogImport,
    capacity: CapacityResult,
    *,
    verbose: bool = False,
    written: Path | None = None,
) -> str:
    """The plan as plain text: summary, selected items, items left out by reason, capacity."""
    unit = result.unit
    sprints = list(result.sprints) or sorted({a.sprint for a in result.selected})
    lines = [
        f"Plan: {result.status}, {len(sprints)} sprint{'s' if len(sprints) != 1 else ''} "
        f"({', '.join(sprints)}), effort in {unit}",
        f"Value rule: {backlog.value_rule_text}",
        f"Planned value:  {_number(result.objective)} ({len(result.selected)} of {len(backlog.table)} items)",
        f"Rank-and-fill:  {_number(result.baseline_objective)} (value per effort, the way a spreadsheet fills "
        f"a sprint); gain {_signed(result.gain_over_baseline)}"
        f"{_percent_of(result.gain_over_baseline, result.baseline_objective)}",
        f"Bound:          {_number(result.bound) if result.bound is not None else 'unknown'}"
        f"; gap {_gap(result.gap)}; {result.seconds:.2f} s",
    ]
    if result.status == "feasible":
        lines.append(
            "The solver stopped before proving this plan optimal (time limit or gap): "
            "the bound says how much better a plan could be at most."
        )
    if result.changes is not None:
        lines.append(_stable_line(result))
    if result.message:
        lines.append(f"Note: {result.message}")
    if written is not None:
        lines.append(f"Written to {written}")
    lines += [
        "",
        *_selected_section(result, verbose),
        "",
        *_excluded_section(result, verbose),
        "",
        *_capacity_section(result, verbose),
    ]
    return "\n".join(lines)


def _stable_line(result: PlanResult) -> str:
    """Re-planning: "stable plan: value V, N changes; free re-plan: value V', M changes", with what changed."""
    changes = result.changes or Changes()
    detail = (
        f" ({len(changes.entered)} entered, {len(changes.left)} left, {len(changes.moved)} moved)"
        if changes.count
        else ""
    )
    free = "? changes" if result.free_changes is None else _changes(result.free_changes)
    return (
        f"Re-planning: stable plan: value {_number(result.objective)}, {_changes(changes)}{detail}; "
        f"free re-plan: value {_number(result.free_objective)}, {free}"
    )


def _changes(changes: Changes) -> str:
    return f"{changes.count} change{'s' if changes.count != 1 else ''}"


def _selected_section(result: PlanResult, verbose: bool) -> list[str]:
    lines = [f"Planned items ({len(result.selected)})"]
    if not result.selected:
        return lines + ["  none"]
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for assignment in result.selected:
        groups[(assignment.sprint, assignment.team)].append(assignment)
    show_all = verbose or len(result.selected) <= SHOWN_SELECTED
    rows: list[list[str]] = []
    for (sprint, team), assignments in groups.items():
        shown = assignments if show_all else assignments[:SHOWN_PER_TEAM_SPRINT]
        for assignment in shown:
            rows.append([sprint, team, assignment.id, _number(assignment.value), _number(assignment.effort)])
        if len(shown) < len(assignments):
            rest = assignments[len(shown) :]
            rows.append(
                [
                    sprint,
                    team,
                    f"... {len(rest)} more",
                    _number(sum(a.value for a in rest)),
                    _number(sum(a.effort for a in rest)),
                ]
            )
    lines += _table(["sprint", "team", "id", "value", "effort"], rows, numeric={3, 4})
    if not show_all:
        lines.append("  (--verbose lists every planned item)")
    return lines


def _excluded_section(result: PlanResult, verbose: bool) -> list[str]:
    lines = [f"Not planned ({len(result.excluded)})"]
    if not result.excluded:
        return lines + ["  none"]
    groups: dict[str, list] = defaultdict(list)
    for exclusion in result.excluded:
        groups[exclusion.reason.split(" ", 1)[0]].append(exclusion)
    for code, exclusions in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"  {code} ({len(exclusions)})")
        shown = exclusions if verbose else exclusions[:SHOWN_PER_GROUP]
        for exclusion in shown:
            detail = f" - {exclusion.detail}" if exclusion.detail else ""
            lines.append(f"    {exclusion.id}: {exclusion.reason}{detail}")
        if len(shown) < len(exclusions):
            lines.append(f"    ... {len(exclusions) - len(shown)} more (--verbose lists them)")
    return lines


def _capacity_section(result: PlanResult, verbose: bool) -> list[str]:
    frame = result.capacity
    lines = [f"Capacity ({result.unit})"]
    if frame.empty:
        return lines + ["  none"]
    rows = []
    for team, sprint, cell, total, planned in zip(
        frame["team"], frame["sprint"], frame["skill"], frame["capacity"], frame["load"]
    ):
        skill = None if pd.isna(cell) else str(cell)
        if skill is not None and not verbose:
            continue
        capacity, load = float(total), float(planned)
        rows.append(
            [
                str(team),
                str(sprint),
                skill or "(all)",
                _number(capacity),
                _number(load),
                _utilisation(load, capacity),
            ]
        )
    lines += _table(["team", "sprint", "skill", "capacity", "load", "used"], rows, numeric={3, 4, 5})
    if not verbose and frame["skill"].notna().any():
        lines.append("  (--verbose adds a row per skill)")
    return lines


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    widths = [
        max(len(headers[i]), *(len(row[i]) for row in rows)) if rows else len(headers[i]) for i in range(len(headers))
    ]

    def line(cells: list[str]) -> str:
        return (
            "  "
            + "  ".join(
                cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(cells)
            ).rstrip()
        )

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "-") + _number(abs(value))


def _percent_of(part: float, whole: float) -> str:
    return f" ({part / whole:+.1%})" if whole > 0 else ""


def _gap(gap: float | None) -> str:
    return "unknown" if gap is None or not math.isfinite(gap) else f"{gap:.2%}"


def _utilisation(load: float, capacity: float) -> str:
    if capacity > 0:
        return f"{load / capacity:.0%}"
    return "-" if load == 0 else "over"


if __name__ == "__main__":
    sys.exit(main())

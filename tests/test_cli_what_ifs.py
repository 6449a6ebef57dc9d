"""``planner plan --what-ifs FILE``: one scenario, one number on the command line too.

The command line on the sample files with a scenario's what-ifs gives the plan the app makes for the
scenario at those what-ifs: the same value and the same items, team and sprint. The app's plan is
made here as the app makes it (``pages/_state``: ``_saved_what_ifs``, ``PlanJob.of``, ``PlanJob.solve``),
through the same library functions: what-ifs read back by ``apply_what_if``, turned into the plan's
inputs by ``plan_arguments``, the backlog by ``planning_backlog`` with the scenario's sprint treatment,
solved with the options of the scenario's plan (``SCENARIO_SOLVE``). The Export page offers the
what-ifs and the command, and the downloaded file gives the page's plan.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, keyed
from streamlit.testing.v1 import AppTest
from test_page_export import downloaded, media  # noqa: F401  (media: a fixture, used by name)

from pages._state import SCENARIO_SOLVE
from planner.capacity import compute_capacity
from planner.cli import main
from planner.ingest import import_settings, read_backlog, read_capacity
from planner.outputs import positions
from planner.planning_backlog import planning_backlog
from planner.scenarios import (
    ACCEPTED_PLAN_KEY,
    WHAT_IF_DEFAULTS,
    WHAT_IF_KEY,
    apply_what_if,
    plan_arguments,
    what_if_json,
    with_what_if,
)
from planner.solve import PlanResult, capacity_sprint_names, make_plan
from planner.sprint_values import SprintTreatment
from planner.store import Store

SAMPLE_BACKLOG = REPO / "data" / "sample_backlog.xlsx"
SAMPLE_CAPACITY = REPO / "data" / "sample_capacity.xlsx"
SAMPLE = ["plan", "--backlog", str(SAMPLE_BACKLOG), "--capacity", str(SAMPLE_CAPACITY)]


@pytest.fixture(scope="module")
def sample() -> tuple[Any, Any, dict[str, Any]]:
    """The sample as the app saves it: backlog table, capacity tables and the import settings (its value rule)."""
    backlog, capacity = read_backlog(SAMPLE_BACKLOG), read_capacity(SAMPLE_CAPACITY)
    return backlog.table, capacity.tables, import_settings(backlog, capacity)


def app_plan(sample: tuple[Any, Any, dict[str, Any]], saved: dict[str, Any]) -> PlanResult:
    """The plan the app makes for the sample with ``saved`` in its settings, at its saved what-ifs."""
    table, tables, imported = sample
    settings = {**imported, **saved}
    values = apply_what_if(settings) or dict(WHAT_IF_DEFAULTS)  # pages/_state._saved_what_ifs
    arguments = plan_arguments(values, settings)
    treatment = SprintTreatment.from_settings(capacity_sprint_names(tables), settings)  # pages/_state.sprint_treatment
    backlog = planning_backlog(table, arguments.value_rule, arguments.overrides, sprints=treatment)
    net = compute_capacity(tables, arguments.settings)
    options = dataclasses.replace(SCENARIO_SOLVE, previous=dict(arguments.previous) or None)
    return make_plan(backlog, net, options=options)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main([*SAMPLE, *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def write(folder: Path, data: object, name: str = "what-ifs.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def placed(selected: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    return {(row["id"], row["team"], row["sprint"]) for row in selected}


def same_plan(payload: dict[str, Any], result: PlanResult) -> None:
    assert result.status == "optimal" and payload["status"] == "optimal", (result.status, payload["status"])
    assert payload["objective"] == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
    assert placed(payload["selected"]) == {(a.id, a.team, a.sprint) for a in result.selected}


@pytest.fixture(scope="module")
def default_plan(sample) -> PlanResult:
    return app_plan(sample, {})


def pins_and_moscow(sample, default_plan: PlanResult) -> dict[str, Any]:
    """A pin out of the most valuable planned item, and Must for the smallest item left out for capacity."""
    table = sample[0]
    effort = dict(zip(table["id"], table["effort"]))
    top = max(default_plan.selected, key=lambda a: (a.value, a.id)).id
    waiting = min((e.id for e in default_plan.excluded if e.reason == "capacity"), key=lambda i: (effort[i], i))
    return {"version": 1, "overrides": {top: {"pin": "out", "moscow": None}, waiting: {"pin": None, "moscow": "Must"}}}


CASES = {
    "capacity 90 %": {"version": 1, "capacity_pct": 90},
    "a headcount change": {"version": 1, "headcount": {"pod-encounters": 2, "pod-platform": -1}},
    "team focus on (the slider's focus unused)": {"version": 1, "use_team_focus": True, "focus": 0.6},
    "one focus for every team": {"version": 1, "use_team_focus": False, "focus": 0.7},
    "a value rule": {"version": 1, "value_rule": "priority"},
    "the scenario's own value rule (settings)": {WHAT_IF_KEY: {"version": 1, "buffer_pct": 10}, "value_rule": "one"},
    "two sprints in points, buffer, on-call": {
        "version": 1,
        "sprints": 2,
        "unit": "points",
        "buffer_pct": 15,
        "oncall_load": 0.5,
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_gives_the_apps_plan_at_the_what_ifs(case, sample, tmp_path, capsys):
    data = CASES[case]
    saved = data if WHAT_IF_KEY in data else {WHAT_IF_KEY: data}
    code, payload, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, data)))
    assert code == 0, err
    same_plan(payload, app_plan(sample, saved))
    assert "note:" not in err  # nothing replaced


def test_pins_out_and_moscow_changes(sample, default_plan, tmp_path, capsys):
    data = pins_and_moscow(sample, default_plan)
    code, payload, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, data)))
    assert code == 0, err
    result = app_plan(sample, {WHAT_IF_KEY: data})
    same_plan(payload, result)
    [(out, _), (must, _)] = sorted(data["overrides"].items(), key=lambda kv: kv[1]["pin"] is None)
    planned = {row["id"] for row in payload["selected"]}
    assert out not in planned and must in planned
    assert payload["objective"] != pytest.approx(default_plan.objective)


def test_the_accepted_plan_is_kept_stable(sample, default_plan, tmp_path, capsys):
    accepted = {item: list(where) for item, where in sorted(positions(default_plan).items())}
    settings = {WHAT_IF_KEY: {"version": 1, "capacity_pct": 90}, ACCEPTED_PLAN_KEY: accepted, "value_rule": "wsjf"}
    code, payload, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, settings)))
    assert code == 0, err
    result = app_plan(sample, settings)
    same_plan(payload, result)
    assert result.changes is not None and payload["changes"] == result.as_json()["changes"]
    assert payload["free_objective"] == pytest.approx(result.free_objective)
    # --previous given beside it wins over the accepted plan (here: a few of its items), and says so.
    few = {**settings, ACCEPTED_PLAN_KEY: dict(list(accepted.items())[:3])}
    previous = write(tmp_path, {"selected": default_plan.as_json()["selected"]}, "plan.json")
    code, again, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, few)), "--previous", str(previous))
    assert code == 0, err
    same_plan(again, result)
    assert f"--previous {previous} replaces the plan kept stable in" in err


def test_the_export_pages_file_shape_round_trips(sample, default_plan, tmp_path, capsys):
    """What the Export page writes: what_if_json of session values, value rule, accepted plan, sprint treatment."""
    values = {
        **WHAT_IF_DEFAULTS,
        "planner_capacity_pct": 110,
        "planner_headcount": {"pod-scale": 1},
        "planner_value_rule": "wsjf",
        "planner_previous": positions(default_plan),
    }
    what_ifs = what_if_json(values)
    settings = {
        WHAT_IF_KEY: what_ifs,
        "value_rule": "wsjf",
        ACCEPTED_PLAN_KEY: what_ifs["previous"],
        "sprint_values": {"treatments": {}, "carry_over_moscow": "Must"},
    }
    code, payload, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, settings)))
    assert code == 0, err
    same_plan(payload, app_plan(sample, settings))


def test_capacity_flags_beside_the_what_ifs_win_and_say_so(sample, tmp_path, capsys):
    data = {"version": 1, "capacity_pct": 90, "value_rule": "priority"}
    file = write(tmp_path, data)
    code, payload, err = run_cli(capsys, "--what-ifs", str(file), "--sprints", "2", "--buffer", "0")
    assert code == 0, err
    same_plan(payload, app_plan(sample, {WHAT_IF_KEY: {**data, "sprints": 2}}))
    assert f"--sprints 2 replaces the what-if of {file} (1)" in err
    assert "--buffer" not in err  # the same as the what-if: nothing replaced


def test_the_report_names_the_value_rule_used(tmp_path, capsys):
    code = main([*SAMPLE, "--what-ifs", str(write(tmp_path, {"version": 1, "value_rule": "priority"}))])
    out = capsys.readouterr().out
    assert code == 0
    assert "Value rule: priority scale" in out


def test_out_workbook_summary_shows_the_what_ifs(tmp_path, capsys):
    import openpyxl

    file = write(tmp_path, {"version": 1, "capacity_pct": 90, "headcount": {"pod-scale": 1}})
    out = tmp_path / "plan.xlsx"
    assert main([*SAMPLE, "--what-ifs", str(file), "--out", str(out)]) == 0
    capsys.readouterr()
    rows = [row for row in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True) if row and row[0]]
    text = "\n".join(" ".join(str(cell) for cell in row if cell is not None) for row in rows)
    assert "what-ifs" in text and "capacity 90 %" in text and "pod-scale +1" in text


# --- bad files: exit 2, the message names the file (and the what-if) ------------------------------------------


BAD = {
    "missing": (None, "no such file"),
    "not JSON": ("{'sprints': 2", "not JSON"),
    "not an object": ("[1, 2]", "expected a JSON object"),
    "a what-if out of range": ({"version": 1, "capacity_pct": 300}, "'capacity %' cannot be used"),
    "a what-if of the wrong type": ({"version": 1, "sprints": "two"}, "'sprints' cannot be used"),
    "another version": ({"version": 7}, "version 7"),
    "what_if not an object": ({WHAT_IF_KEY: [1]}, "not a JSON object of what-ifs"),
    "an unusable accepted plan": ({WHAT_IF_KEY: {}, ACCEPTED_PLAN_KEY: {"X-1": "pod"}}, "'plan kept stable'"),
    "an unknown value rule": ({WHAT_IF_KEY: {}, "value_rule": "gut feeling"}, "'value rule' cannot be used"),
    "a bad sprint treatment": (
        {WHAT_IF_KEY: {}, "sprint_values": {"treatments": {"Care": "ignore"}}},
        "sprint treatments cannot be used",
    ),
    "a pin of an unknown item": (
        {"version": 1, "overrides": {"NOPE-1": {"pin": "in", "moscow": None}}},
        "'pins and MoSCoW changes' cannot be used on sample_backlog.xlsx: no backlog item has the id 'NOPE-1'",
    ),
    "a headcount of an unknown team": ({"version": 1, "headcount": {"pod-nobody": 1}}, "no team called 'pod-nobody'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_what_ifs_files_exit_2_naming_the_file(case, tmp_path, capsys):
    content, expected = BAD[case]
    path = tmp_path / "scenario what-ifs.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    code, payload, err = run_cli(capsys, "--what-ifs", str(path))
    assert code == 2, err
    assert payload["status"] == "error" and payload["selected"] == []
    assert f"--what-ifs {path}" in err, err
    assert expected in err and expected in payload["message"], err


def test_without_what_ifs_nothing_changes(capsys):
    """The flags alone plan as before: no note, the file's value rule."""
    code, payload, err = run_cli(capsys, "--sprints", "1")
    assert code == 0 and "note:" not in err and payload["status"] == "optimal"


# --- the Export page: the what-ifs to download and the command ------------------------------------------------


def test_export_page_offers_the_what_ifs_and_the_command(database, media, sample, tmp_path, capsys):  # noqa: F811
    """A scenario saved with what-ifs, opened on Export: the downloaded what-ifs.json and the command give its plan."""
    assert not AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run().exception  # saves the sample
    with Store(database) as store:
        [summary] = store.list()
        loaded = store.load(summary.id)
        values = {**WHAT_IF_DEFAULTS, "planner_capacity_pct": 90, "planner_headcount": {"pod-scale": 1}}
        scenario_id = store.duplicate(summary.id, "Ninety percent", settings=with_what_if(loaded.settings, values))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()  # a new session picks it
    keyed(at.selectbox, "planner_scenario_picker").set_value(scenario_id).run()
    at.switch_page("pages/export.py").run()
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download the plan (.xlsx)", "Download id, sprint, team (.csv)"]  # the section is closed
    assert "The same plan from the command line" in [expander.label for expander in at.expander]

    at.session_state["planner_export_cli"] = True  # the user opens it
    at.run()
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels[-1] == "Download the what-ifs (what-ifs.json)"
    [command] = [code.value for code in at.code if code.value.startswith("planner plan")]
    assert command == (
        "planner plan --backlog data/sample_backlog.xlsx --capacity data/sample_capacity.xlsx "
        "--what-ifs what-ifs.json --json"
    )
    assert not at.warning

    data = json.loads(downloaded(at, media, "planner_export_what_ifs"))
    assert data[WHAT_IF_KEY]["capacity_pct"] == 90 and data[WHAT_IF_KEY]["headcount"] == {"pod-scale": 1}
    assert data["value_rule"] == data[WHAT_IF_KEY]["value_rule"] == sample[2]["value_rule"]
    tracker = list(csv.DictReader(io.StringIO(downloaded(at, media, "planner_export_csv").decode("utf-8-sig"))))
    [line] = [m.value for m in at.markdown if "planned over" in m.value]
    page_value = float(line.split("value ")[1].split(" ")[0].replace(",", ""))

    code, payload, err = run_cli(capsys, "--what-ifs", str(write(tmp_path, data)))
    assert code == 0, err
    assert payload["objective"] == pytest.approx(page_value, abs=0.5)  # the page rounds
    assert {(row["id"], row["team"], row["sprint"]) for row in tracker} == placed(payload["selected"])
    same_plan(payload, app_plan(sample, data))


def test_export_what_ifs_hold_the_sessions_pins_and_say_balance_targets_are_not_taken(database, media):  # noqa: F811
    from planner.overrides import Override

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.session_state["planner_overrides"] = {"CARE-206": Override(pin="out"), "CARE-185": Override(moscow="Won't")}
    at.session_state["planner_balance"] = {"tech debt": 0.2}
    at.session_state["planner_export_cli"] = True
    at.switch_page("pages/export.py").run()
    assert not at.exception
    assert any("Balance targets are not what-ifs" in info.value for info in at.info)
    assert not at.warning
    data = json.loads(downloaded(at, media, "planner_export_what_ifs"))
    assert data[WHAT_IF_KEY]["overrides"] == {
        "CARE-206": {"pin": "out", "moscow": None},
        "CARE-185": {"pin": None, "moscow": "Won't"},
    }
    assert ACCEPTED_PLAN_KEY not in data and data[WHAT_IF_KEY]["previous"] == {}

"""The Capacity page (run headless with AppTest on a fresh database) and its waterfall arithmetic."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, open_page
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from planner.capacity import LEDGER_STEPS, CapacitySettings, capacity_table, compute_capacity, waterfall_rows
from planner.errors import PlannerError
from planner.ingest import read_capacity
from planner.markdown_escape import markdown_inert
from planner.sample import SAMPLE_CAPACITY
from planner.schema import CAPACITY_SHEETS, coerce_table
from planner.store import Store

PAGE = "pages/capacity.py"


# --- planner/waterfall.py ---------------------------------------------------------------------------


def ledger_of(team: str, sprint: str, days: list[float]) -> pd.DataFrame:
    kinds = ["total"] + ["change"] * (len(LEDGER_STEPS) - 2) + ["total"]
    return pd.DataFrame({"team": team, "sprint": sprint, "step": list(LEDGER_STEPS), "kind": kinds, "days": days})


def test_waterfall_bars_chain_from_gross_to_net():
    #                  gross holidays OOO on-call focus buffer cap% net
    ledger = pd.concat(
        [
            ledger_of("pod-a", "S1", [40.0, -4.0, -6.0, -2.0, -5.6, -2.24, 2.016, 22.176]),
            ledger_of("pod-b", "S1", [10.0, 0, 0, 0, 0, 0, 0, 10.0]),
        ]
    )
    bars = waterfall_rows(ledger, "pod-a", "S1")
    assert list(bars.columns) == ["step", "start", "end", "change", "kind"]
    assert list(bars["step"]) == list(LEDGER_STEPS)
    assert list(bars["kind"]) == ["total"] + ["change"] * 6 + ["total"]
    gross, net = bars.iloc[0], bars.iloc[-1]
    assert (gross["start"], gross["end"], gross["change"]) == (0.0, 40.0, 40.0)
    assert (net["start"], net["end"], net["change"]) == (0.0, 22.176, 22.176)
    changes = bars[bars["kind"] == "change"]
    # Each floating bar starts where the previous bar ended, and spans its change.
    assert np.allclose(changes["start"].to_numpy(), bars["end"].to_numpy()[:-2])
    assert np.allclose((changes["end"] - changes["start"]).to_numpy(), changes["change"].to_numpy())
    assert changes["end"].iloc[-1] == net["end"]  # the last change ends exactly at net
    assert changes.set_index("step").loc["capacity %", "change"] > 0  # a what-if can add days
    assert np.allclose(changes.set_index("step").loc["OOO", ["start", "end"]].to_numpy(), [36.0, 30.0])


def test_waterfall_of_a_missing_team_or_a_ledger_that_does_not_add_up_is_refused():
    ledger = ledger_of("pod-a", "S1", [40.0, -4.0, 0, 0, 0, 0, 0, 36.0])
    with pytest.raises(PlannerError, match="no rows"):
        waterfall_rows(ledger, "pod-z", "S1")
    with pytest.raises(PlannerError, match="no rows"):
        waterfall_rows(ledger, "pod-a", "S9")
    with pytest.raises(PlannerError, match="lacks the steps buffer"):
        waterfall_rows(ledger[ledger["step"] != "buffer"], "pod-a", "S1")
    with pytest.raises(PlannerError, match="does not add up"):
        waterfall_rows(ledger_of("pod-a", "S1", [40.0, -4.0, 0, 0, 0, 0, 0, 30.0]), "pod-a", "S1")


def test_waterfall_of_the_sample_ends_at_each_team_sprint_net_and_the_table_matches():
    tables = read_capacity(SAMPLE_CAPACITY).tables
    result = compute_capacity(tables, CapacitySettings(buffer=0.15, capacity_pct=1.1, unit="points"))
    table = capacity_table(result.team_sprint, result.ledger, result.unit)
    assert list(table.columns) == ["team", "sprint", "people", *LEDGER_STEPS, "net points"]
    assert len(table) == len(result.team_sprint) == 12
    for row in table.itertuples(index=False):
        bars = waterfall_rows(result.ledger, row.team, row.sprint)
        assert bars["end"].iloc[-1] == pytest.approx(row.net)
        assert bars["end"].iloc[-2] == pytest.approx(row.net)
        assert bars["end"].iloc[0] == pytest.approx(row.gross)
    assert np.allclose(table["net"], result.team_sprint["net_days"])
    assert np.allclose(table["gross"], result.team_sprint["gross_days"])
    assert np.allclose(table["net points"], result.team_sprint["net"])
    assert "net points" not in capacity_table(result.team_sprint, result.ledger, "days").columns


# --- the page ---------------------------------------------------------------------------------------


def capacity_page() -> AppTest:
    at = open_page(PAGE, timeout=60)
    assert [title.value for title in at.title] == ["Capacity"]
    return at


def net_table(at: AppTest) -> pd.DataFrame:
    """The team x sprint table as shown (the first table on the page)."""
    table = at.dataframe[0].value
    assert {"team", "sprint", "people", "gross", "net"} <= set(table.columns)
    return table.set_index(["team", "sprint"])


def chart_data(at: AppTest) -> pd.DataFrame:
    chart = at.get("vega_lite_chart")[0]
    (dataset,) = chart.proto.datasets
    spec = json.loads(chart.proto.spec)
    assert spec["facet"]["field"] == "sprint"
    return dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data)


def saved_scenario(database):
    store = Store(database)
    try:
        return store.load(store.list()[0].id)
    finally:
        store.close()


def seed_editor(at: AppTest, sheet: str, *, added=(), edited=None) -> None:
    """Edits as the data editor would send them (AppTest cannot type into an editor)."""
    (editor,) = [e for e in at.data_editor if e.key.startswith(f"planner_capacity_{sheet}_")]
    at.session_state[editor.key] = {"edited_rows": edited or {}, "added_rows": list(added), "deleted_rows": []}


def test_page_shows_waterfall_table_contention_and_editors(database):
    at = capacity_page()
    at.slider(key="planner_sprints_widget").set_value(3).run()
    at.button_group(key="planner_capacity_team").set_value("pod-platform").run()
    assert not at.exception
    table = net_table(at)
    assert len(table) == 12  # 4 teams x 3 sprints

    bars = chart_data(at)
    assert set(bars["sprint"]) == {"Sprint 27", "Sprint 28", "Sprint 29"}
    for sprint, one in bars.groupby("sprint"):
        one = one.set_index("step").loc[list(LEDGER_STEPS)]
        net = table.loc[("pod-platform", sprint), "net"]
        assert one.loc["net", "end"] == pytest.approx(net)
        assert one.loc["capacity %", "end"] == pytest.approx(net)
        assert one.loc["gross", "end"] == pytest.approx(table.loc[("pod-platform", sprint), "gross"])
        assert set(one["effect"]) <= {"total", "deduction", "addition", "no change"}
    assert (bars.loc[bars["effect"] == "deduction", "change"] < 0).all()

    # Contention: a flag column, and a warning line for each team over capacity.
    flags = [frame.value for frame in at.dataframe if "flag" in frame.value.columns]
    assert flags and set(flags[0]["flag"]) <= {"🔴 over", "🟠 tight", "🟢 ok"}
    over = flags[0][flags[0]["flag"] == "🔴 over"]["team"].tolist()
    assert "pod-platform" in over
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith("pod\\-platform\\: Must\\+Should needs") and "likely needs more bandwidth" in w for w in warnings
    )

    # Per skill, in an expander; and the two editors over the saved ranges.
    assert any({"skill", "max days", "dedicated days"} <= set(frame.value.columns) for frame in at.dataframe)
    editors = {e.key.split("_")[2]: e for e in at.data_editor}
    assert set(editors) == {"ooo", "oncall"}
    assert all(e.editing_mode == "dynamic" for e in editors.values())
    assert len(editors["ooo"].value) == 8 and len(editors["oncall"].value) == 6


def test_buffer_slider_lowers_net_capacity(database):
    at = capacity_page()
    before = net_table(at)["net"]
    at.slider(key="planner_buffer_pct_widget").set_value(20).run()
    assert not at.exception
    after = net_table(at)["net"]
    assert np.allclose(after, before * 0.8)
    assert (after < before).all()
    bars = chart_data(at).set_index("step")
    assert bars.loc["buffer", "change"] < 0
    assert bars.loc["net", "end"] == pytest.approx(after.iloc[0])


def test_adding_an_ooo_row_lowers_the_team_net_and_is_saved(database):
    at = capacity_page()
    before = net_table(at)["net"]
    saved_at = saved_scenario(database).updated_at
    seed_editor(at, "ooo", added=[{"name": "Maya Patel", "start": "2026-11-30", "end": "2026-12-11"}])
    at.run()
    at.button(key="planner_capacity_save").click().run()
    assert not at.exception
    assert not at.error
    # Said through the one message helper, which shows every message inert (escaped Markdown).
    assert markdown_inert("Saved 9 OOO and 6 on-call rows; capacity recomputed.") in [s.value for s in at.success]

    after = net_table(at)["net"]
    assert after[("pod-scale", "Sprint 27")] < before[("pod-scale", "Sprint 27")] - 4
    others = [key for key in before.index if key[0] != "pod-scale"]
    assert np.allclose(after[others], before[others])

    scenario = saved_scenario(database)
    assert scenario.updated_at > saved_at
    ooo = scenario.capacity.ooo
    assert len(ooo) == 9
    added = ooo.iloc[-1]
    assert (added["name"], added["start"], added["end"]) == (
        "Maya Patel",
        pd.Timestamp("2026-11-30"),
        pd.Timestamp("2026-12-11"),
    )
    assert list(ooo["source_row"].iloc[:8]) == list(range(2, 10))  # the file's rows keep their row numbers
    assert len(scenario.capacity.oncall) == 6
    # The editor now shows the saved rows, without the edit applied a second time.
    (editor,) = [e for e in at.data_editor if e.key.startswith("planner_capacity_ooo_")]
    assert len(editor.value) == 9


def test_a_row_ending_before_it_starts_or_naming_no_one_saves_nothing(database):
    at = capacity_page()
    before = saved_scenario(database)
    seed_editor(at, "ooo", added=[{"name": "Maya Patel", "start": "2026-12-11", "end": "2026-11-30"}])
    seed_editor(at, "oncall", edited={1: {"name": "Nobody Atall"}})
    at.run()
    at.button(key="planner_capacity_save").click().run()
    assert not at.exception
    # One message per row, in the capacity engine's own words, with the row as the editor numbers it.
    assert [e.value for e in at.error] == [
        "Nothing was saved. Fix these rows first:",
        markdown_inert(
            "OOO row 9: Maya Patel's out-of-office ends (2026-11-30) before it starts (2026-12-11): swap start and end"
        ),
        markdown_inert("On-call row 2: no one called 'Nobody Atall' in the people sheet: check the spelling"),
    ]
    after = saved_scenario(database)
    assert after.updated_at == before.updated_at
    assert after.capacity.ooo.equals(before.capacity.ooo)
    assert after.capacity.oncall.equals(before.capacity.oncall)


def test_capacity_that_cannot_be_computed_shows_the_problems_and_keeps_the_editors(database):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    scenario = saved_scenario(database)
    broken = pd.concat(
        [
            scenario.capacity.ooo,
            pd.DataFrame(
                {
                    "name": ["Maya Patel"],
                    "start": [pd.Timestamp("2026-12-10")],
                    "end": [pd.Timestamp("2026-12-01")],
                    "source_row": [10],
                }
            ),
        ],
        ignore_index=True,
    )
    store = Store(database)
    store.replace_tables(
        scenario.id, scenario.backlog, replace(scenario.capacity, ooo=coerce_table(broken, CAPACITY_SHEETS["ooo"]))
    )
    store.close()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["capacity\\: 1 problem to fix before capacity can be computed"]
    problems = at.dataframe[0].value
    assert {"severity", "sheet", "row", "message"} <= set(problems.columns)
    assert problems[["sheet", "row"]].values.tolist() == [["ooo", 10]]
    assert "before it starts" in problems["message"].iloc[0]
    assert not at.get("vega_lite_chart")
    # The editors stay, so the row can be put right here.
    assert {e.key.split("_")[2] for e in at.data_editor} == {"ooo", "oncall"}
    seed_editor(at, "ooo", edited={8: {"start": "2026-12-01", "end": "2026-12-10"}})
    at.run()
    at.button(key="planner_capacity_save").click().run()
    assert not at.exception and not at.error
    assert len(at.get("vega_lite_chart")) == 1
    fixed = saved_scenario(database).capacity.ooo.iloc[8]
    assert (fixed["start"], fixed["end"], fixed["source_row"]) == (
        pd.Timestamp("2026-12-01"),
        pd.Timestamp("2026-12-10"),
        10,
    )


# --- numbers as people read them; points without focus (issue 13) -------------------------------------

ARTEFACT = re.compile(r"\d\.\d{6,}")  # 5.600000000000001, 0.30000000000000004
PRINTF = re.compile(r"^%\.(\d+)f$")


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def shown_cells(element) -> list[str]:
    """A table's cells as the page displays them: numbers through their column's format."""
    config = json.loads(element.proto.columns) if element.proto.columns else {}
    frame = element.value
    cells: list[str] = []
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            cells += [str(value) for value in values]
            continue
        number_format = (config.get(str(column)) or {}).get("type_config", {}).get("format")
        printf = PRINTF.match(number_format or "")
        assert printf or number_format == "percent", f"float column {column!r} shown without a number format"
        decimals = int(printf.group(1)) if printf else 2
        scale = 100 if number_format == "percent" else 1
        cells += [f"{value * scale:.{decimals}f}" for value in values if np.isfinite(value)]
    return cells


def shown_text(at: AppTest) -> list[str]:
    """Every text the page shows: markdown, captions, alerts, metrics (values and help), widget labels,
    table cells as displayed and the waterfall's bar labels."""
    texts: list[str] = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or type(node).__name__ in ("Dataframe", "UnknownElement"):
            continue  # tables: their cells below; charts: their labels below
        texts.append(str(proto))
    for element in [*at.dataframe, *at.data_editor]:
        texts += shown_cells(element)
    texts += chart_data(at)["label"].astype(str).tolist()
    return texts


def test_page_shows_numbers_without_float_artefacts_in_days_and_points(database):
    at = capacity_page()
    at.slider(key="planner_sprints_widget").set_value(3).run()
    for unit, buffer in (("days", 15), ("points", 15), ("points", 35)):
        at.radio(key="planner_unit_widget").set_value(unit).run()
        at.slider(key="planner_buffer_pct_widget").set_value(buffer).run()
        at.slider(key="planner_capacity_pct_widget").set_value(115).run()
        assert not at.exception
        texts = shown_text(at)
        artefacts = [match.group() for text in texts for match in ARTEFACT.finditer(text)]
        assert artefacts == [], (unit, artefacts[:5])
        metrics = {metric.label: metric.value for metric in at.metric}
        assert re.fullmatch(r"[\d,]+(\.\d)?", metrics["Net days"])
        assert ("Net points" in metrics) == (unit == "points")


def test_points_ignore_the_focus_slider_and_show_a_zero_focus_bar(database):
    # Velocity is already net of focus (SPEC 2): in points neither the teams' focus factors nor the
    # slider change the net points; the waterfall's focus bar is 0. In days focus still counts.
    at = capacity_page()
    at.radio(key="planner_unit_widget").set_value("points").run()
    with_team_focus = net_table(at)["net points"]
    # In points the focus controls are disabled (they apply to days only); set them in days.
    assert at.toggle(key="planner_use_team_focus_widget").disabled
    assert at.slider(key="planner_focus_widget").disabled
    at.radio(key="planner_unit_widget").set_value("days").run()
    at.toggle(key="planner_use_team_focus_widget").set_value(False).run()
    at.slider(key="planner_focus_widget").set_value(0.5).run()
    at.radio(key="planner_unit_widget").set_value("points").run()
    assert not at.exception
    assert np.allclose(net_table(at)["net points"], with_team_focus)
    assert (net_table(at)["focus"] == 0).all()
    bars = chart_data(at).set_index("step")
    assert bars.loc["focus", "change"] == 0 and bars.loc["focus", "effect"] == "no change"
    # The sample's pod-scale, first sprint: 34 x 39.5 / 45 = 29.84 points (not 23.88).
    first = net_table(at).xs("pod-scale", level="team").iloc[0]
    assert first["net points"] == pytest.approx(34 * 39.5 / 45)
    at.radio(key="planner_unit_widget").set_value("days").run()
    assert (net_table(at)["focus"] < 0).all()  # days: the slider's 0.5 takes half

"""Where the time of one slider move goes: the Plan page's work for the bundled sample, step by step.

A slider move in the app reruns the Plan page: the capacity under the new what-ifs, the plan
(``make_plan`` with the app's options, in stable mode against the plan accepted first), then the
tables and charts the page draws. This script does the same work outside Streamlit, uncached, for a
series of Capacity % moves, and prints the time of each step (median and max over the moves), then a
profile of ``make_plan``'s phases for one move.

    python bench/bench_slider.py                 # 3 sprints, stable mode (the app's default)
    python bench/bench_slider.py --sprints 1
    python bench/bench_slider.py --free          # Free re-plan: no baseline
    python bench/bench_slider.py --profile 20    # also the 20 costliest functions of one make_plan
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import altair as alt

from planner.capacity import CapacitySettings, compute_capacity
from planner.outputs import (
    excluded_table,
    load_by_type,
    plan_table,
    positions,
    prices_table,
    value_by_initiative,
)
from planner.overrides import pin_table
from planner.planning_backlog import planning_backlog
from planner.sample import ensure_sample
from planner.solve import SolveOptions, capacity_sprint_names, make_plan
from planner.sprint_values import SprintTreatment
from planner.store import Store

# The app's options for a slider move (pages/_state.APP_SOLVE).
APP_SOLVE = SolveOptions(time_limit=3.0, gap=0.005, exact_thresholds=False)
QUICK_SOLVE = replace(APP_SOLVE, time_limit=0.3, solver="highs")  # pages/_state.QUICK_SOLVE
MOVES = (105, 110, 115, 120, 125, 120, 115, 110, 105, 100)  # Capacity %, one move at a time


def _chart_spec(load) -> dict:
    """The load chart as the page builds it, turned into its Vega-Lite spec (what Streamlit sends)."""
    return alt.Chart(load).mark_bar().encode(x="sprint:N", y="sum(effort):Q", color="type:N").to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sprints", type=int, default=3)
    parser.add_argument("--free", action="store_true", help="Free re-plan: plan with no regard for a baseline")
    parser.add_argument("--quick", action="store_true", help="The quick plan's options (pages/_state.QUICK_SOLVE)")
    parser.add_argument("--solver", choices=("cbc", "highs"), help="the full plan's solver (default: the app's)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "bench.duckdb") as store:
        scenario = store.load(ensure_sample(store) or store.list()[0].id)
        rule = scenario.settings.get("value_rule", "one")
        treatment = SprintTreatment(capacity_sprint_names(scenario.capacity))
        steps: dict[str, list[float]] = defaultdict(list)

        def timed(step: str, call, *arguments, **keywords):
            started = time.perf_counter()
            result = call(*arguments, **keywords)
            steps[step].append(time.perf_counter() - started)
            return result

        backlog = planning_backlog(scenario.backlog, rule, (), sprints=treatment)
        first = make_plan(
            backlog, compute_capacity(scenario.capacity, CapacitySettings(sprint_count=args.sprints)), options=APP_SOLVE
        )
        baseline = None if args.free else dict(positions(first))
        options = replace(APP_SOLVE, previous=baseline)
        if args.quick:
            options = replace(options, time_limit=QUICK_SOLVE.time_limit, solver=QUICK_SOLVE.solver)
        if args.solver:
            options = replace(options, solver=args.solver)
        statuses = []
        for percent in MOVES:
            move_started = time.perf_counter()
            settings = CapacitySettings(sprint_count=args.sprints, capacity_pct=percent / 100)
            planned_backlog = timed("planning backlog", planning_backlog, scenario.backlog, rule, (), sprints=treatment)
            net = timed("capacity", compute_capacity, scenario.capacity, settings)
            result = timed("make_plan", make_plan, planned_backlog, net, options=options)
            gap = "" if result.gap is None else f" (gap {result.gap:.2%})"
            changes = "" if result.changes is None else f", {result.changes.weight} changes"
            free = "" if result.free_changes is None else f" (the free plan: {result.free_changes.weight})"
            statuses.append(
                f"{percent}%: {result.status} {result.objective:,.0f}{gap}{changes}{free} in {result.seconds:.2f} s"
            )
            timed("plan table", plan_table, result, planned_backlog)
            timed("left-out table", excluded_table, result, planned_backlog)
            timed("prices table", prices_table, result)
            timed("pins table", pin_table, scenario.backlog, {})
            load = timed("load by type", load_by_type, result, planned_backlog)
            timed("value by initiative", value_by_initiative, result, planned_backlog)
            timed("load chart spec", _chart_spec, load)
            steps["whole move"].append(time.perf_counter() - move_started)

        print(f"Sample, {args.sprints} sprint(s), {'free re-plan' if args.free else 'stable mode'}, {len(MOVES)} moves")
        for line in statuses:
            print("  " + line)
        print(f"{'step':22} {'median s':>9} {'max s':>8}")
        for step, seconds in steps.items():
            print(f"{step:22} {statistics.median(seconds):9.3f} {max(seconds):8.3f}")

        if args.profile:
            settings = CapacitySettings(sprint_count=args.sprints, capacity_pct=1.15)
            net = compute_capacity(scenario.capacity, settings)
            profiler = cProfile.Profile()
            profiler.enable()
            make_plan(backlog, net, options=options)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()

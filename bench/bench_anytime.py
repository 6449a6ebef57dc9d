"""Anytime quality on the large case: the planner at short limits beside HiGHS, CP-SAT and CBC alone.

Run (from the repository root; not part of the test run; about 8 minutes for the defaults)::

    python bench/bench_anytime.py                          # seeds 1-3; the planner at 3 / 10 / 30 s, the others at 30 s
    python bench/bench_anytime.py --seeds 1 --limits 3     # one seed, one limit, the planner only
    python bench/bench_anytime.py --others 30 --json       # one JSON line per run

The instance is ``bench_solver.py``'s case 3 (2,000 items, 20 teams, 6 sprints, load 1.6) for each
seed. Each run reports the value found, the bound it proved itself and its gap; the last column is
the gap to the best bound any run proved on that seed (the fairest yardstick for a solver whose own
bound is weak). "Alone" means the whole model (``planner.solve.model.build_model``, value only, no
sprint-order bonus) handed to one solver with the time limit and nothing else: HiGHS through PuLP,
CBC through PuLP (wall-clock limit), CP-SAT (OR-Tools, two workers, when ``ortools`` is installed)
through the model read back from an MPS file. The planner is ``make_plan`` end to end (CBC path, gap
0.001), so its time includes reading the capacity, the sprint order and the reasons.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pulp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_solver import CASES, TODAY, generate, library_state

from planner.solve import make_plan
from planner.solve.model import SolveOptions, build_model, quiet_stdout
from planner.solve.plan import _net_capacity
from planner.solve.problem import PlanProblem, build_problem


def planner_run(data, limit: float) -> dict[str, object]:
    """``make_plan`` end to end at ``limit`` seconds (the CBC path, gap 0.001)."""
    started = time.perf_counter()
    result = make_plan(data.backlog, data.tables, data.settings, SolveOptions(time_limit=limit, gap=0.001), today=TODAY)
    return {
        "objective": result.objective,
        "bound": result.bound,
        "seconds": time.perf_counter() - started,
        "status": result.status,
    }


def _value_model(problem: PlanProblem, limit: float):
    return build_model(problem, SolveOptions(time_limit=limit, gap=0.001, earliness=0.0))


def _planned_value(model) -> float:
    values = {item.index: item.value for item in model.problem.items}
    return float(sum(values[index] for (index, _, _), var in model.x.items() if (var.varValue or 0) > 0.5))


def highs_alone(problem: PlanProblem, limit: float) -> dict[str, object]:
    """The whole model, HiGHS through PuLP, nothing else."""
    model = _value_model(problem, limit)
    started = time.perf_counter()
    with quiet_stdout():
        model.lp.solve(pulp.HiGHS(msg=False, timeLimit=limit, gapRel=0.001))
    bound = -float(model.lp.solverModel.getInfo().mip_dual_bound)
    return {"objective": _planned_value(model), "bound": bound, "seconds": time.perf_counter() - started}


def cbc_alone(problem: PlanProblem, limit: float) -> dict[str, object]:
    """The whole model, CBC through PuLP (wall-clock limit), nothing else; the bound from its log."""
    model = _value_model(problem, limit)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "cbc.log"
        cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=0.001, timeMode="elapsed", logPath=str(log))
        model.lp.solve(cbc)
        text = log.read_text(errors="replace")
    bound = None
    for line in text.splitlines():
        if line.startswith(("Upper bound:", "Lower bound:")):
            bound = float(line.split(":")[1])
    return {"objective": _planned_value(model), "bound": bound, "seconds": time.perf_counter() - started}


def cpsat_alone(problem: PlanProblem, limit: float) -> dict[str, object] | None:
    """The whole model, CP-SAT with two workers (read from an MPS file), nothing else; None without ortools."""
    try:
        from ortools.linear_solver.python import model_builder
    except ImportError:
        return None
    model = _value_model(problem, limit)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.mps"
        model.lp.writeMPS(str(path), with_objsense=True)
        builder = model_builder.ModelBuilder()
        builder.import_from_mps_file(str(path))
    solver = model_builder.ModelSolver("sat")
    solver.set_time_limit_in_seconds(limit)
    solver.set_solver_specific_parameters("num_workers:2")
    started = time.perf_counter()
    solver.solve(builder)
    seconds = time.perf_counter() - started
    values = {item.index: item.value for item in model.problem.items}
    by_name = {var.name: key for key, var in model.x.items()}
    objective = 0.0
    for position in range(builder.num_variables):
        variable = builder.var_from_index(position)
        key = by_name.get(variable.name)
        if key is not None and solver.value(variable) > 0.5:
            objective += values[key[0]]
    return {"objective": objective, "bound": abs(solver.best_objective_bound), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--limits", type=float, nargs="+", default=[3.0, 10.0, 30.0], help="the planner's limits")
    parser.add_argument("--others", type=float, nargs="*", default=[30.0], help="limits for HiGHS, CP-SAT, CBC alone")
    parser.add_argument("--json", action="store_true", help="one JSON line per run")
    args = parser.parse_args(argv)
    print(f"# {library_state()}", flush=True)
    case = CASES[3]
    for seed in args.seeds:
        data = generate(case, seed, case.load)
        problem = build_problem(data.backlog, _net_capacity(data.backlog, data.tables, data.settings, TODAY))
        runs: list[tuple[str, float, dict[str, object]]] = []
        for limit in args.limits:
            runs.append(("planner", limit, planner_run(data, limit)))
        for limit in args.others:
            runs.append(("highs alone", limit, highs_alone(problem, limit)))
            cpsat = cpsat_alone(problem, limit)
            if cpsat is not None:
                runs.append(("cp-sat alone (2 workers)", limit, cpsat))
            runs.append(("cbc alone", limit, cbc_alone(problem, limit)))
        best_bound = min(float(run["bound"]) for _, _, run in runs if run["bound"] is not None)
        for name, limit, run in runs:
            objective = float(run["objective"])
            bound = run["bound"]
            own_gap = None if bound is None else (float(bound) - objective) / float(bound)
            row = {
                "seed": seed,
                "run": name,
                "limit": limit,
                **run,
                "gap": own_gap,
                "gap_to_best_bound": (best_bound - objective) / best_bound,
            }
            if args.json:
                print(json.dumps(row), flush=True)
            else:
                gap = "-" if own_gap is None else f"{own_gap * 100:.2f} %"
                shown_bound = "-" if bound is None else f"{float(bound):,.1f}"
                print(
                    f"seed {seed} | {name:<24} | {limit:>4.0f} s | {run['seconds']:5.1f} s | "
                    f"{objective:9,.0f} | bound {shown_bound:>10} | gap {gap:>7} | "
                    f"to best bound {row['gap_to_best_bound'] * 100:.2f} %",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Solver benchmark: seeded synthetic backlogs and capacity workbooks, planned end to end and piece by piece.

Run (from the repository root; not part of the test run)::

    python bench/bench_solver.py                 # every case, cbc and (when installed) highs
    python bench/bench_solver.py --quick         # case 1 only
    python bench/bench_solver.py --case 3 --solver cbc
    python bench/bench_solver.py --case 1 --profile          # cProfile of build_model, top 15 cumulative
    python bench/bench_solver.py --case 3 --no-e2e --json    # pieces only, one JSON line per run

Cases (targets are the product's, the script only reports them):

1. 150 items, 4 teams, 3 sprints, 5 skills; gap 1e-4.                 Target: solve under 1 s.
2. 5,000 items, 20 teams, 1 sprint, 300 dependencies; gap 1e-4, 60 s.  Target: optimal under 5 s.
3. 2,000 items, 20 teams, 6 sprints; gap 0.01, 30 s.                   Target: within 1 % of the bound in 30 s.

For each case and solver the script times the pieces on their own (compute_capacity, build_problem,
rank_and_fill, the warm start make_plan picks (``planner.solve.search.best_start``), build_model (for
the model's size), the value-first search make_plan runs (``planner.solve.search.solve_for_value``:
part by part, or its own warm start and then team-by-team improvement beside the whole model), then
the LP-relaxation prices make_plan computes for its reasons), and then ``make_plan`` end to end,
which also orders the sprints and checks the plan. The first line names the library state measured
(git commit and a hash of planner/solve/model.py), since the model keeps changing.

The data: efforts 0.5-8 days (mostly 1-3), values 1-40 on a WSJF cost-of-delay scale loosely
growing with effort, ~10 % Must (small, single-skill, no dependency or deadline, and demoted to
Should past 30 % of what the team's people with that skill hold over the horizon, so always
feasible), ~3 % Won't, dependencies mostly within a team (always on an earlier row: no cycles), a
few deadlines, skills from backend/frontend/ios/design/data (80 % of items one skill, 20 % two),
people with one or two skills (70/30), teams of 5-8, two-week sprints of 10 working days, a few
OOO ranges, allocation mostly 1. Real backlogs are longer than a horizon: with ``load`` set, each
team's ``focus_factor`` (teams sheet) is scaled so that the backlog's effort is ``load`` times the
horizon's net capacity; the load actually reached is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pulp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.capacity import CapacitySettings, compute_capacity
from planner.schema import BACKLOG_COLUMNS, CapacityTables, coerce_table
from planner.solve import make_plan
from planner.solve.baseline import rank_and_fill
from planner.solve.explain import skill_prices
from planner.solve.model import SolveOptions, build_model
from planner.solve.problem import build_problem
from planner.solve.search import TimeBudget, best_start, solve_for_value
from planner.solve.verify import plan_violations

SKILLS = ("backend", "frontend", "ios", "design", "data")
SKILL_WEIGHTS = (0.34, 0.24, 0.14, 0.13, 0.15)
EFFORTS = (0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
EFFORT_WEIGHTS = (6, 18, 10, 18, 6, 14, 8, 8, 4, 3)  # mean 2.6 days, 70 % within 1-3
FIRST_MONDAY = date(2031, 1, 6)
TODAY = FIRST_MONDAY - timedelta(days=3)


@dataclass(frozen=True)
class Case:
    number: int
    items: int
    teams: int
    sprints: int
    dependencies: int
    gap: float
    time_limit: float
    target: str
    load: float | None  # backlog effort / net capacity of the horizon; None: as the people give it
    must_share: float = 0.10
    wont_share: float = 0.03
    deadline_share: float = 0.04
    two_skill_share: float = 0.20
    blank_team_share: float = 0.0


CASES = {
    1: Case(1, 150, 4, 3, 15, 1e-4, 30.0, "solve < 1 s", load=1.6),
    2: Case(2, 5_000, 20, 1, 300, 1e-4, 60.0, "optimal < 5 s", load=None),
    3: Case(3, 2_000, 20, 6, 200, 0.01, 30.0, "gap <= 1 % in 30 s", load=1.6),
}


# --- data -------------------------------------------------------------------------------------------


@dataclass
class Data:
    backlog: pd.DataFrame
    tables: CapacityTables
    settings: CapacitySettings
    facts: dict[str, object]


def _sprint_frame(count: int) -> pd.DataFrame:
    rows = []
    for n in range(count):
        start = FIRST_MONDAY + timedelta(days=14 * n)
        rows.append({"sprint": f"S{n + 1}", "start": start, "end": start + timedelta(days=11)})  # Mon..Fri+1w
    return pd.DataFrame(rows)


def _teams(rng: random.Random, case: Case) -> tuple[list[dict], list[dict], dict[str, dict[str, float]]]:
    """People rows, OOO rows, and per team the share of skill supply (what items of the team will need)."""
    people, ooo, supply = [], [], {}
    for t in range(case.teams):
        team = f"pod-{t + 1:02d}"
        # Each team leans on some skills: base weights times a lognormal tilt; a skill may be absent.
        tilt = [w * rng.lognormvariate(0, 0.8) for w in SKILL_WEIGHTS]
        share = {skill: 0.0 for skill in SKILLS}
        for p in range(rng.randint(5, 8)):
            first = rng.choices(SKILLS, tilt)[0]
            skills = [first]
            if rng.random() < 0.30:
                others = [(s, w) for s, w in zip(SKILLS, tilt) if s != first]
                second = rng.choices([s for s, _ in others], [w for _, w in others])[0]
                skills.append(second)
            allocation = rng.choices((1.0, 0.8, 0.5), (8, 1, 1))[0]
            name = f"{team}-p{p + 1}"
            people.append({"name": name, "team": team, "skills": ", ".join(skills), "allocation": allocation})
            for skill in skills:
                share[skill] += allocation / len(skills)
            if rng.random() < 0.15:
                start = FIRST_MONDAY + timedelta(days=rng.randrange(0, 14 * case.sprints))
                ooo.append({"name": name, "start": start, "end": start + timedelta(days=rng.randint(0, 6))})
        total = sum(share.values())
        supply[team] = {skill: value / total for skill, value in share.items() if value > 0}
    return people, ooo, supply


def _effort(rng: random.Random, skills: dict[str, float], two: bool) -> dict[str, float]:
    total = rng.choices(EFFORTS, EFFORT_WEIGHTS)[0]
    first = rng.choices(list(skills), list(skills.values()))[0]
    others = {s: w for s, w in skills.items() if s != first}
    if not two or not others or total < 1:
        return {first: float(total)}
    second = rng.choices(list(others), list(others.values()))[0]
    part = max(0.5, round(total * rng.uniform(0.2, 0.4) * 2) / 2)
    return {first: float(total - part), second: float(part)}


def generate(case: Case, seed: int, load: float | None) -> Data:
    """A seeded backlog and capacity workbook for ``case`` (same seed, same data)."""
    rng = random.Random(seed * 1000 + case.number)
    people, ooo, supply = _teams(rng, case)
    teams = sorted(supply)
    sprint_frame = _sprint_frame(case.sprints)
    sprint_ends = [pd.Timestamp(end) for end in sprint_frame["end"]]

    rows = []
    for i in range(case.items):
        team = teams[i % len(teams)] if rng.random() >= case.blank_team_share else None
        skills = supply[team] if team else supply[teams[0]]
        effort = _effort(rng, skills, rng.random() < case.two_skill_share)
        size = sum(effort.values())
        value = min(40, max(1, round(rng.lognormvariate(math.log(3 + 3 * size), 0.55))))
        rows.append(
            {
                "id": f"{(team or 'ANY').upper().replace('POD-', 'P')}-{i + 1}",
                "title": f"Item {i + 1}",
                "team": team,
                "effort": size,
                "value": float(value),
                "value_given": float(value),
                "moscow": rng.choices(["Should", "Could", None], (4, 4, 2))[0],
                "depends_on": None,
                "deadline": None,
                "done": False,
                "_effort": effort,
            }
        )

    # Won't
    for i in rng.sample(range(case.items), round(case.wont_share * case.items)):
        rows[i]["moscow"] = "Won't"
    # Capacity: focus factors scaled to reach ``load`` (backlog effort / net capacity of the horizon)
    team_frame = pd.DataFrame({"team": teams, "focus_factor": [round(rng.uniform(0.6, 0.8), 2) for _ in teams]})
    sheets = {"people": pd.DataFrame(people), "sprints": sprint_frame, "teams": team_frame}
    if ooo:
        sheets["ooo"] = pd.DataFrame(ooo)
    settings = CapacitySettings(sprint_count=case.sprints)
    tables = CapacityTables.from_frames(sheets)
    effort = sum(row["effort"] for row in rows if row["moscow"] != "Won't")
    net = compute_capacity(tables, settings, TODAY)
    if load is not None:
        scale = effort / (load * float(net.team_sprint["net"].sum()))
        team_frame["focus_factor"] = (team_frame["focus_factor"] * scale).clip(0.05, 1.0).round(3)
        sheets["teams"] = team_frame
        tables = CapacityTables.from_frames(sheets)
        net = compute_capacity(tables, settings, TODAY)
    net_days: dict[tuple[str, str], float] = {}  # (team, skill) -> horizon days (two-skill people split)
    for person in net.person_sprint.itertuples(index=False):
        skills = [s.strip() for s in str(person.skills).split(",")]
        for skill in skills:
            net_days[(person.team, skill)] = net_days.get((person.team, skill), 0.0) + float(person.net) / len(skills)
    # Must: small single-skill items, within a per team and skill budget (always feasible)
    must_used: dict[tuple[str, str], float] = {}
    wanted = round(case.must_share * case.items)
    musts = 0
    for i in rng.sample(range(case.items), case.items):
        if musts >= wanted:
            break
        row = rows[i]
        if row["moscow"] == "Won't" or row["team"] is None or len(row["_effort"]) != 1 or row["effort"] > 2:
            continue
        ((skill, days),) = row["_effort"].items()
        key = (row["team"], skill)
        if must_used.get(key, 0.0) + days > 0.30 * net_days.get(key, 0.0):
            continue
        must_used[key] = must_used.get(key, 0.0) + days
        row["moscow"] = "Must"
        musts += 1
    # Dependencies: on an earlier row (no cycles), 90 % within the team; never from a Must item
    by_team: dict[str | None, list[int]] = {}
    for i, row in enumerate(rows):
        by_team.setdefault(row["team"], []).append(i)
    pairs: set[tuple[int, int]] = set()
    attempts = 0
    while len(pairs) < case.dependencies and attempts < 100 * case.dependencies:
        attempts += 1
        i = rng.randrange(1, case.items)
        if rows[i]["moscow"] == "Must":
            continue
        same = [j for j in by_team[rows[i]["team"]] if j < i]
        pool = same if same and rng.random() < 0.9 else range(i)
        j = rng.choice(list(pool))
        pairs.add((i, j))
    for i, j in sorted(pairs):
        current = rows[i]["depends_on"]
        rows[i]["depends_on"] = rows[j]["id"] if current is None else f"{current}, {rows[j]['id']}"
    # Deadlines: the end of some sprint of the horizon, or a day or two after it
    for i in rng.sample(range(case.items), round(case.deadline_share * case.items)):
        if rows[i]["moscow"] != "Must":
            rows[i]["deadline"] = sprint_ends[rng.randrange(case.sprints)] + pd.Timedelta(days=rng.choice((0, 0, 1, 2)))

    frame = pd.DataFrame([{k: v for k, v in row.items() if k != "_effort"} for row in rows])
    for skill in SKILLS:
        frame[f"effort:{skill}"] = [row["_effort"].get(skill) for row in rows]
    backlog = coerce_table(frame, BACKLOG_COLUMNS)

    total = float(net.team_sprint["net"].sum())
    facts = {
        "items": case.items,
        "teams": len(teams),
        "people": len(people),
        "sprints": case.sprints,
        "must": int((frame["moscow"] == "Must").sum()),
        "wont": int((frame["moscow"] == "Won't").sum()),
        "dependencies": len(pairs),
        "deadlines": int(frame["deadline"].notna().sum()),
        "two_skill_items": sum(len(row["_effort"]) > 1 for row in rows),
        "effort_days": round(effort, 1),
        "net_capacity_days": round(total, 1),
        "load": round(effort / total, 2),
        "focus_factor": f"{team_frame['focus_factor'].min():.2f}-{team_frame['focus_factor'].max():.2f}",
    }
    return Data(backlog, tables, settings, facts)


# --- measuring ---------------------------------------------------------------------------------------


def _timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run_pieces(data: Data, options: SolveOptions) -> dict[str, object]:
    """Each step of make_plan on its own, timed, with model size and solution quality."""
    net, t_capacity = _timed(lambda: compute_capacity(data.tables, data.settings, TODAY))
    problem, t_problem = _timed(lambda: build_problem(data.backlog, net))
    baseline, t_baseline = _timed(lambda: rank_and_fill(problem))
    values = {item.index: item.value for item in problem.items}
    baseline_objective = sum(values[i] for i in baseline)
    baseline_valid = not plan_violations(problem, baseline)
    baseline_start = baseline if baseline_valid else None
    # The warm start, and a bound the warm-start step proves on its own.
    (start, start_bound), t_start = _timed(lambda: best_start(problem, options, baseline_start))
    start_objective = sum(values[i] for i in start) if start else None
    # The model's size, as the value-first search would build it from the warm start.
    model_options = replace(
        options,
        warm_start=start,
        earliness=0.0,
        stability=0.0,
        time_limit=max(options.time_limit - t_start, 1.0) * 0.85,
    )
    model, t_build = _timed(lambda: build_model(problem, model_options))
    variables, constraints = len(model.lp.variables()), model.lp.numConstraints()
    binaries = len(model.x)
    # The value-first search make_plan runs (part by part, else its own warm start and team-by-team
    # improvement beside the whole model), with the whole time limit as its deadline.
    solution, t_solve = _timed(
        lambda: solve_for_value(
            problem,
            replace(options, deadline=time.perf_counter() + options.time_limit),
            baseline_start,
            [],
            TimeBudget(),
        )
    )
    _, t_prices = _timed(lambda: skill_prices(problem, options))
    gain = (solution.objective - baseline_objective) / baseline_objective * 100 if baseline_objective else None
    bounds = [b for b in (solution.bound, start_bound) if b is not None]
    bound = min(bounds) if bounds else None
    gap = max(bound - solution.objective, 0.0) / max(abs(bound), 1e-9) if bound is not None else None
    return {
        "candidates": len(problem.items),
        "capacity_s": t_capacity,
        "problem_s": t_problem,
        "baseline_s": t_baseline,
        "start_s": t_start,
        "start_objective": start_objective,
        "start_bound": start_bound,
        "build_s": t_build,
        "solve_s": t_solve,
        "solver_s": solution.seconds,
        "prices_s": t_prices,
        "status": solution.status,
        "objective": solution.objective,
        "bound": bound,
        "gap": gap,
        "baseline_objective": baseline_objective,
        "baseline_valid": baseline_valid,
        "gain_pct": gain,
        "variables": variables,
        "binaries": binaries,
        "constraints": constraints,
        "message": solution.message,
    }


def run_end_to_end(data: Data, options: SolveOptions) -> dict[str, object]:
    result, seconds = _timed(lambda: make_plan(data.backlog, data.tables, data.settings, options, today=TODAY))
    gain = (result.gain_over_baseline / result.baseline_objective * 100) if result.baseline_objective else None
    return {
        "e2e_s": seconds,
        "e2e_status": result.status,
        "e2e_objective": result.objective,
        "e2e_bound": result.bound,
        "e2e_gap": result.gap,
        "e2e_baseline": result.baseline_objective,
        "e2e_gain_pct": gain,
        "e2e_selected": len(result.selected),
        "e2e_message": result.message,
    }


def profile_build(data: Data, options: SolveOptions, top: int = 15) -> str:
    """cProfile of build_problem and of build_model (each alone), top ``top`` by cumulative time."""
    net = compute_capacity(data.tables, data.settings, TODAY)
    out = io.StringIO()
    problem = _profiled("build_problem", lambda: build_problem(data.backlog, net), out, top)
    _profiled("build_model", lambda: build_model(problem, options), out, top)
    return out.getvalue()


def _profiled(name: str, action, out: io.StringIO, top: int):
    """``action()``, with its cProfile (top ``top`` by cumulative time) written to ``out`` under ``name``."""
    profiler = cProfile.Profile()
    profiler.enable()
    result = action()
    profiler.disable()
    out.write(f"--- {name} ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return result


def _fmt(value, spec: str = ".2f") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return format(value, spec)


def report(case: Case, solver: str, row: dict[str, object]) -> None:
    print(f"case {case.number} [{solver}] target: {case.target}")
    if "status" in row:
        print(
            f"  pieces: capacity {_fmt(row['capacity_s'])} s | build_problem {_fmt(row['problem_s'])} s | "
            f"rank_and_fill {_fmt(row['baseline_s'])} s | warm start {_fmt(row['start_s'])} s "
            f"(value {_fmt(row['start_objective'], '.0f')}"
            + (f", bound {_fmt(row['start_bound'], '.1f')}" if row.get("start_bound") is not None else "")
            + f") | build_model {_fmt(row['build_s'])} s | "
            f"value search {_fmt(row['solve_s'])} s | prices (LP) {_fmt(row['prices_s'])} s"
        )
        print(
            f"  model: {row['variables']:,} variables ({row['binaries']:,} binary), {row['constraints']:,} "
            f"constraints, {row['candidates']:,} candidate items"
        )
        print(
            f"  {row['status']}: objective {_fmt(row['objective'], '.1f')}, bound {_fmt(row['bound'], '.1f')}, "
            f"gap {_fmt(row['gap'] * 100 if row['gap'] is not None else None, '.3f')} %, baseline "
            f"{_fmt(row['baseline_objective'], '.1f')} (gain {_fmt(row['gain_pct'])} %)"
            + (f" -- {row['message']}" if row["message"] else "")
            + (
                " -- below its warm start (make_plan keeps the start)"
                if row["start_objective"] is not None and row["start_objective"] > row["objective"]
                else ""
            )
        )
    if "e2e_s" in row:
        print(
            f"  make_plan end to end: {_fmt(row['e2e_s'])} s, {row['e2e_status']}, objective "
            f"{_fmt(row['e2e_objective'], '.1f')}, bound {_fmt(row['e2e_bound'], '.1f')}, gap "
            f"{_fmt(row['e2e_gap'] * 100 if row['e2e_gap'] is not None else None, '.3f')} %, baseline "
            f"{_fmt(row['e2e_baseline'], '.1f')} (gain {_fmt(row['e2e_gain_pct'])} %), "
            f"{row['e2e_selected']} selected" + (f" -- {row['e2e_message']}" if row["e2e_message"] else "")
        )
    sys.stdout.flush()


def library_state() -> str:
    """Git commit (with + when the work tree differs) and a hash of planner/solve/model.py."""
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "planner"], cwd=root, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    model = hashlib.sha1((root / "planner" / "solve" / "model.py").read_bytes()).hexdigest()[:8]
    return f"library {commit}{'+' if dirty else ''}, model.py {model}, PuLP {pulp.__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=["1", "2", "3", "all"], default="all")
    parser.add_argument("--solver", choices=["cbc", "highs", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="case 1 only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, help="override the case's time limit (s)")
    parser.add_argument("--gap", type=float, help="override the case's relative gap")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--load", type=float, help="override the case's backlog/capacity load (0: as generated)")
    parser.add_argument("--no-pieces", action="store_true", help="skip the piece-by-piece run")
    parser.add_argument("--no-e2e", action="store_true", help="skip the make_plan run")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile build_problem and build_model (top 15 cumulative), no solve"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per case and solver")
    args = parser.parse_args(argv)

    numbers = [1] if args.quick else ([1, 2, 3] if args.case == "all" else [int(args.case)])
    solvers = ["cbc", "highs"] if args.solver == "all" else [args.solver]
    if "highs" in solvers and not pulp.HiGHS().available():
        print("highs: not installed, skipped", file=sys.stderr)
        solvers.remove("highs")

    if not args.json:
        print(library_state())
    for number in numbers:
        case = CASES[number]
        load = case.load if args.load is None else (args.load or None)
        data, t_generate = _timed(lambda case=case, load=load: generate(case, args.seed, load))
        if not args.json:
            print(f"case {number} (seed {args.seed}): {json.dumps(data.facts)} [generated in {t_generate:.1f} s]")
        for solver in solvers:
            options = SolveOptions(
                solver=solver,
                time_limit=args.time_limit or case.time_limit,
                gap=case.gap if args.gap is None else args.gap,
                threads=args.threads,
            )
            if args.profile:
                print(f"=== case {number}: profiles ===")
                print(profile_build(data, options))
                break
            row: dict[str, object] = {}
            if not args.no_pieces:
                row.update(run_pieces(data, options))
            if not args.no_e2e:
                row.update(run_end_to_end(data, options))
            if args.json:
                record = {"case": number, "seed": args.seed, "solver": solver, **data.facts, **row}
                print(json.dumps(record, default=str))
            else:
                report(case, solver, row)
    return 0


if __name__ == "__main__":
    sys.exit(main())

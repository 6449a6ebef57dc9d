"""Large-backlog benchmark: does ``--time-limit`` bound the whole command, and is the answer a plan?

Run (from the repository root; not part of the test run)::

    python bench/bench_limits.py                          # every case below, CLI and make_plan alone
    python bench/bench_limits.py --rows 20000 --time-limit 3 --sprints 3
    python bench/bench_limits.py --rows 200000 --time-limit 20 --no-cli
    python bench/bench_limits.py --rows 200000 --time-limit 20 --profile /tmp/p.prof   # cProfile of make_plan

The backlog (seeded, written as CSV): 20 teams of 5 people (8-10 days a sprint each), items with
effort 1-8 days and value 1-100, 5 % of items with no team (any team may take them), about 2 % of
items depending on an earlier item of their team, no Must items. Three two-week sprints in the
capacity files (people.csv, sprints.csv). The issue's cases (issue 11): 20,000 rows at 3 s (as the
app solves), 50,000 rows at the default 30 s, 200,000 rows at 20 s.

For each case it prints the CLI's wall time (a subprocess, so reading the files counts) with its
status and message, and ``make_plan`` alone (tables already read) with its phases' status.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.capacity import CapacitySettings, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.solve import (
    SolveOptions,
    make_plan,
)

CASES = ((20_000, 3.0), (50_000, 30.0), (200_000, 20.0))
SPRINTS = (("S1", "2026-01-05", "2026-01-16"), ("S2", "2026-01-19", "2026-01-30"), ("S3", "2026-02-02", "2026-02-13"))


def write_case(
    folder: Path,
    rows: int,
    seed: int = 1,
    teams: int = 20,
    people: int = 5,
    blank_team_share: float = 0.05,
    dependency_share: float = 0.02,
) -> tuple[Path, Path]:
    """A seeded backlog CSV and a capacity folder (people.csv, sprints.csv) in ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"team-{t + 1:02d}" for t in range(teams)]
    last_of_team: dict[str, list[str]] = {name: [] for name in names}
    backlog = folder / f"backlog_{rows}.csv"
    with backlog.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "team", "effort", "value", "depends_on"])
        for n in range(rows):
            team = "" if rng.random() < blank_team_share else rng.choice(names)
            depends = ""
            if team and last_of_team[team] and rng.random() < dependency_share:
                depends = rng.choice(last_of_team[team][-50:])
            item_id = f"IT-{n + 1}"
            if team:
                last_of_team[team].append(item_id)
            writer.writerow([item_id, f"Item {n + 1}", team, rng.randint(1, 8), rng.randint(1, 100), depends])
    capacity = folder / "capacity"
    capacity.mkdir(exist_ok=True)
    with (capacity / "people.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "team", "days_per_sprint"])
        for name in names:
            for p in range(people):
                writer.writerow([f"{name}-p{p + 1}", name, rng.choice((8, 9, 10))])
    with (capacity / "sprints.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sprint", "start", "end"])
        writer.writerows(SPRINTS)
    return backlog, capacity


def run_cli(backlog: Path, capacity: Path, time_limit: float, sprints: int) -> dict[str, object]:
    """The command in a subprocess, timed from outside (reading the files counts)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "plan",
            "--backlog",
            str(backlog),
            "--capacity",
            str(capacity),
            "--sprints",
            str(sprints),
            "--time-limit",
            str(time_limit),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    seconds = time.perf_counter() - started
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        payload = {"status": "?", "message": done.stderr[-300:]}
    return {
        "cli_s": round(seconds, 2),
        "exit": done.returncode,
        "status": payload.get("status"),
        "objective": payload.get("objective"),
        "gap": payload.get("gap"),
        "baseline": payload.get("baseline_objective"),
        "message": payload.get("message"),
    }


def run_library(
    backlog: Path, capacity: Path, time_limit: float, sprints: int, profile: str | None = None
) -> dict[str, object]:
    """Read the files (timed apart), then make_plan alone with the limit as its budget."""
    started = time.perf_counter()
    table = read_backlog(backlog).table
    tables = read_capacity(sorted(capacity.iterdir())).tables
    net = compute_capacity(tables, CapacitySettings(sprint_count=sprints))
    read_s = time.perf_counter() - started
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = make_plan(table, net, options=SolveOptions(time_limit=time_limit))
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = time.perf_counter() - started
    planned = {a.id for a in result.selected}
    out = {e.id for e in result.excluded}
    return {
        "read_s": round(read_s, 2),
        "make_plan_s": round(seconds, 2),
        "status": result.status,
        "objective": result.objective,
        "gap": result.gap,
        "baseline": result.baseline_objective,
        "every_item_once": len(planned) + len(out) == len(table) and not planned & out,
        "message": result.message,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="one case of this many rows (default: the issue's cases)")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--sprints", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blank-share", type=float, default=0.05, help="share of items with no team")
    parser.add_argument("--folder", default="/tmp/bench_limits")
    parser.add_argument("--no-cli", action="store_true", help="make_plan alone")
    parser.add_argument("--no-library", action="store_true", help="the CLI alone")
    parser.add_argument("--profile", help="write a cProfile of make_plan here")
    args = parser.parse_args(argv)
    cases = [(args.rows, args.time_limit)] if args.rows else list(CASES)
    for rows, limit in cases:
        backlog, capacity = write_case(Path(args.folder), rows, args.seed, blank_team_share=args.blank_share)
        size = backlog.stat().st_size / 1e6
        print(f"{rows:,} rows ({size:.1f} MB), {args.sprints} sprints, --time-limit {limit:g}")
        if not args.no_cli:
            print("  CLI      ", json.dumps(run_cli(backlog, capacity, limit, args.sprints)))
        if not args.no_library:
            print("  make_plan", json.dumps(run_library(backlog, capacity, limit, args.sprints, args.profile)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

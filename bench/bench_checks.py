"""Refinement-check speed: every check on the real Jira exports and on the sample backlog with its capacity.

Run: ``python bench/bench_checks.py``. Prints seconds per check and for ``run_checks`` as a whole, and how
many findings each made; not part of the test run. The real exports (the 1,680-item Mesos one is the
one that counts: the duplicate-title check is the slow one there) are read from ``../shared/real-backlogs``
when they are there; the sample has a capacity, so the checks that need one (oversized per team,
overdue against the sprints, contention, reassign) are timed too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd

from planner.capacity import CapacityResult, compute_capacity
from planner.ingest import read_backlog, read_capacity
from planner.refine import CHECKS, CheckSettings, Finding, run_checks

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "real-backlogs"
SAMPLE_DAY = date(2026, 11, 24)  # the sample's export date, just before Sprint 27


def timed(action: Callable[[], list[Finding]], repeat: int = 3) -> tuple[float, list[Finding]]:
    """Median seconds of ``repeat`` runs, and the last run's findings."""
    times, result = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def report(label: str, backlog: pd.DataFrame, capacity: CapacityResult | None, settings: CheckSettings) -> None:
    print(f"{label}: {len(backlog):,} items, {'with' if capacity is not None else 'no'} capacity")
    for name in CHECKS:
        seconds, findings = timed(partial(run_checks, backlog, capacity, settings, only=[name]))
        print(f"  {name:<12} {seconds:7.3f} s  {len(findings):5d} findings")
    seconds, findings = timed(lambda: run_checks(backlog, capacity, settings))
    print(f"  {'run_checks':<12} {seconds:7.3f} s  {len(findings):5d} findings")


def main() -> None:
    for name in ("mesos.csv", "jirasoftware.csv"):
        path = SHARED / name
        if path.exists():
            report(name, read_backlog(path).table, None, CheckSettings())
        else:
            print(f"{name}: not found in {SHARED}, skipped")
    backlog = read_backlog(ROOT / "data" / "sample_backlog.xlsx").table
    capacity = compute_capacity(read_capacity(ROOT / "data" / "sample_capacity.xlsx").tables, today=SAMPLE_DAY)
    report("sample backlog", backlog, capacity, CheckSettings(today=SAMPLE_DAY))


if __name__ == "__main__":
    main()

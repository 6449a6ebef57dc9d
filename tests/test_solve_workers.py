"""Solves in worker processes: a real plan comes back, an overrun is killed with its children, errors are named."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from plan_fixtures import random_instance

from planner.capacity import CapacitySettings, compute_capacity
from planner.errors import PlannerError, SolveFailed, SolveOverran, SolveWithdrawn
from planner.solve import SolveOptions, make_plan, plan_from_json
from planner.solve.workers import SolveWorkers, planned_json


@pytest.fixture(scope="module")
def workers():
    pool = SolveWorkers(workers=1, margin_seconds=1.0)
    yield pool
    pool.shutdown()


def test_a_plan_made_in_a_worker_is_the_plan_made_here(workers):
    frame, tables = random_instance(60, 3)
    net = compute_capacity(tables, CapacitySettings(sprint_count=2), date(2026, 1, 1))
    options = SolveOptions(time_limit=20, gap=0)
    here = make_plan(frame, net, options=options)
    there = plan_from_json(workers.run(planned_json, (frame, net, options), time_limit=20))
    assert there.status == here.status == "optimal"
    assert there.objective == here.objective


def test_a_solve_past_its_hard_deadline_is_killed_with_the_processes_it_started(workers):
    marker = "61.2345"  # a sleep only this test starts
    started = time.perf_counter()
    with pytest.raises(SolveOverran, match="ran past its 1 s limit"):
        workers.run(subprocess.run, (["sleep", marker],), time_limit=1.0)
    assert time.perf_counter() - started < 6  # 1 s limit + 1 s margin, and the kill
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()
    assert left == []  # the worker's child went with it
    assert workers.run(int, ("42",), time_limit=5) == 42  # a new worker took its place


def test_a_solve_stopped_by_another_thread_ends_at_once_with_the_processes_it_started(workers):
    marker = "62.3456"  # a sleep only this test starts
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.perf_counter()
    with pytest.raises(SolveWithdrawn, match="withdrawn"):
        workers.run(subprocess.run, (["sleep", marker],), time_limit=60.0, stop=stop)
    assert time.perf_counter() - started < 3  # not the 60 s limit
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()
    assert left == []
    assert workers.run(int, ("42",), time_limit=5, stop=threading.Event()) == 42  # a new worker, and an answer


def _process_age(pid: int) -> float:
    """Seconds since process ``pid`` started (Linux: its start time in /proc against the uptime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat; the split starts at field 3
    return float(Path("/proc/uptime").read_text().split()[0]) - started


def test_a_stopped_worker_is_replaced_at_once_so_the_next_solve_does_not_wait_for_it_to_load():
    # Plans made ahead are stopped whenever somebody asks for a plan: the next one must not wait
    # the second or so a new worker takes to load Python and the planner.
    pool = SolveWorkers(workers=1, margin_seconds=1.0)
    try:
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        with pytest.raises(SolveWithdrawn):
            pool.run(time.sleep, (30,), time_limit=60.0, stop=stop)
        time.sleep(4.0)
        successor = pool.run(os.getpid, (), time_limit=10)
        assert _process_age(successor) > 3.5  # started when its predecessor was stopped, not when asked
    finally:
        pool.shutdown()


def test_errors_in_a_worker_come_back_as_planner_errors(workers):
    frame, tables = random_instance(10, 2)
    frame["sprint"] = frame["sprint"].astype(object)
    frame.loc[0, ["moscow", "sprint"]] = ["Must", "Sprint 99"]
    with pytest.raises(PlannerError, match="pinned to sprint 'Sprint 99'"):  # the planner's own message
        workers.run(make_plan, (frame, tables), time_limit=5)
    with pytest.raises(SolveFailed, match="ValueError"):  # anything else is named
        workers.run(int, ("not a number",), time_limit=5)
    assert workers.run(int, ("7",), time_limit=5) == 7  # and the worker lives on


def test_a_session_reruns_at_once_while_a_long_solve_runs_in_a_worker(database, workers):
    # The rule: another session's rerun during a solve stays under 1 s. The solve (2,000
    # items over 3 sprints, 8 s) runs in a worker process, so it holds neither a thread of the
    # server nor its interpreter lock.
    import threading

    from conftest import open_page

    at = open_page("pages/plan.py")
    frame, tables = random_instance(2000, 12)
    net = compute_capacity(tables, CapacitySettings(sprint_count=3), date(2026, 1, 1))
    options = SolveOptions(time_limit=8, gap=0)
    solving = threading.Thread(target=workers.run, args=(planned_json, (frame, net, options), 8))
    solving.start()
    try:
        time.sleep(1.0)  # the solve is under way
        assert solving.is_alive()
        started = time.perf_counter()
        at.run()
        assert not at.exception
        assert time.perf_counter() - started < 1.0
    finally:
        solving.join(30)


def test_workers_run_at_the_niceness_asked_for():
    here = os.nice(0)
    niced = SolveWorkers(workers=1, niceness=5)
    try:
        assert niced.run(os.nice, (0,), time_limit=10) == min(here + 5, 19)
    finally:
        niced.shutdown()
    assert os.nice(0) == here  # the server's own niceness is untouched


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class only")
def test_idle_only_workers_run_in_the_idle_scheduling_class_and_others_do_not():
    """Work nobody asked for yet runs only on CPU nothing else wants (a niceness alone still takes a share)."""
    idle, normal = SolveWorkers(workers=1, niceness=19, idle_only=True), SolveWorkers(workers=1)
    try:
        assert idle.run(os.sched_getscheduler, (0,), time_limit=10) == os.SCHED_IDLE
        assert normal.run(os.sched_getscheduler, (0,), time_limit=10) == os.SCHED_OTHER
    finally:
        idle.shutdown()
        normal.shutdown()
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the server's own class is untouched

"""The queue of full solves behind the app's quick plans: shared by key, superseded asks withdrawn."""

from __future__ import annotations

import threading

import pytest

from planner.solve import BackgroundSolves


@pytest.fixture
def solves():
    queue: BackgroundSolves[str] = BackgroundSolves(workers=1)
    yield queue
    queue.shutdown()


def _blocker(solves: BackgroundSolves[str]) -> threading.Event:
    """Occupy the queue's one worker until the event returned is set."""
    release, started = threading.Event(), threading.Event()

    def busy() -> str:
        started.set()
        release.wait(10)
        return "busy"

    solves.submit("busy", busy)
    assert started.wait(10)
    return release


def test_two_asks_for_the_same_plan_share_one_solve(solves):
    calls: list[str] = []
    release = _blocker(solves)
    first = solves.submit("plan", lambda: calls.append("solved") or "plan")
    second = solves.submit("plan", lambda: calls.append("solved again") or "other")
    assert first is second
    release.set()
    assert first.result(10) == "plan"
    assert calls == ["solved"]
    assert solves.pending("plan") is None  # done and kept by its caller: forgotten


def test_a_newer_ask_withdraws_the_same_callers_solve_that_has_not_started(solves):
    release = _blocker(solves)
    older = solves.submit("105 %", lambda: "105 %")
    newer = solves.submit("110 %", lambda: "110 %", replaces="105 %")
    assert older.cancelled()
    assert solves.pending("105 %") is None
    release.set()
    assert newer.result(10) == "110 %"


def test_a_solve_already_running_is_not_withdrawn(solves):
    release = _blocker(solves)
    later = solves.submit("later", lambda: "later", replaces="busy")
    running = solves.pending("busy")
    assert running is not None and not running.cancelled()
    release.set()
    assert running.result(10) == "busy" and later.result(10) == "later"


def test_a_failed_solve_is_kept_to_be_reported_and_asking_again_runs_it_again(solves):
    def fails() -> str:
        raise RuntimeError("solver crashed")

    failed = solves.submit("plan", fails)
    with pytest.raises(RuntimeError):
        failed.result(10)
    reported = solves.pending("plan")
    assert reported is failed and isinstance(reported.exception(), RuntimeError)
    again = solves.submit("plan", lambda: "plan")
    assert again is not failed and again.result(10) == "plan"


def test_solver_banners_kept_off_stdout_by_overlapping_solves_leave_stdout_as_it_was():
    """Two solves in two threads, overlapping: stdout is /dev/null while either runs, then the same file again."""
    import os

    from planner.solve.model import quiet_stdout

    def identity() -> tuple[int, int]:
        stat = os.fstat(1)
        return stat.st_dev, stat.st_ino

    import time

    devnull = os.stat(os.devnull)
    # A solve another test left running in this process (HiGHS in a queue thread) may hold stdout
    # quiet for a moment: start from stdout as it is when nothing holds it.
    deadline = time.monotonic() + 30
    while identity() == (devnull.st_dev, devnull.st_ino):
        assert time.monotonic() < deadline, "stdout stayed on /dev/null with no solve of this test running"
        time.sleep(0.05)
    before = identity()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int]] = []

    def first() -> None:
        with quiet_stdout():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with quiet_stdout():
            second_in.set()
            first_out.wait(10)
            seen.append(identity())  # the first has left: still quiet for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [(devnull.st_dev, devnull.st_ino)]
    deadline = time.monotonic() + 30  # (another test's solve may still hold it a moment)
    while identity() != before:
        assert time.monotonic() < deadline, "stdout was left on /dev/null"
        time.sleep(0.05)


def test_work_nobody_waits_for_runs_only_when_the_queue_is_idle(solves):
    release = _blocker(solves)
    assert solves.submit_when_idle("ahead", lambda: "ahead") is None  # a solve runs: not queued behind it
    assert solves.pending("ahead") is None
    release.set()
    assert solves.pending("busy") is None or solves.pending("busy").result(10) == "busy"
    ahead = solves.submit_when_idle("ahead", lambda: "ahead")
    assert ahead is not None and ahead.result(10) == "ahead"


def test_work_nobody_waits_for_runs_once_the_queue_is_idle(solves):
    done = threading.Event()
    release = _blocker(solves)
    assert solves.submit_when_idle("ahead", lambda: done.set() or "ahead") is None  # kept for later
    assert not done.wait(0.3)  # not while the solve someone asked for runs
    release.set()
    assert done.wait(10)  # then, without being asked again


def test_work_planned_ahead_and_not_started_is_withdrawn_for_its_caller_to_do(solves):
    ran: list[str] = []
    release = _blocker(solves)
    queued = solves.submit("queued", lambda: ran.append("queued") or "queued")  # in the pool, behind
    assert solves.submit_when_idle("ahead", lambda: ran.append("ahead") or "ahead") is None  # kept for idle
    assert solves.withdraw("queued") is None
    assert queued.cancelled() and solves.pending("queued") is None
    assert solves.withdraw("ahead") is None
    release.set()
    # The worker runs the finished solve's callbacks (where idle work is started) before its next
    # solve: once a second probe is done, anything started then has run before it.
    assert solves.submit("probe", lambda: "probe").result(10) == "probe"
    assert solves.submit("probe 2", lambda: "probe 2").result(10) == "probe 2"
    assert ran == []


def test_a_running_solve_is_not_withdrawn_but_returned_to_wait_for(solves):
    release = _blocker(solves)
    running = solves.withdraw("busy")
    assert running is not None and not running.cancelled()
    release.set()
    assert running.result(10) == "busy"
    assert solves.withdraw("never asked") is None


def _idle_blocker(solves: BackgroundSolves[str], key: str = "ahead") -> tuple[threading.Event, threading.Event]:
    """Start work nobody asked for that runs until released or stopped: (release, stopped)."""
    release, started, stopped = threading.Event(), threading.Event(), threading.Event()

    def ahead() -> str:
        started.set()
        while not (release.is_set() or stopped.is_set()):
            stopped.wait(0.01)
        if stopped.is_set():
            raise RuntimeError("stopped")
        return key

    assert solves.submit_when_idle(key, ahead, stop=stopped.set) is not None
    assert started.wait(10)
    return release, stopped


def test_work_nobody_waits_for_is_stopped_for_a_solve_somebody_asks_for(solves):
    # A full plan made ahead takes seconds: a plan somebody asks for must not wait behind it.
    _, stopped = _idle_blocker(solves)
    asked = solves.submit("asked", lambda: "asked")
    assert asked.result(10) == "asked"
    assert stopped.is_set()
    assert solves.pending("ahead") is None  # stopped work nobody asked for is not reported as failed


def test_a_solve_asked_for_while_the_same_one_runs_ahead_joins_it(solves):
    release, stopped = _idle_blocker(solves, "plan")
    joined = solves.submit("plan", lambda: "solved again")
    assert not stopped.is_set()  # the very solve asked for: kept going
    asked = solves.submit("other", lambda: "other")  # and no longer work that gives way
    release.set()
    assert joined.result(10) == "plan" and asked.result(10) == "other"
    assert not stopped.is_set()


def test_work_nobody_waits_for_runs_one_at_a_time_lowest_rank_first_then_the_newest(solves):
    # A room moving a slider step by step: the plans around where it is now (the newest asks) come
    # before those around where it was, and quick plans (rank 0) before full ones (rank 1).
    ran: list[str] = []
    release, _ = _idle_blocker(solves)
    asks = [
        ("full, old position", 1),
        ("quick, old position", 0),
        ("full, new position", 1),
        ("quick, new position", 0),
    ]
    for name, rank in asks:
        assert solves.submit_when_idle(name, lambda name=name: ran.append(name) or name, rank=rank) is None
    release.set()
    pause = threading.Event()
    for _ in range(200):
        if len(ran) == 4:
            break
        pause.wait(0.05)
    assert ran == ["quick, new position", "quick, old position", "full, new position", "full, old position"]


def test_work_nobody_asked_for_is_withdrawn_when_the_room_moves_on(solves):
    # Planned around a position the room has left: not started, dropped; running, stopped; asked
    # for by somebody since, left alone.
    ran: list[str] = []
    _, stopped = _idle_blocker(solves, "old position, running")
    assert solves.submit_when_idle("old position, waiting", lambda: ran.append("old") or "old") is None
    solves.withdraw_unasked(["old position, running", "old position, waiting", "never asked"])
    assert stopped.is_set()
    assert solves.submit("probe", lambda: "probe").result(10) == "probe"
    assert solves.submit("probe 2", lambda: "probe 2").result(10) == "probe 2"
    assert ran == []


def test_work_ahead_somebody_joined_is_not_withdrawn(solves):
    release, stopped = _idle_blocker(solves, "plan")
    joined = solves.submit("plan", lambda: "solved again")
    solves.withdraw_unasked(["plan"])
    assert not stopped.is_set()
    release.set()
    assert joined.result(10) == "plan"

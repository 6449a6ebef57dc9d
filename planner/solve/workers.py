"""Solves in worker processes with a hard deadline: a solve that overruns is killed, not waited for.

A solve's own time limit is honoured by the solvers, but a server shared by many sessions must not
depend on that: a solver that ignores its limit, a model that takes longer to build than foreseen,
or a bug would hold a thread (and, for Python work, the interpreter's lock every session's rerun
needs) for as long as it runs. Here each solve runs in one of a bounded number of worker processes;
past its hard deadline (its time limit plus a margin) the worker is killed with everything it
started (CBC runs as a process of its own: the worker leads a process group, killed as one), a new
worker takes its place, and the caller gets :class:`~planner.errors.SolveOverran`, a
:class:`~planner.errors.PlannerError` whose message says what happened.

Workers are processes of their own (:func:`serve`), started before they are
needed (:meth:`SolveWorkers.warm`) and kept while busy; one idle for two minutes ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pandas as pd

from planner.capacity import CapacityResult
from planner.errors import PlannerError, SolveFailed, SolveOverran, SolveWithdrawn
from planner.schema import CapacityTables
from planner.solve.model import SolveOptions
from planner.solve.plan import make_plan
from planner.solve.plan_record import plan_to_json

__all__ = ["SolveWorkers", "planned_json"]


def planned_json(backlog: pd.DataFrame, capacity: CapacityTables | CapacityResult, options: SolveOptions) -> str:
    """``make_plan(backlog, capacity, options=options)`` as it is kept (:func:`plan_to_json`): a worker's job.

    The deadline is the worker's own (``options.time_limit`` from the start of the call): a
    parent's clock reading means nothing in another process.
    """
    return plan_to_json(make_plan(backlog, capacity, options=replace(options, deadline=None)))


def _serve(connection: Connection, idle_seconds: float) -> None:
    """A worker's loop: run each (function, arguments) received, send back ("ok", result) or ("error", text).

    A worker idle for ``idle_seconds`` ends (the pool starts another when needed): a server that
    stopped planning, or a pool nobody holds any more, leaves no process behind.
    """
    while True:
        try:
            if not connection.poll(idle_seconds):
                return
            function, arguments = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", function(*arguments)))
        except PlannerError as error:
            connection.send(("planner-error", str(error)))
        except Exception as error:  # reported to the caller, whatever it is: the worker lives on
            connection.send(("error", f"{type(error).__name__}: {error}"))


# The priority is lowered before the planner is imported: a worker's start (about a second of CPU)
# is then no more urgent than its solves.
_WORKER_MAIN = (
    "import sys; from planner.process_priority import lower_priority; "
    "lower_priority(int(sys.argv[3]), sys.argv[4] == 'idle'); "
    "from planner.solve.workers import serve; serve(int(sys.argv[1]), float(sys.argv[2]))"
)


def serve(socket_fd: int, idle_seconds: float) -> None:
    """A worker process's main: serve solves on the socket ``socket_fd`` until idle or closed."""
    _serve(Connection(socket_fd), idle_seconds)


def _worker_environment() -> dict[str, str]:
    """This process's environment, with the folder this planner was imported from first on the path.

    So a worker imports the same planner, installed or not (a server started from another folder
    with the repository on its own path would otherwise start workers that cannot import it).
    """
    source = str(Path(__file__).resolve().parents[2])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [source, environment.get("PYTHONPATH")]))
    return environment


class _Worker:
    """One worker process (``python -c ... serve(...)``) and the parent's end of its socket.

    A process of its own, not a fork: a fork of a server inherits its threads and open database, and
    multiprocessing's own start methods run the parent's main script again, which under Streamlit is
    the app. It leads a session of its own, so killing its process group kills the solvers it started.
    """

    def __init__(self, idle_seconds: float, niceness: int, idle_only: bool) -> None:
        mine, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _WORKER_MAIN,
                    str(theirs.fileno()),
                    str(idle_seconds),
                    str(niceness),
                    "idle" if idle_only else "normal",
                ],
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                env=_worker_environment(),
            )
        finally:
            theirs.close()
        self.connection = Connection(mine.detach())
        self.idle_since = time.monotonic()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker and every process it started (its process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.connection.close()


class SolveWorkers:
    """A bounded pool of worker processes; :meth:`run` blocks until the result or the hard deadline.

    ``workers`` solves run at once; more callers wait for a free worker (their deadline counts from
    when their solve starts). Threads may call :meth:`run` concurrently. ``niceness``: added to the
    workers' scheduling niceness, so that on a busy machine the server's own threads (the sessions'
    reruns) get the cores before a search nobody is waiting on to see a plan. ``idle_only``: the
    workers run only on CPU nothing else wants (Linux's ``SCHED_IDLE``; niceness 19 still takes
    about 1.5 % of a busy core, and a waking thread can wait for it): for work nobody asked for yet.
    """

    def __init__(
        self,
        workers: int = 1,
        margin_seconds: float = 5.0,
        idle_seconds: float = 120.0,
        niceness: int = 0,
        idle_only: bool = False,
    ) -> None:
        self.margin_seconds = margin_seconds
        self.niceness, self.idle_only = niceness, idle_only
        self.idle_seconds = idle_seconds
        self._free: list[_Worker] = []
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._closed = False

    def run(
        self,
        function: Callable[..., Any],
        arguments: tuple[Any, ...],
        time_limit: float,
        stop: threading.Event | None = None,
    ) -> Any:
        """``function(*arguments)`` in a worker (both picklable), stopped past ``time_limit`` plus the margin.

        Raises :class:`SolveOverran` past the hard deadline (the worker killed), and a
        :class:`~planner.errors.PlannerError` when the function raised one (its message) or anything
        else (named) in the worker. ``stop``: set by another thread to stop the solve at once (the
        worker killed), raising :class:`~planner.errors.SolveWithdrawn`.
        """
        hard_deadline = time_limit + self.margin_seconds
        with self._slots:
            worker = self._take()
            started = time.perf_counter()
            answered = False
            try:
                worker.connection.send((function, arguments))
                if not self._answer_within(worker, hard_deadline, stop):
                    if stop is not None and stop.is_set():
                        raise SolveWithdrawn("the search was withdrawn for one somebody is waiting for")
                    raise SolveOverran(
                        f"the search was stopped after {time.perf_counter() - started:.0f} s: it ran past its "
                        f"{time_limit:.0f} s limit and the {self.margin_seconds:.0f} s allowed beyond it. "
                        "Try again, or plan fewer sprints or items"
                    )
                kind, payload = worker.connection.recv()
                answered = True
            except (EOFError, OSError) as error:
                raise SolveFailed(f"the solver's worker process ended unexpectedly ({error or 'no reply'})") from None
            finally:
                if answered:
                    self._give_back(worker)
                else:  # overran, stopped or broken: killed with the solvers it started
                    worker.kill()
                    self.warm()  # its successor loads now, not when the next solve is waiting for it
        if kind == "ok":
            return payload
        if kind == "planner-error":
            raise PlannerError(payload)
        raise SolveFailed(f"the solve failed in its worker: {payload}")

    @staticmethod
    def _answer_within(worker: _Worker, seconds: float, stop: threading.Event | None) -> bool:
        """Whether the worker answers within ``seconds``, looking at ``stop`` every 50 ms (False once it is set)."""
        if stop is None:
            return worker.connection.poll(seconds)
        deadline = time.perf_counter() + seconds
        while not stop.is_set():
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            if worker.connection.poll(min(left, 0.05)):
                return True
        return False

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise PlannerError("the solver workers are shut down")
            while self._free:
                worker = self._free.pop()
                # Idle for half its time to live: it may end as the task arrives; a new one is safer.
                if worker.alive() and time.monotonic() - worker.idle_since < self.idle_seconds / 2:
                    return worker
                worker.kill()
        return _Worker(self.idle_seconds, self.niceness, self.idle_only)

    def _give_back(self, worker: _Worker) -> None:
        worker.idle_since = time.monotonic()
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._free.append(worker)

    def warm(self) -> None:
        """Start one worker now, in the background: the first solve does not wait for Python and the planner to load."""

        def start() -> None:
            with self._lock:
                if not self._closed and not self._free:
                    self._free.append(_Worker(self.idle_seconds, self.niceness, self.idle_only))

        threading.Thread(target=start, name="planner-solve-warm", daemon=True).start()

    def shutdown(self) -> None:
        """Stop every idle worker (one running a solve stops when its solve is done)."""
        with self._lock:
            self._closed = True
            workers, self._free = self._free, []
        for worker in workers:
            worker.kill()

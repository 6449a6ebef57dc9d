"""Solves that finish after the page has shown a first plan: a small queue shared by every session.

The app shows a quick plan at once and asks for the full solve here; when it is done (the plan
kept, the proof found) the page swaps it in. Solves are named by a key holding everything their
result depends on, so two sessions asking for the same plan share one solve, and a session that
moved on withdraws its own solve that has not started yet (a slider dragged across five positions
queues one solve, not five). Threads, not processes: CBC runs in its own process and HiGHS
releases the GIL, so a solve here leaves the server free to answer other sessions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["BackgroundSolves"]

Result = TypeVar("Result")


class BackgroundSolves(Generic[Result]):
    """A queue of named solves run by ``workers`` threads, each name solved at most once at a time."""

    MAX_DEFERRED = 16  # asks kept for an idle queue (the newest)

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="planner-solve")
        # Re-entrant: withdrawing a solve runs its done callback (:meth:`_forget`) at once, under the lock.
        self._lock = threading.RLock()
        self._solves: dict[str, Future[Result]] = {}
        self._idle_work: set[str] = set()  # keys submitted by :meth:`submit_when_idle`, not done yet
        self._deferred: dict[str, Callable[[], Result]] = {}  # idle work waiting for the queue to be idle

    def submit(self, key: str, solve: Callable[[], Result], replaces: str | None = None) -> Future[Result]:
        """Run ``solve`` under ``key``, or join the solve of that key already queued or running.

        ``replaces``: the key this caller asked for before (its previous slider position); that
        solve is withdrawn when it has not started, so the queue holds what is still wanted. A solve
        another caller joined is withdrawn too: its callers get the plan when they ask again. A
        solve of ``key`` that failed is run again.
        """
        with self._lock:
            if replaces is not None and replaces != key:
                earlier = self._solves.get(replaces)
                if earlier is not None and earlier.cancel():
                    self._solves.pop(replaces, None)
            running = self._solves.get(key)
            if running is not None and not running.done():
                return running
            future = self._pool.submit(solve)
            self._solves[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))
        return future

    def submit_when_idle(self, key: str, solve: Callable[[], Result]) -> Future[Result] | None:
        """Run ``solve`` under ``key`` now if no solve someone asked for is queued or running, else once none is.

        For work nobody waits for yet (planning a slider position before anyone moves there): it
        only ever queues behind other such work, and a solve asked for later waits at most for what
        was queued this way. Returns the future when it started now, None when it waits its turn
        (the newest ``MAX_DEFERRED`` wait; an older ask of the same key is replaced). A caller who
        then needs the result joins it (:meth:`pending`).
        """
        with self._lock:
            if self._busy():
                self._deferred.pop(key, None)
                self._deferred[key] = solve
                while len(self._deferred) > self.MAX_DEFERRED:
                    self._deferred.pop(next(iter(self._deferred)))
                return None
            return self._submit_idle(key, solve)

    def _busy(self) -> bool:
        """A solve someone asked for is queued or running."""
        return any(not future.done() and name not in self._idle_work for name, future in self._solves.items())

    def _submit_idle(self, key: str, solve: Callable[[], Result]) -> Future[Result]:
        future = self.submit(key, solve)
        self._idle_work.add(key)
        future.add_done_callback(lambda _: self._done_idle(key))
        return future

    def _done_idle(self, key: str) -> None:
        with self._lock:
            self._idle_work.discard(key)

    def withdraw(self, key: str) -> Future[Result] | None:
        """Withdraw the solve of ``key`` if it has not started (queued, or kept for an idle queue).

        Returns the solve when it is running (or failed), for the caller to wait for, else None: a
        caller that would wait for work queued behind other work does it itself instead.
        """
        with self._lock:
            self._deferred.pop(key, None)
            future = self._solves.get(key)
            if future is None or future.cancel():  # a withdrawn solve is forgotten by its done callback
                return None
            return future

    def pending(self, key: str) -> Future[Result] | None:
        """The solve of ``key`` queued or running, or the last one of it that failed; None when none is."""
        with self._lock:
            return self._solves.get(key)

    def _forget(self, key: str, done: Future[Result]) -> None:
        """A solve that succeeded or was withdrawn is forgotten; a failed one is kept, to be reported."""
        failed = not done.cancelled() and done.exception() is not None
        with self._lock:
            if self._solves.get(key) is done and not failed:
                del self._solves[key]
            if self._deferred and not self._busy():  # the queue is idle: the work kept for it starts
                deferred, self._deferred = self._deferred, {}
                for waiting, solve in deferred.items():
                    self._submit_idle(waiting, solve)

    def shutdown(self) -> None:
        """Withdraw what has not started, and the work kept for an idle queue; wait for the solves running."""
        with self._lock:
            self._deferred.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

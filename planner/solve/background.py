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
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["BackgroundSolves"]

Result = TypeVar("Result")


class BackgroundSolves(Generic[Result]):
    """A queue of named solves run by ``workers`` threads, each name solved at most once at a time."""

    MAX_DEFERRED = 32  # asks kept for an idle queue (the newest): a few sessions' plans ahead (up to 7 each)

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="planner-solve")
        # Re-entrant: withdrawing a solve runs its done callback (:meth:`_forget`) at once, under the lock.
        self._lock = threading.RLock()
        self._solves: dict[str, Future[Result]] = {}
        # Keys submitted by :meth:`submit_when_idle`, started and not done, with how to stop each.
        self._idle_work: dict[str, Callable[[], None] | None] = {}
        # Waiting for an idle queue, oldest first: the solve, how to stop it, its rank.
        self._deferred: dict[str, tuple[Callable[[], Result], Callable[[], None] | None, int]] = {}
        self._closed = False

    def submit(self, key: str, solve: Callable[[], Result], replaces: str | None = None) -> Future[Result]:
        """Run ``solve`` under ``key``, or join the solve of that key already queued or running.

        ``replaces``: the key this caller asked for before (its previous slider position); that
        solve is withdrawn when it has not started, so the queue holds what is still wanted. A solve
        another caller joined is withdrawn too: its callers get the plan when they ask again. A
        solve of ``key`` that failed is run again. Work nobody asked for (:meth:`submit_when_idle`)
        gives way: joined when it is this very solve, else withdrawn or stopped.
        """
        with self._lock:
            if replaces is not None and replaces != key:
                earlier = self._solves.get(replaces)
                if earlier is not None and earlier.cancel():
                    self._solves.pop(replaces, None)
            running = self._solves.get(key)
            if running is not None and not running.done():
                self._idle_work.pop(key, None)  # somebody waits for it now: no longer work that gives way
                return running
            future = self._submit(key, solve)
            self._give_way()  # after: a withdrawn idle solve must not start the next one ahead of this
            return future

    def _submit(self, key: str, solve: Callable[[], Result]) -> Future[Result]:
        future = self._pool.submit(solve)
        self._solves[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))
        return future

    def _give_way(self) -> None:
        """Withdraw or stop the work nobody asked for, for a solve somebody is waiting for."""
        for key, stop in list(self._idle_work.items()):
            future = self._solves.get(key)
            if future is not None and not future.cancel() and stop is not None:
                stop()

    def submit_when_idle(
        self, key: str, solve: Callable[[], Result], stop: Callable[[], None] | None = None, rank: int = 0
    ) -> Future[Result] | None:
        """Run ``solve`` under ``key`` now if the queue is idle, else once it is.

        For work nobody waits for yet (planning a slider position before anyone moves there): one
        such solve at a time, and only while no solve someone asked for is queued or running. A
        solve asked for later joins it when it is the same (:meth:`submit` with ``key``), else has
        it withdrawn or, when it has started, stopped by ``stop`` (given: the solve should end
        soon after; not given: it is waited for, so give it for anything longer than a quick plan).
        Returns the future when it started now, None when it waits its turn (the newest
        ``MAX_DEFERRED`` wait; an older ask of the same key is replaced). Waiting work starts lowest
        ``rank`` first (quick plans before full ones), the newest ask first within a rank: a room
        that moved on wants the plans around where it is now before those around where it was. A
        caller who then needs the result joins it (:meth:`pending`).
        """
        with self._lock:
            if self._busy() or self._idle_work:
                self._deferred.pop(key, None)
                self._deferred[key] = (solve, stop, rank)
                while len(self._deferred) > self.MAX_DEFERRED:
                    self._deferred.pop(next(iter(self._deferred)))
                return None
            return self._submit_idle(key, solve, stop)

    def _busy(self) -> bool:
        """A solve someone asked for is queued or running."""
        return any(not future.done() and name not in self._idle_work for name, future in self._solves.items())

    def _submit_idle(self, key: str, solve: Callable[[], Result], stop: Callable[[], None] | None) -> Future[Result]:
        running = self._solves.get(key)
        if running is not None and not running.done():
            return running  # asked for already: that solve is the one
        self._idle_work[key] = stop  # first: a solve done at once runs its done callback right here
        try:
            return self._submit(key, solve)
        except RuntimeError:  # the pool is shut down
            del self._idle_work[key]
            raise

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

    def withdraw_unasked(self, keys: Iterable[str]) -> None:
        """Withdraw the work nobody asked for under ``keys``: not started, it is dropped; running, it is stopped.

        For a room that moved on: the plans around where it was are no longer the next ones wanted.
        Work someone has asked for since (:meth:`submit` joined it) is left alone.
        """
        with self._lock:
            for key in keys:
                self._deferred.pop(key, None)
                if key not in self._idle_work:
                    continue
                future, stop = self._solves.get(key), self._idle_work[key]
                if future is not None and not future.cancel() and stop is not None:
                    stop()

    def pending(self, key: str) -> Future[Result] | None:
        """The solve of ``key`` queued or running, or the last one of it that failed; None when none is."""
        with self._lock:
            return self._solves.get(key)

    def _forget(self, key: str, done: Future[Result]) -> None:
        """A solve that succeeded or was withdrawn is forgotten, and so is any work nobody asked for; a
        failed solve somebody asked for is kept, to be reported. An idle queue starts the next work
        waiting for it."""
        failed = not done.cancelled() and done.exception() is not None
        with self._lock:
            unasked = key in self._idle_work and self._solves.get(key) is done
            if unasked:
                del self._idle_work[key]
            if self._solves.get(key) is done and (unasked or not failed):
                del self._solves[key]
            if self._deferred and not self._busy() and not self._idle_work and not self._closed:
                # min keeps the first of equal ranks it meets: walking newest first, the newest ask.
                waiting = min(reversed(self._deferred), key=lambda name: self._deferred[name][2])
                solve, stop, _rank = self._deferred.pop(waiting)
                try:
                    self._submit_idle(waiting, solve, stop)
                except RuntimeError:  # the interpreter is shutting down (a server stopped): nothing starts
                    self._deferred.clear()

    def shutdown(self) -> None:
        """Withdraw what has not started, and the work kept for an idle queue; wait for the solves running."""
        with self._lock:
            self._closed = True
            self._deferred.clear()
            self._give_way()
        self._pool.shutdown(wait=True, cancel_futures=True)

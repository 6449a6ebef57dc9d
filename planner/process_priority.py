"""Lower this process's scheduling priority: for solver workers, before they import the planner.

Kept apart from :mod:`planner.solve` (whose import loads pandas, PuLP and the solvers, about half a
second of CPU): a worker lowers its priority first, so even its start takes only CPU the server's
sessions leave. Imports nothing but :mod:`os`.
"""

from __future__ import annotations

import os

__all__ = ["lower_priority"]


def lower_priority(niceness: int, idle_only: bool) -> None:
    """Add ``niceness`` to this process's niceness and, with ``idle_only``, ask for Linux's idle class.

    The idle class (``SCHED_IDLE``) runs the process only on CPU nothing else wants, where niceness
    19 alone still takes about 1.5 % of a busy core. Where the class is missing or refused (another
    system, a sandbox's seccomp) the niceness is what is left. Processes started from here inherit both.
    """
    if niceness:
        os.nice(niceness)
    if idle_only and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass

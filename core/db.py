"""Database connections of threads that wait: let go of them while waiting, and wait out a short outage.

A model answer has been paid for by the time it is stored: losing it to a restart (a failover) would tell the
seller "fill in the form yourself" for nothing, and asking again would pay twice.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# Restarts and failovers take seconds; an analysis still unfinished after a longer outage is left to the sweep.
DATABASE_OUTAGE_SECONDS = 30.0


def through_database_outage(
    work: Callable[[], Result], *, what: str, seconds: float = DATABASE_OUTAGE_SECONDS, first_wait: float = 0.5
) -> Result:
    """Run `work`; while the database cannot be reached, wait (doubling, up to 4 s) and run it again, for `seconds`."""
    deadline = time.monotonic() + seconds
    wait = first_wait
    while True:
        try:
            return work()
        except (OperationalError, InterfaceError):
            # Inside a transaction the broken connection cannot be replaced; the caller's rollback decides.
            if connection.in_atomic_block or time.monotonic() + wait > deadline:
                raise
            logger.warning("Database unreachable while %s; trying again in %.1f s", what, wait, exc_info=True)
            connection_release()
            time.sleep(wait)
            wait = min(wait * 2, 4.0)


def connection_release() -> None:
    """Let go of this thread's database connection; the next query opens a new one.

    A thread-pool worker has ~200 threads and PostgreSQL allows 100 connections in all, so no thread keeps one
    while it waits seconds for the model (or an eval case, or a database restart). Inside a transaction (tests, or
    a caller's atomic block) the connection cannot be let go, and stays.
    """
    if not connection.in_atomic_block:
        connection.close()

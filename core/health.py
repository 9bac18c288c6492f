"""Readiness checks: can this process reach the database and the broker right now?"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from kombu import Connection

logger = logging.getLogger(__name__)


def database_problem() -> str | None:
    """None when the database answers a trivial query, else a sentence saying why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Readiness: the database is unreachable: %s", exc)
        return f"The database does not answer: {exc.__class__.__name__}."
    return None


def broker_problem(*, timeout: float) -> str | None:
    """None when a connection to the Celery broker opens within `timeout` seconds, else why not."""
    # Own short timeouts: the app's publishing settings allow retries a probe must not wait for.
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "socket_connect_timeout": timeout, "socket_timeout": timeout}
    broker = Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options)
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:  # kombu raises the transport's own errors (socket, redis, amqp ...)
        logger.warning("Readiness: the broker %s is unreachable: %s", broker.as_uri(), exc)
        return f"The broker at {broker.as_uri()} does not answer: {exc.__class__.__name__}."
    finally:
        broker.release()
    return None

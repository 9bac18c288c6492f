"""The logging context of the current request or task: request id, analysis id and variant.

Every log line written inside a context carries its fields (LogContextFilter, installed on the console
handler by config.logging). The context travels with Celery tasks in the message headers, so the worker's
lines about an analysis carry the id of the upload request that started it.

This module is imported by the logging configuration in every process that sets Django up (web, worker,
beat), which is where the Celery signal receivers below get connected.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from celery import signals

FIELDS = ("request_id", "analysis_id", "variant")
TASK_HEADER = "trova_log_context"

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("trova_log_context", default={})  # noqa: B039
_task_tokens: dict[str, contextvars.Token] = {}


@contextlib.contextmanager
def log_context(
    *, request_id: object = None, analysis_id: object = None, variant: object = None
) -> Iterator[dict[str, str]]:
    """Tag every log line written inside the block; a field left as None (or "") keeps its outer value."""
    given = {"request_id": request_id, "analysis_id": analysis_id, "variant": variant}
    merged = {**_context.get(), **{name: str(value) for name, value in given.items() if value not in (None, "")}}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def current_log_context() -> dict[str, str]:
    return dict(_context.get())


class LogContextFilter(logging.Filter):
    """Copy the current context onto each record; a field passed explicitly with extra= wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for field in FIELDS:
            if not getattr(record, field, ""):
                setattr(record, field, context.get(field, ""))
        return True


@signals.before_task_publish.connect(dispatch_uid="trova.log_context.publish")
def _put_context_in_task_headers(headers: dict | None = None, **kwargs: object) -> None:
    context = _context.get()
    if context and headers is not None:
        headers.setdefault(TASK_HEADER, dict(context))


@signals.task_prerun.connect(dispatch_uid="trova.log_context.prerun")
def _enter_task_context(task_id: str | None = None, task: object = None, **kwargs: object) -> None:
    inherited = getattr(getattr(task, "request", None), TASK_HEADER, None) or {}
    fields = {name: str(value) for name, value in inherited.items() if name in FIELDS and value}
    _task_tokens[task_id] = _context.set({**_context.get(), **fields})


@signals.task_postrun.connect(dispatch_uid="trova.log_context.postrun")
def _leave_task_context(task_id: str | None = None, **kwargs: object) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _context.reset(token)


@signals.setup_logging.connect(dispatch_uid="trova.log_context.setup_logging")
def _keep_django_logging(**kwargs: object) -> None:
    """Celery replaces the root logger's handlers unless someone answers this signal: Django's LOGGING
    (JSON in production, with the context filter) already configured them when the worker set Django up."""

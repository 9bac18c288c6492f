"""The fields of a running analysis that the model's stream has completed so far, for the sell page to show.

One cache key per analysis. Only a preview: nothing here is stored or counted; the analysis row gets the
validated suggestion when the answer is complete. The web processes and the workers must share the
cache (CACHE_URL) for the page to see the fields; with a per-process cache the page simply waits for
the final answer, as it does without streaming.
"""

import contextvars
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Long enough for a slow stream and the page's last look; the final suggestion lives in the database.
LIVE_FIELDS_SECONDS = 600
# The page polls a few times a second; publishing more often than this would only load the cache.
PUBLISH_INTERVAL_SECONDS = 0.2

_current: contextvars.ContextVar["LivePublisher | None"] = contextvars.ContextVar("live_publisher", default=None)


def _key(analysis_id: uuid.UUID | str) -> str:
    return f"ai_prefill:live:{analysis_id}"


def live_fields_get(*, analysis_id: uuid.UUID | str) -> dict[str, str]:
    """The fields published so far for this analysis ({} when none, or when the cache cannot be reached)."""
    try:
        fields = cache.get(_key(analysis_id))
    except Exception:
        logger.warning("Could not read the live fields of analysis %s", analysis_id, exc_info=True)
        return {}
    return fields if isinstance(fields, dict) else {}


def live_fields_clear(*, analysis_id: uuid.UUID | str) -> None:
    try:
        cache.delete(_key(analysis_id))
    except Exception:
        logger.warning("Could not clear the live fields of analysis %s", analysis_id, exc_info=True)


class LivePublisher:
    """Publishes the completed fields of one attempt's stream, at most every PUBLISH_INTERVAL_SECONDS."""

    def __init__(self, analysis_id: uuid.UUID | str) -> None:
        self.analysis_id = analysis_id
        self._published: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._last_publish = 0.0

    def offer(self, fields: dict[str, str]) -> None:
        """The fields complete so far; they are written when they differ and the interval has passed."""
        if fields != self._published:
            self._pending = dict(fields)
        if self._pending and time.monotonic() - self._last_publish >= PUBLISH_INTERVAL_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        try:
            cache.set(_key(self.analysis_id), self._pending, LIVE_FIELDS_SECONDS)
        except Exception:
            # A preview lost is no failure: the validated answer still arrives through the database.
            logger.warning("Could not publish the live fields of analysis %s", self.analysis_id, exc_info=True)
        self._published, self._pending = self._pending, {}
        self._last_publish = time.monotonic()

    def restart(self) -> None:
        """A new attempt: what the previous one published is withdrawn, it may answer differently."""
        self._published, self._pending = {}, {}
        live_fields_clear(analysis_id=self.analysis_id)


@contextmanager
def live_analysis(*, analysis_id: uuid.UUID | str) -> Iterator[LivePublisher]:
    """While inside, streamed model calls on this thread publish their completed fields for this analysis."""
    publisher = LivePublisher(analysis_id)
    token = _current.set(publisher)
    try:
        yield publisher
    finally:
        _current.reset(token)


def live_publisher() -> LivePublisher | None:
    """The publisher of the analysis this thread is running, if any (evals and tests run without one)."""
    return _current.get()

"""The waits between attempts: exponential backoff with jitter, Retry-After honoured up to a cap."""

from datetime import timedelta
from email.utils import format_datetime

from django.utils import timezone

from ai_prefill.llm.openai_provider import retry_after_seconds
from ai_prefill.llm.suggest import retry_wait_seconds
from ai_prefill.llm.types import Attempt


def failed(error_type: str, retry_after: float | None = None) -> Attempt:
    attempt = Attempt(started_at=timezone.now(), retry_after=retry_after)
    attempt.fail(error_type, "")
    return attempt


def test_the_backoff_doubles_with_jitter_and_stops_at_the_cap(settings):
    settings.AI_RETRY_BASE_SECONDS = 1
    settings.AI_RETRY_MAX_SECONDS = 3

    first = [retry_wait_seconds(failed("server_error"), number=1) for _ in range(200)]
    second = [retry_wait_seconds(failed("server_error"), number=2) for _ in range(200)]
    third = [retry_wait_seconds(failed("server_error"), number=3) for _ in range(200)]

    assert all(0.5 <= wait <= 1 for wait in first)
    assert all(1 <= wait <= 2 for wait in second)
    assert all(1.5 <= wait <= 3 for wait in third)  # 4 s capped to 3
    assert len(set(first)) > 1  # jittered, so failures at the same moment do not retry together


def test_a_retry_after_longer_than_the_backoff_is_waited_out_up_to_its_cap(settings):
    settings.AI_RETRY_BASE_SECONDS = 0.1
    settings.AI_RETRY_MAX_SECONDS = 0.1
    settings.AI_RETRY_AFTER_MAX_SECONDS = 5

    assert retry_wait_seconds(failed("rate_limited", retry_after=2), number=1) == 2
    assert retry_wait_seconds(failed("rate_limited", retry_after=60), number=1) == 5


def test_a_bad_answer_is_retried_without_waiting(settings):
    settings.AI_RETRY_BASE_SECONDS = 10

    assert retry_wait_seconds(failed("schema_violation"), number=1) == 0


def test_it_reads_every_form_of_retry_after():
    in_a_minute = format_datetime(timezone.now() + timedelta(seconds=60), usegmt=True)

    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "2"}) == 2
    assert 55 <= retry_after_seconds({"retry-after": in_a_minute}) <= 60
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None

"""Domain errors. Each carries a sentence a person understands; every interface maps them to a 4xx."""

import math
from datetime import datetime, timedelta

from django.http import HttpResponse
from django.utils import timezone


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PhotoRejected(DomainError):
    pass


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class RateLimited(DomainError):
    """Past a limit: 429, and every interface says when to try again (Retry-After, in seconds)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, math.ceil(retry_after_seconds))


def with_retry_after(response: HttpResponse, error: Exception) -> HttpResponse:
    """The response, with Retry-After when the error is a rate limit."""
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after_seconds)
    return response


def sliding_window_wait(oldest: datetime | None, window: timedelta) -> float:
    """Seconds until the oldest counted event leaves a sliding window, so the count drops below the limit."""
    if oldest is None:
        return window.total_seconds()
    return (oldest + window - timezone.now()).total_seconds()

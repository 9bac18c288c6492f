"""Reading analyses: who may see one, and what the page and the API should tell the seller."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import QUEUE_UNAVAILABLE_MESSAGE, TIMED_OUT_MESSAGE, analysis_time_budget_seconds
from core.errors import NotFound


@dataclass(frozen=True)
class AnalysisError:
    type: str
    message: str


def analysis_get_visible(*, analysis_id: str | uuid.UUID, user) -> Analysis:
    """The analysis if this user owns it or is staff; NotFound for anyone else, and for malformed ids."""
    not_found = NotFound("There is no such analysis.")
    try:
        analysis_uuid = analysis_id if isinstance(analysis_id, uuid.UUID) else uuid.UUID(str(analysis_id))
    except ValueError:
        raise not_found from None
    if not getattr(user, "is_authenticated", False):
        raise not_found
    analyses = Analysis.objects.select_related("photo")
    if not user.is_staff:
        analyses = analyses.filter(user=user)
    analysis = analyses.filter(pk=analysis_uuid).first()
    if analysis is None:
        raise not_found
    return analysis


def analysis_error(*, analysis: Analysis) -> AnalysisError | None:
    """Why there is no suggestion to show, in one sentence; None while it may still come.

    An analysis can carry an error before it is finished: the broker refused it (the sweep retries it
    later), or it has outlived the time the model may take with every retry, so the seller should not
    wait any longer. A suggestion that still arrives after that is welcome.
    """
    if analysis.status == Analysis.Status.FAILED:
        return AnalysisError(type=analysis.error_type or "failed", message=analysis.error_message)
    if analysis.status == Analysis.Status.SUCCEEDED:
        return None
    if analysis.enqueue_failed_at is not None:
        return AnalysisError(type="queue_unavailable", message=QUEUE_UNAVAILABLE_MESSAGE)
    if timezone.now() - analysis.created_at > timedelta(seconds=analysis_time_budget_seconds()):
        return AnalysisError(type="timed_out", message=TIMED_OUT_MESSAGE)
    return None


def unpriced_models(*, since) -> list[str]:
    """Models whose production calls since then have no known price (LLMCall.cost null): their spend is not counted."""
    calls = LLMCall.objects.production().filter(started_at__gte=since, cost__isnull=True)
    return sorted(set(calls.values_list("model", flat=True)))

"""The feedback API: a seller's thumbs on a suggestion, and the feed of votes and corrections for staff."""

from typing import Annotated

from django.utils.translation import gettext
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from core.api import Json
from core.errors import NotAllowed
from feedback.schemas import MAX_PAGE_SIZE, FeedbackFiltersIn, FeedbackIn, FeedbackPageIn, FeedbackPageOut, VoteOut
from feedback.selectors import analysis_owned, feedback_feed
from feedback.services import vote_record
from marketplace.auth import api_auth

router = Router(tags=["feedback"])


class FeedbackPages(PageNumberPagination):
    Input = FeedbackPageIn
    # The endpoint declares its page schema (FeedbackPageOut), so ninja generates no Paged… one.
    Output = None


@router.post("/analyses/{analysis_id}/feedback", response={201: VoteOut}, auth=api_auth)
def create_feedback(request, analysis_id: str, data: Annotated[FeedbackIn, Json(...)]):
    """Thumbs up or down on your analysis's suggestion; a new vote replaces your previous one."""
    analysis = analysis_owned(analysis_id=analysis_id, user=request.auth)
    vote = vote_record(
        analysis=analysis, user=request.auth, value=data.vote, reasons=data.reasons, comment=data.comment
    )
    return Status(201, vote)


@router.get("/feedback", response=FeedbackPageOut, auth=api_auth)
@paginate(FeedbackPages, max_page_size=MAX_PAGE_SIZE)
def list_feedback(request, filters: Query[FeedbackFiltersIn]):
    """Staff only: current votes and all corrections, newest first, filterable by kind and date."""
    if not request.auth.is_staff:
        raise NotAllowed(gettext("Only staff can read the feedback."))
    return feedback_feed(kind=filters.kind, since=filters.since, until=filters.until)

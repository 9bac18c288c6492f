"""API shapes for feedback: `…In` is what a client sends, `…Out` what it gets back."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from core.api import StrictIn
from feedback.models import COMMENT_MAX_LENGTH, Vote
from feedback.selectors import FEED_KINDS
from marketplace.schemas import Text

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200

VoteValue = Literal[tuple(Vote.Value.values)]
# One of Vote.Reason, or the slug of an item detail the suggestion gave a value for ("brand": the brand is wrong);
# feedback.services.vote_record checks it against the suggestion.
ReasonValue = Annotated[str, Field(max_length=40)]
REASONS_MAX = 30


class FeedbackIn(StrictIn):
    model_config = ConfigDict(str_strip_whitespace=True)

    vote: VoteValue
    reasons: list[ReasonValue] = Field(
        default_factory=list,
        max_length=REASONS_MAX,
        description=f"Only with a thumbs down: any of {', '.join(Vote.Reason.values)}, or the slug of an item detail "
        'the suggestion filled in, for "that detail is wrong" ("brand").',
    )
    comment: Text = Field("", max_length=COMMENT_MAX_LENGTH)


class VoteOut(Schema):
    analysis_id: uuid.UUID
    vote: str
    reasons: list[str]
    comment: str
    created_at: datetime

    @staticmethod
    def resolve_vote(vote: Vote) -> str:
        return vote.value


class FeedbackFiltersIn(Schema):
    kind: Literal[FEED_KINDS] | None = None
    since: date | None = Field(None, description="From this day on (inclusive).")
    until: date | None = Field(None, description="Up to this day (inclusive).")

    @model_validator(mode="after")
    def _dates_in_order(self) -> "FeedbackFiltersIn":
        if self.since and self.until and self.since > self.until:
            raise ValueError("since is after until")
        return self


class FeedbackPageIn(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class FeedbackItemOut(Schema):
    analysis_id: uuid.UUID = Field(validation_alias="feed_analysis")
    kind: str = Field(validation_alias="feed_kind", description="vote or correction")
    field: str | None = Field(validation_alias="feed_field", description="The suggested field (corrections).")
    suggested: str | None = Field(validation_alias="feed_suggested")
    final: str | None = Field(validation_alias="feed_final")
    vote: str | None = Field(validation_alias="feed_vote", description="up or down (votes).")
    created_at: datetime = Field(validation_alias="feed_created")


class FeedbackPageOut(Schema):
    items: list[FeedbackItemOut]
    count: int = Field(description="How many rows match, over all pages.")

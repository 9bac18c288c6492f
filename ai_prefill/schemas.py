from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Schema

from ai_prefill.confidence import SuggestionSplit, suggestion_split
from ai_prefill.models import Analysis
from ai_prefill.selectors import analysis_error

AnalysisStatus = Literal["pending", "running", "succeeded", "failed"]


class AnalysisCreatedOut(Schema):
    id: UUID
    status: AnalysisStatus


class ComparableOut(Schema):
    id: int
    title: str
    price: Decimal
    sold: bool
    url: str


class PriceRangeOut(Schema):
    low: Decimal
    high: Decimal
    count: int  # comparables behind the range (outliers trimmed)
    sold: int  # of which sold; the others are asking prices
    listings: list[ComparableOut]  # a few of them, best match first


ConfidenceLevel = Literal["high", "medium", "low"]


class SuggestionOut(Schema):
    # null: the model could not see it ("not visible"); only the demo provider leaves the title null.
    title: str | None
    description: str | None
    category: str  # a category slug, as in GET /api/categories
    price: Decimal | None  # euros: the model's price, moved into the comparables' range when there is one
    condition: Literal["new", "like_new", "good", "fair", "for_parts"] | None
    comparables: PriceRangeOut | None = None  # only with enough comparable listings
    # From prompt prefill-v4 on (absent from older suggestions, whose values count as filled, high):
    attributes: dict[str, str | None] | None = None  # the category's item details by slug
    confidence: dict[str, ConfidenceLevel] | None = None  # by field name or attribute slug
    category_candidates: list[str] | None = None  # 1 to 3 slugs, best first, the category first
    language: str | None = None  # the language code the text was asked in


class AnalysisErrorOut(Schema):
    type: str  # machine-readable, e.g. timed_out, queue_unavailable, internal_error
    message: str  # one sentence for the seller


class AnalysisOut(Schema):
    id: UUID
    status: AnalysisStatus
    provider: str  # "openai", or "demo": suggestions made offline from the photo's colours, not by a model
    language: str  # the language code the suggestion is asked in
    suggestion: SuggestionOut | None
    # Also set on an unfinished analysis the seller should stop waiting for (see analysis_error).
    error: AnalysisErrorOut | None
    # The suggestion as the sell page presents it (ai_prefill.confidence): null until it succeeded.
    filled: dict[str, str] | None = None  # the values sure enough to fill their field, item details by slug
    choices: dict[str, list[str]] | None = None  # below the field's threshold: offered, best first, never filled
    not_visible: list[str] | None = None  # fields the model could not see in the photos

    @staticmethod
    def resolve_suggestion(analysis: Analysis) -> dict | None:
        return _suggestion(analysis)

    @staticmethod
    def resolve_filled(analysis: Analysis) -> dict | None:
        split = _split(analysis)
        return None if split is None else {name: str(value) for name, value in split.filled.items()}

    @staticmethod
    def resolve_choices(analysis: Analysis) -> dict | None:
        split = _split(analysis)
        return (
            None
            if split is None
            else {name: [str(value) for value in values] for name, values in split.choices.items()}
        )

    @staticmethod
    def resolve_not_visible(analysis: Analysis) -> list | None:
        split = _split(analysis)
        return None if split is None else list(split.not_visible)

    @staticmethod
    def resolve_error(analysis: Analysis) -> dict | None:
        error = analysis_error(analysis=analysis)
        return None if error is None else {"type": error.type, "message": str(error.message)}


def _suggestion(analysis: Analysis) -> dict | None:
    succeeded = analysis.status == Analysis.Status.SUCCEEDED and isinstance(analysis.suggestion, dict)
    return analysis.suggestion if succeeded else None


def _split(analysis: Analysis) -> SuggestionSplit | None:
    suggestion = _suggestion(analysis)
    return None if suggestion is None else suggestion_split(suggestion)


class ErrorOut(Schema):
    detail: str

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ai_prefill.models import Analysis, LLMCall
from marketplace.models import Photo
from tests.factories import UserFactory


class Rows:
    """Writes analyses and LLM calls with chosen timestamps (auto_now_add fields are set after insert)."""

    def __init__(self) -> None:
        self.owner = UserFactory(username="monitored-seller")
        # Dimensions filled in so Django never opens the (absent) file to measure it.
        self.photo = Photo.objects.create(
            owner=self.owner, image="photos/x.jpg", thumbnail="photos/t.jpg", width=1, height=1
        )

    def analysis(
        self,
        *,
        status: str = Analysis.Status.SUCCEEDED,
        created_at: datetime | None = None,
        finished_at: datetime | None = None,
        error_type: str = "",
        variant: str = "",
        model: str = "gpt-4o-mini",
        prompt_version: str = "v1",
        suggestion: dict | None = None,
    ) -> Analysis:
        created_at = created_at or timezone.now()
        if finished_at is None and status in (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED):
            finished_at = created_at + timedelta(seconds=3)
        analysis = Analysis.objects.create(
            user=self.owner,
            photo=self.photo,
            status=status,
            error_type=error_type,
            variant=variant,
            model=model,
            prompt_version=prompt_version,
            provider="openai",
            finished_at=finished_at,
            suggestion=suggestion,
        )
        Analysis.objects.filter(pk=analysis.pk).update(created_at=created_at)
        analysis.created_at = created_at
        return analysis

    def call(
        self,
        analysis: Analysis | None = None,
        *,
        started_at: datetime | None = None,
        latency_ms: int = 1000,
        input_tokens: int = 100,
        output_tokens: int = 50,
        cost: str | None = "0.001",  # None: a model with no known price
        error_type: str = "",
        model: str = "gpt-4o-mini",
        attempt: int = 1,
    ) -> LLMCall:
        return LLMCall.objects.create(
            analysis=analysis,
            attempt=attempt,
            provider="openai",
            model=model,
            api_style="responses",
            prompt_version="v1",
            started_at=started_at or (analysis.created_at if analysis else timezone.now()),
            latency_ms=latency_ms,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=None if cost is None else Decimal(cost),
            error_type=error_type,
        )


@pytest.fixture
def rows(db) -> Rows:
    return Rows()

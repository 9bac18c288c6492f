"""The eval replays sold listings and compares three ways to price them (issue 18)."""

import io
import statistics

import pytest
from django.core.management import call_command

from evals.models import EvalCase, EvalRun
from marketplace.services.listings import listing_mark_sold
from tests.ai_prefill.test_comparables import CHAIR, _sold_chairs
from tests.factories import UserFactory, category
from tests.feedback.helpers import post_from_suggestion

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_categories")]


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sold_listings_replayed_compare_model_comparables_and_blend(fake_openai):
    _sold_chairs()  # ten chairs sold for 40 to 70
    seller = UserFactory()
    for price in ("55", "60"):
        _, listing = post_from_suggestion(seller, title="Wooden chair", category=category("furniture"), price=price)
        listing_mark_sold(listing=listing, actor=seller)
    post_from_suggestion(seller, title="Unsold chair", category=category("furniture"))

    added = _command("evalset", "from-production", "--sold", "--dataset", "sold")

    assert "Added 2 cases from sold listings to 'sold'" in added
    cases = EvalCase.objects.filter(dataset="sold")
    assert sorted(str(case.expected_price_min) for case in cases) == ["55.00", "60.00"]
    assert all(case.expected_price_min == case.expected_price_max for case in cases)

    fake_openai.answer = CHAIR  # the model says 200 for both
    output = _command("eval", "--dataset", "sold", "--model", "gpt-4o-mini", "--concurrency", "1")

    pricing = EvalRun.objects.get().metrics["pricing"]
    assert pricing["cases"] == 2 and pricing["with_range"] == 2
    mdape = pricing["mdape"]
    assert mdape["model"] == round(statistics.median([145 / 55, 140 / 60]), 4)
    # The comparables' median sits near the sale prices; the blend is the model's 200 pulled down to the top
    # of their range: far better than the model alone, not as good as the comparables here.
    assert mdape["comparables"] < mdape["blend"] < 0.2 < mdape["model"]
    assert "median absolute percentage error" in output
    assert f"model       {mdape['model']:.1%}" in output and f"blend       {mdape['blend']:.1%}" in output

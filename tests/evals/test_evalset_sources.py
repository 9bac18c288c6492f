"""Evaluation sets the code makes itself: the drawn demo set, and replayed production photos."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from ai_prefill.models import Analysis
from ai_prefill.posting import listing_post_from_analysis
from ai_prefill.services import analysis_start
from evals.demo import DEMO_CASES
from evals.models import EvalCase
from marketplace.models import Category
from marketplace.services.listings import ListingData
from tests.factories import UserFactory, category, jpeg_bytes, photo_upload, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db


def evalset(*args: str) -> str:
    out = io.StringIO()
    call_command("evalset", *args, stdout=out)
    return out.getvalue()


def test_the_demo_set_draws_a_case_for_every_category_and_only_missing_ones_the_next_time():
    first = evalset("demo")
    second = evalset("demo")
    EvalCase.objects.filter(dataset="demo", expected_title="Acoustic guitar").delete()
    third = evalset("demo")

    cases = list(EvalCase.objects.filter(dataset="demo"))
    assert f"Added {len(DEMO_CASES)} demo cases" in first and "Added 0 demo cases" in second
    assert "Added 1 demo cases" in third
    assert len(cases) == len(DEMO_CASES) >= 9
    assert {case.expected_category for case in cases} == set(Category.objects.values_list("slug", flat=True))
    for case in cases:
        assert case.title_must_mention and 0 < case.expected_price_min < case.expected_price_max
        with Image.open(case.image) as photo:
            assert photo.format == "JPEG" and max(photo.size) <= 1600


def test_from_production_takes_posted_photos_with_the_sellers_values_as_the_answer(seller):
    changed, _ = post_from_suggestion(
        seller, title="Brass desk lamp, barely used", category=category("home-garden"), price=Decimal("35")
    )
    kept, _ = post_from_suggestion(seller)
    suggested_analysis(user=seller)  # never posted
    old, _ = post_from_suggestion(seller)
    Analysis.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    output = evalset("from-production", "--dataset", "prod", "--since", "30")

    assert "Added 2 cases from posted listings to 'prod'" in output
    lamp = EvalCase.objects.get(source_analysis=changed)
    assert (lamp.expected_category, lamp.title_must_mention, lamp.source) == ("home-garden", ["lamp"], "correction")
    assert (lamp.expected_price_min, lamp.expected_price_max) == (Decimal("24.50"), Decimal("45.50"))
    assert EvalCase.objects.get(source_analysis=kept).expected_category == "electronics"
    assert "Added 0 cases" in evalset("from-production", "--dataset", "prod")


def test_from_production_takes_the_newest_first_up_to_the_limit():
    seller = UserFactory()
    older, _ = post_from_suggestion(seller)
    newer, _ = post_from_suggestion(seller)
    Analysis.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))

    evalset("from-production", "--dataset", "prod", "--limit", "1")

    assert list(EvalCase.objects.values_list("source_analysis", flat=True)) == [newer.pk]


def test_from_production_refuses_a_limit_below_1():
    with pytest.raises(CommandError) as raised:
        evalset("from-production", "--limit", "0")

    assert raised.value.returncode == 2


def test_a_case_from_production_expects_the_posted_details_in_the_analysis_language(seller):
    analysis, listing = post_from_suggestion(seller)
    listing.attributes = {"brand": "Sony", "colour": "black"}
    listing.save(update_fields=["attributes"])
    Analysis.objects.filter(pk=analysis.pk).update(language="it")

    evalset("from-production", "--dataset", "prod")

    case = EvalCase.objects.get(source_analysis=analysis)
    assert (case.expected_attributes, case.language) == ({"brand": "Sony", "colour": "black"}, "it")


def test_a_case_from_production_copies_every_photo_of_the_analysis_in_order(seller):
    colours = [(220, 30, 30), (30, 200, 40), (30, 40, 220)]
    uploads = [photo_upload(data=jpeg_bytes(320, 240, color=colour)) for colour in colours]
    analysis = analysis_start(user=seller, uploads=uploads)
    values = {"title": "Wired headphones", "description": "", "category": category("electronics")}
    listing_post_from_analysis(
        seller=seller, analysis_id=analysis.pk, data=ListingData(**values, price=Decimal("20"), condition="good")
    )

    evalset("from-production", "--dataset", "prod")

    case = EvalCase.objects.get(source_analysis=analysis)
    centres = []
    for photo in case.photos:
        with Image.open(photo) as image:
            centres.append(image.convert("RGB").getpixel((image.width // 2, image.height // 2)))
    assert [max(range(3), key=lambda channel: centre[channel]) for centre in centres] == [0, 1, 2]

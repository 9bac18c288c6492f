"""The demo provider: deterministic suggestions from the photo itself, recorded like model calls."""

from decimal import Decimal

import pytest

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import default_model_config, prefill_suggest
from ai_prefill.models import LLMCall
from marketplace.models import TITLE_MAX_LENGTH, Category, Condition
from tests.ai_prefill.llm_helpers import photo_jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo(settings):
    settings.AI_PROVIDER = "demo"


def suggest(width: int, height: int, color) -> dict:
    image = prepare_model_image(photo_jpeg(width, height, color))
    return prefill_suggest(image_jpeg=image, config=default_model_config(), image_ref="photos/demo.jpg").suggestion


def test_it_describes_the_photos_colour_and_shape():
    assert suggest(800, 500, (210, 30, 30))["title"] == "Red rectangular item"
    assert suggest(400, 800, (30, 60, 200))["title"] == "Blue tall item"
    assert suggest(600, 600, (245, 245, 245))["title"] == "White square item"


def test_it_gives_the_same_suggestion_for_the_same_photo():
    assert suggest(800, 500, (40, 160, 60)) == suggest(800, 500, (40, 160, 60))


def test_it_suggests_only_values_our_forms_accept():
    slugs = set(Category.objects.values_list("slug", flat=True))
    photos = [
        (800, 500, (210, 30, 30)),
        (400, 800, (20, 20, 20)),
        (600, 600, (250, 250, 250)),
        (900, 300, (120, 80, 30)),
    ]

    for width, height, color in photos:
        suggestion = suggest(width, height, color)
        assert suggestion["category"] in slugs
        assert suggestion["condition"] in Condition.values
        assert 0 < len(suggestion["title"]) <= TITLE_MAX_LENGTH
        assert Decimal(suggestion["price"]) >= 0
        assert Decimal(suggestion["price"]).as_tuple().exponent == -2
        assert "demo" in suggestion["description"].lower()


def test_dark_photos_get_a_humbler_condition_than_bright_ones():
    assert suggest(600, 600, (250, 250, 250))["condition"] == Condition.LIKE_NEW
    assert suggest(600, 600, (25, 25, 25))["condition"] == Condition.FAIR


def test_it_records_a_free_call_like_the_models():
    suggest(800, 500, (210, 30, 30))

    (call,) = LLMCall.objects.all()
    assert (call.provider, call.model, call.attempt) == ("demo", "demo", 1)
    assert (call.input_tokens, call.output_tokens, call.cost) == (0, 0, Decimal(0))
    assert call.error_type == ""
    assert call.request["image_ref"] == "photos/demo.jpg"
    assert '"title": "Red rectangular item"' in call.raw_output

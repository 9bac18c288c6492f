"""The demo provider: deterministic, honest suggestions from the photo itself, recorded like model calls.

It must never put text into a field (issue 13: its "please say what it is" description was published word
for word): only the colour it measures and a category guess the seller is asked to confirm.
"""

from decimal import Decimal

import pytest

from ai_prefill.confidence import suggestion_split
from ai_prefill.images import prepare_model_image
from ai_prefill.llm import default_model_config, prefill_suggest
from ai_prefill.models import LLMCall
from marketplace.models import Category
from marketplace.selectors import category_attributes
from tests.ai_prefill.llm_helpers import photo_jpeg

pytestmark = pytest.mark.django_db

PHOTOS = [
    (800, 500, (210, 30, 30)),
    (400, 800, (30, 60, 200)),
    (600, 600, (245, 245, 245)),
    (900, 300, (120, 80, 30)),
    (500, 500, (40, 160, 60)),
    (300, 700, (20, 20, 20)),
]


@pytest.fixture(autouse=True)
def demo(settings):
    settings.AI_PROVIDER = "demo"


def suggest(width: int, height: int, color, language: str = "en") -> dict:
    image = prepare_model_image(photo_jpeg(width, height, color))
    config = default_model_config()
    return prefill_suggest(images=[image], config=config, image_refs=["photos/demo.jpg"], language=language).suggestion


def test_it_writes_no_text_into_any_field():
    for photo in PHOTOS:
        suggestion = suggest(*photo)

        assert suggestion["title"] is None
        assert suggestion["description"] is None
        assert suggestion["price"] is None
        assert suggestion["condition"] is None
        # Whatever else it says is a slug, a colour from the attribute's closed list, or a confidence level.
        colour_choices = {choice for spec in category_attributes()[suggestion["category"]] for choice in spec.choices}
        assert set(suggestion["attributes"].values()) <= colour_choices | {None}


def test_nothing_it_suggests_fills_the_form_but_the_measured_colour():
    for photo in PHOTOS:
        split = suggestion_split(suggest(*photo))

        assert set(split.filled) <= {"colour"}
        assert {"title", "description", "price", "condition"} <= set(split.not_visible)


def test_it_offers_its_category_guess_as_a_low_confidence_choice():
    slugs = set(Category.objects.values_list("slug", flat=True))

    suggestion = suggest(800, 500, (210, 30, 30))

    assert suggestion["confidence"]["category"] == "low"
    candidates = suggestion["category_candidates"]
    assert candidates[0] == suggestion["category"] and len(set(candidates)) == len(candidates) == 3
    assert set(candidates) <= slugs
    assert suggestion_split(suggestion).choices["category"] == candidates


def test_it_fills_the_colour_of_the_photo_when_the_category_has_one():
    with_colour = 0
    for width, height, color in PHOTOS:
        suggestion = suggest(width, height, color)
        attributes = category_attributes()[suggestion["category"]]
        assert set(suggestion["attributes"]) == {spec.slug for spec in attributes}
        if "colour" in suggestion["attributes"]:
            with_colour += 1
            expected = {(210, 30, 30): "red", (30, 60, 200): "blue", (245, 245, 245): "white"}.get(color)
            assert expected is None or suggestion["attributes"]["colour"] == expected
            assert suggestion["confidence"]["colour"] == "medium"
    assert with_colour >= 2  # else the photos above test nothing


def test_it_gives_the_same_suggestion_for_the_same_photo_and_records_the_language():
    assert suggest(800, 500, (40, 160, 60)) == suggest(800, 500, (40, 160, 60))
    assert suggest(800, 500, (40, 160, 60), language="it")["language"] == "it"


def test_it_records_a_free_call_like_the_models():
    suggest(800, 500, (210, 30, 30))

    (call,) = LLMCall.objects.all()
    assert (call.provider, call.model, call.attempt) == ("demo", "demo", 1)
    assert (call.input_tokens, call.output_tokens, call.cost) == (0, 0, Decimal(0))
    assert call.error_type == ""
    assert call.request["image_refs"] == ["photos/demo.jpg"]
    assert call.request["features"]["colour"] == "red"
    assert '"category_candidates"' in call.raw_output

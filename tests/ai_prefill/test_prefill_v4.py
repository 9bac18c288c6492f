"""prefill-v4: the attributes, "not visible", confidence and candidates, in the seller's language.

Through the real SDK and the fake server (which builds its answer from the schema sent, as strict structured
outputs would), in both API styles, whole and streamed.
"""

import json

import pytest
from django.utils import translation

from ai_prefill.images import prepare_model_image
from ai_prefill.live import live_analysis
from ai_prefill.llm import PrefillFailed, model_config_for, prefill_suggest
from ai_prefill.llm.prompt import CATEGORY_SLUGS_MARK, prompt_get, prompt_read
from ai_prefill.llm.schema import SuggestionInvalid, suggestion_check_v4, suggestion_model_v4
from ai_prefill.llm.streaming import completed_fields
from ai_prefill.llm.suggest import taxonomy_read
from ai_prefill.models import LLMCall, PromptVersion
from ai_prefill.services import analysis_start
from marketplace.models import Category, CategoryAttribute
from marketplace.selectors import category_attributes
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.ai_prefill.test_llm_streaming import LiveWatcher
from tests.factories import jpeg_bytes, photo_upload
from tests.fake_openai import request_instructions, request_json_schema, strict_schema_problem

pytestmark = pytest.mark.django_db

V4 = "prefill-v4"


@pytest.fixture(params=["responses", "chat"])
def api_style(request, settings):
    settings.AI_API_STYLE = request.param
    return request.param


@pytest.fixture(params=[False, True], ids=["whole", "streamed"])
def stream(request, settings):
    settings.AI_STREAM = request.param
    return request.param


def suggest(language: str = "en", **config):
    return prefill_suggest(
        images=[prepare_model_image(photo_jpeg())],
        config=model_config_for(prompt_version=V4, **config),
        image_refs=["photos/x.jpg"],
        language=language,
    )


def attribute_slugs(category: str) -> list[str]:
    return [attribute.slug for attribute in category_attributes()[category]]


# The version and its stored schema


def test_prefill_v4_is_registered_with_marks_for_the_taxonomy():
    stored = PromptVersion.objects.get(version=V4)
    properties = stored.output_schema["properties"]

    assert stored.content_hash == prompt_read(V4).content_hash == stored.as_prompt().content_hash
    assert stored.as_prompt().output == "v4"
    assert properties["category"]["enum"] == [CATEGORY_SLUGS_MARK]
    assert properties["category_candidates"]["items"]["enum"] == [CATEGORY_SLUGS_MARK]
    assert list(properties["attributes"]["properties"]) == ["{attribute slug}", "{choice attribute slug}"]
    assert "{attribute slug}" in properties["confidence"]["properties"]


def test_a_staff_edit_of_the_attributes_changes_what_is_sent_not_the_registered_version(fake_openai):
    electronics = Category.objects.get(slug="electronics")
    CategoryAttribute.objects.create(category=electronics, slug="storage", name="Storage", hint="As printed, 64 GB.")

    prompt_get(V4)  # not refused as changed
    suggest()

    schema = request_json_schema(fake_openai.last_request.body)
    assert schema["properties"]["attributes"]["properties"]["storage"]["description"] == "As printed, 64 GB."
    assert "storage" in schema["properties"]["confidence"]["required"]
    assert PromptVersion.objects.get(version=V4).content_hash == prompt_read(V4).content_hash


# What is sent


def test_the_schema_sent_is_strict_and_carries_every_categorys_attributes(fake_openai, api_style):
    suggest()

    schema = request_json_schema(fake_openai.last_request.body)
    properties = schema["properties"]
    assert strict_schema_problem(schema) is None
    all_slugs = {attribute.slug for attribute in CategoryAttribute.objects.all()}
    assert set(properties["attributes"]["properties"]) == all_slugs
    assert properties["attributes"]["properties"]["brand"]["type"] == ["string", "null"]
    colour = CategoryAttribute.objects.filter(slug="colour").first()
    assert properties["attributes"]["properties"]["colour"]["enum"] == [*colour.choices, None]
    assert set(properties["confidence"]["required"]) == {"title", "description", "category", "price", "condition"} | (
        all_slugs
    )
    assert properties["price"]["type"] == ["number", "null"]
    assert properties["condition"]["enum"][-1] is None
    assert properties["category_candidates"]["items"]["enum"] == list(
        Category.objects.order_by("position", "name").values_list("slug", flat=True)
    )


def test_an_italian_seller_is_asked_in_italian_with_the_taxonomy_in_italian(fake_openai, api_style):
    suggest(language="it")

    body = fake_openai.last_request.body
    instructions = request_instructions(body)
    assert "Write the title and the description in Italian" in instructions
    assert "  - electronics: Elettronica" in instructions
    assert "brand (Marca)" in instructions and "colour (Colore: one of black" in instructions
    assert "{language}" not in instructions and "{attributes}" not in instructions
    # The instructions follow the argument, not the language this thread happens to be in.
    with translation.override("it"):
        suggest(language="en")
    assert "  - electronics: Electronics" in request_instructions(fake_openai.last_request.body)


# What comes back


def test_an_italian_seller_gets_an_italian_suggestion_with_the_categorys_attributes(fake_openai, api_style, stream):
    fake_openai.answer = {
        "category": "electronics",
        "category_candidates": ["toys-kids", "electronics", "toys-kids", "other", "books"],
        "attributes": {"brand": "Sony", "model": None, "colour": "black", "author": "Not this category's"},
        "confidence": {"brand": "high", "model": "low", "colour": "medium", "price": "low"},
        "price": None,
    }

    result = suggest(language="it")

    assert result.suggestion == {
        "title": "Tazza in ceramica rossa",
        "description": "Tazza rossa, usata poche volte, senza scheggiature.",
        "category": "electronics",
        "price": None,
        "condition": "good",
        # Exactly the category's attributes: the author (books) is dropped.
        "attributes": {"brand": "Sony", "model": None, "colour": "black"},
        "confidence": {
            "title": "high",
            "description": "high",
            "category": "high",
            "price": "low",
            "condition": "high",
            "brand": "high",
            "model": "low",
            "colour": "medium",
        },
        # No repeats, the category first, at most three.
        "category_candidates": ["electronics", "toys-kids", "other"],
        "language": "it",
    }


def test_text_in_another_language_is_retried_once(fake_openai, api_style, stream):
    fake_openai.script(["wrong_language"])

    result = suggest(language="it")

    assert result.attempts == 2
    assert result.suggestion["title"] == "Tazza in ceramica rossa"
    first, second = LLMCall.objects.order_by("attempt")
    assert first.error_type == "wrong_language" and "'en'" in first.error_message
    assert second.error_type == ""


def test_text_twice_in_another_language_fails_with_a_sentence_for_the_seller(fake_openai, stream):
    fake_openai.script(["wrong_language", "wrong_language", "ok"])

    with pytest.raises(PrefillFailed) as failure:
        suggest(language="en")

    assert failure.value.error_type == "wrong_language"
    assert failure.value.attempts == 2
    assert failure.value.user_message == (
        "We couldn't write the suggestion in your language. Please fill in the form yourself."
    )


def test_earlier_versions_are_not_held_to_a_language(fake_openai):
    fake_openai.answer = {"title": "Tazza rossa", "description": "Usata poche volte, senza scheggiature."}

    result = prefill_suggest(
        images=[prepare_model_image(photo_jpeg())],
        config=model_config_for(prompt_version="prefill-v3"),
        language="en",
    )

    assert result.attempts == 1
    assert "language" not in result.suggestion and "confidence" not in result.suggestion


# The checks, rule by rule


def check(**answer):
    taxonomy = taxonomy_read(language="en")
    answer = {
        "title": "Black phone",
        "description": "A phone.",
        "category": "electronics",
        "category_candidates": ["electronics"],
        "price": 40.0,
        "condition": "good",
        "attributes": {"brand": None, "model": None, "colour": "black"},
        "confidence": dict.fromkeys(("title", "description", "category", "price", "condition"), "high")
        | {"brand": "low", "model": "low", "colour": "high"},
        **answer,
    }
    output = suggestion_model_v4(taxonomy.category_slugs).model_validate_json(json.dumps(answer))
    return suggestion_check_v4(output, taxonomy=taxonomy, language="en")


def test_the_check_keeps_nulls_as_not_visible():
    checked = check(description="  ", price=None, condition=None)

    assert (checked["description"], checked["price"], checked["condition"]) == (None, None, None)
    assert check(price=12.345)["price"] == "12.35"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"title": "  "}, "The title is empty."),
        ({"attributes": {"brand": None, "model": None, "colour": "tartan"}}, "The colour 'tartan' is not one of"),
        ({"attributes": {"brand": None, "colour": "black"}}, "no value for the attribute 'model'"),
        ({"attributes": {"brand": "x" * 101, "model": None, "colour": None}}, "The brand has 101 characters"),
        ({"confidence": {"title": "high"}}, "The confidence of 'description' is None"),
        ({"price": -1.0}, "The price -1.0 is not between 0"),
    ],
    ids=["empty title", "colour off its list", "attribute missing", "long attribute", "confidence missing", "price"],
)
def test_the_check_refuses_what_breaks_the_contract(answer, message):
    with pytest.raises(SuggestionInvalid, match=message):
        check(**answer)


def test_the_check_keeps_only_the_categorys_attributes_and_known_candidates():
    checked = check(
        category="books",
        category_candidates=["other", "books", "other", "electronics", "toys-kids"],
        attributes={"author": " Italo Calvino ", "brand": "Penguin", "colour": "black"},
        confidence={
            **dict.fromkeys(("title", "description", "category", "price", "condition"), "medium"),
            "author": "high",
            "brand": "high",
        },
    )

    assert checked["attributes"] == {"author": "Italo Calvino"}
    assert set(checked["confidence"]) == {"title", "description", "category", "price", "condition", "author"}
    assert checked["category_candidates"] == ["books", "other", "electronics"]
    assert attribute_slugs("books") == ["author"]


# Streaming


def test_the_stream_shows_the_categorys_attributes_once_their_object_is_complete():
    taxonomy = taxonomy_read(language="en")
    answer = {
        "title": "Black phone",
        "description": None,
        "category": "electronics",
        "category_candidates": ["electronics", "other"],
        "price": None,
        "condition": "good",
        "attributes": {"brand": "Nokia", "model": None, "colour": "black", "author": "x"},
        "confidence": {"title": "high", "brand": "medium", "author": "low"},
    }
    text = json.dumps(answer)
    slugs = taxonomy.category_slugs

    inside_attributes = completed_fields(text[: text.index('"colour"')], category_slugs=slugs, taxonomy=taxonomy)
    before_confidence = completed_fields(
        text[: text.index('"confidence"') + 3], category_slugs=slugs, taxonomy=taxonomy
    )
    whole = completed_fields(text, category_slugs=slugs, taxonomy=taxonomy)

    assert "attributes" not in inside_attributes and inside_attributes["category_candidates"] == [
        "electronics",
        "other",
    ]
    # Nulls are not shown: not visible is no value to preview.
    assert "description" not in inside_attributes and "price" not in inside_attributes
    assert before_confidence["attributes"] == {"brand": "Nokia", "colour": "black"}
    assert "confidence" not in before_confidence
    assert whole["confidence"] == {"title": "high", "brand": "medium"}  # levels of other categories' attributes dropped


def test_a_stream_publishes_the_categorys_attributes_and_confidence_as_the_suggestion_has_them(
    fake_openai, settings, seller, api_style
):
    settings.AI_STREAM = True
    fake_openai.token_pace, fake_openai.stream_chunk_chars = 0.01, 16
    fake_openai.answer = {"category": "electronics", "attributes": {"brand": "Sony"}}
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=jpeg_bytes(800, 600))])

    with LiveWatcher(str(analysis.pk)) as watcher, live_analysis(analysis_id=analysis.pk):
        result = suggest(language="it")

    # What the page sees between publishes depends on timing; the order never does.
    assert all("attributes" in seen for seen in watcher.seen if "confidence" in seen), watcher.seen
    assert watcher.seen[-1]["attributes"] == {"brand": "Sony", "colour": "red"}  # the model, a null, is not shown
    assert watcher.seen[-1]["confidence"] == result.suggestion["confidence"]  # the category's attributes only
    assert watcher.seen[-1]["title"] == result.suggestion["title"] == "Tazza in ceramica rossa"

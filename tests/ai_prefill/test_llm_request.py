"""What we send the model and what we keep of a good answer, in both API styles."""

import io
import re

import pytest
from PIL import Image

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import ModelConfig, default_model_config, model_config_for, prefill_suggest
from ai_prefill.llm.prompt import current_prompt_version, prompt_get
from ai_prefill.llm.types import Taxonomy
from ai_prefill.models import LLMCall
from marketplace.models import Category, Condition
from tests.ai_prefill.llm_helpers import gps_exif, photo_jpeg, received_image
from tests.fake_openai import decode_data_url, request_image_details, request_image_urls, request_json_schema

pytestmark = pytest.mark.django_db

IMAGE_REF = "photos/large/ab/0123456789abcdef.jpg"


@pytest.fixture(params=["responses", "chat"])
def api_style(request, settings):
    settings.AI_API_STYLE = request.param
    return request.param


def suggest(image: bytes | None = None, config: ModelConfig | None = None):
    return prefill_suggest(
        images=[image or prepare_model_image(photo_jpeg())],
        config=config or default_model_config(),
        image_refs=[IMAGE_REF],
    )


def instructions_sent(body: dict) -> str:
    if "instructions" in body:
        return body["instructions"]
    (system,) = [message for message in body["messages"] if message["role"] == "system"]
    return system["content"]


def our_categories() -> list[tuple[str, str]]:
    return list(Category.objects.order_by("position", "name").values_list("slug", "name"))


def test_it_returns_the_models_suggestion_in_both_styles(fake_openai, api_style):
    fake_openai.answer = {"title": "Garden chair", "category": "home-garden", "price": 12.5, "condition": "fair"}

    result = suggest()

    assert result.attempts == 1
    assert result.suggestion == {
        "title": "Garden chair",
        "description": "Red mug, used a few times, no chips.",
        "category": "home-garden",
        "price": "12.50",
        "condition": "fair",
    }
    expected_path = "/v1/chat/completions" if api_style == "chat" else "/v1/responses"
    assert [request.path for request in fake_openai.requests] == [expected_path]


def test_it_records_a_successful_call(fake_openai, api_style):
    suggest()

    (call,) = LLMCall.objects.all()
    assert call.analysis is None
    assert (call.provider, call.model, call.api_style) == ("openai", "gpt-4o-mini", api_style)
    assert call.prompt_version == current_prompt_version()
    assert (call.attempt, call.http_status, call.error_type) == (1, 200, "")
    assert (call.input_tokens, call.output_tokens) == (850, 60)
    assert call.cost > 0
    assert '"title": "Red ceramic mug"' in call.raw_output
    assert call.request["model"] == "gpt-4o-mini"


def test_the_model_receives_a_small_jpeg_without_exif_even_from_a_big_gps_tagged_photo(fake_openai, api_style):
    big_photo = photo_jpeg(6000, 4000, exif=gps_exif())

    suggest(image=prepare_model_image(big_photo))

    body = fake_openai.last_request.body
    received = Image.open(io.BytesIO(received_image(body)))
    assert received.format == "JPEG"
    assert max(received.size) <= 1024
    assert not received.getexif()
    assert request_image_details(body) == ["low"]


def test_the_prompt_names_exactly_our_categories(fake_openai, api_style):
    suggest()

    instructions = instructions_sent(fake_openai.last_request.body)
    named = re.findall(r"^  - ([a-z0-9-]+): (.+)$", instructions.split("category:")[1].split("- price:")[0], re.M)
    assert named == our_categories()


def test_the_prompt_names_every_condition(fake_openai):
    suggest()

    instructions = instructions_sent(fake_openai.last_request.body)
    named = re.findall(r"^  - ([a-z_]+): ", instructions.split("- condition:")[1], re.M)
    assert named == list(Condition.values)


def test_the_schema_sent_is_our_strict_schema_and_describes_our_pydantic_model(fake_openai, api_style):
    suggest()

    slugs = tuple(slug for slug, _ in our_categories())
    sent = request_json_schema(fake_openai.last_request.body)
    # Written out by hand (so pydantic cannot move the prompt hash), it must still say what the parser expects.
    taxonomy = Taxonomy(categories=tuple(our_categories()))
    generated = prompt_get(current_prompt_version()).output_model(taxonomy).model_json_schema()
    assert sent == {**generated, "additionalProperties": False}
    assert sent["properties"]["category"]["enum"] == list(slugs)
    assert sent["properties"]["condition"]["enum"] == list(Condition.values)
    assert sent["additionalProperties"] is False
    assert set(sent["required"]) == {"title", "description", "category", "price", "condition"}


def test_the_taxonomy_is_read_at_call_time(fake_openai):
    Category.objects.create(slug="music", name="Music", position=99)

    suggest()

    body = fake_openai.last_request.body
    assert "music" in request_json_schema(body)["properties"]["category"]["enum"]
    assert "  - music: Music" in instructions_sent(body)


def test_it_sends_the_configured_model_and_limits(fake_openai, api_style):
    config = ModelConfig(
        provider="openai",
        model="gpt-4.1-mini",
        api_style=api_style,
        prompt_version=current_prompt_version(),
        timeout_seconds=5,
        params={"temperature": 0.1, "max_output_tokens": 300},
    )

    suggest(config=config)

    body = fake_openai.last_request.body
    assert body["model"] == "gpt-4.1-mini"
    assert body["temperature"] == 0.1
    assert body["max_tokens" if api_style == "chat" else "max_output_tokens"] == 300


def test_text_options_among_the_parameters_are_sent_beside_the_schema(fake_openai):
    config = model_config_for(api_style="responses", params={"verbosity": "low"})

    result = suggest(config=config)

    text = fake_openai.last_request.body["text"]
    assert text["verbosity"] == "low"
    assert (text["format"]["type"], text["format"]["strict"]) == ("json_schema", True)
    assert result.suggestion["title"] == "Red ceramic mug"


def test_a_reasoning_model_gets_no_temperature(settings):
    settings.AI_PROVIDER = "openai"
    settings.AI_MODEL = "gpt-5-mini"

    config = default_model_config()

    assert "temperature" not in config.params
    assert default_model_config().params["max_output_tokens"] == settings.AI_MAX_OUTPUT_TOKENS


def test_it_reuses_one_connection_across_calls(fake_openai):
    suggest()
    suggest()

    first, second = fake_openai.requests
    assert first.client_port == second.client_port


def test_it_sends_the_api_key_when_one_is_set(fake_openai, settings):
    settings.OPENAI_API_KEY = "sk-test-key"
    fake_openai.api_key = "sk-test-key"

    result = suggest()

    assert result.attempts == 1
    assert fake_openai.last_request.headers["authorization"] == "Bearer sk-test-key"


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_every_photo_goes_as_its_own_image_in_order_and_the_record_names_each(fake_openai, api_style, settings, stream):
    settings.AI_STREAM = stream
    colours = [(220, 30, 30), (30, 200, 40), (30, 40, 220)]
    images = [prepare_model_image(photo_jpeg(320, 240, color=colour)) for colour in colours]
    refs = ["photos/medium/a.jpg", "photos/medium/b.jpg", "photos/medium/c.jpg"]

    prefill_suggest(images=images, config=default_model_config(), image_refs=refs)

    body = fake_openai.last_request.body
    assert [decode_data_url(url)[1] for url in request_image_urls(body)] == images
    assert request_image_details(body) == ["low", "low", "low"]
    assert "these 3 photos" in str(body)
    recorded = str(LLMCall.objects.get().request)
    assert "data:image" not in recorded
    assert [recorded.index(ref) for ref in refs] == sorted(recorded.index(ref) for ref in refs)


def test_no_photo_or_nine_are_refused_before_any_call(fake_openai):
    image = prepare_model_image(photo_jpeg())
    for images in ([], [image] * 9):
        with pytest.raises(ValueError, match="1 to 8 images"):
            prefill_suggest(images=images, config=default_model_config())
    assert fake_openai.requests == [] and not LLMCall.objects.exists()

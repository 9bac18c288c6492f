"""Every way the model can fail, through the real SDK over HTTP to the fake server, and what we record."""

import base64
import json
from decimal import Decimal

import pytest

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import MAX_ATTEMPTS, PrefillFailed, default_model_config, prefill_suggest
from ai_prefill.models import Analysis, LLMCall
from marketplace.services.photos import make_renditions, photo_create
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.factories import photo_upload
from tests.fake_openai import REFUSAL_TEXT

pytestmark = pytest.mark.django_db

IMAGE_REF = "photos/large/ab/0123456789abcdef.jpg"
# gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output; the fake reports 850 and 60.
COST_OF_ONE_ANSWER = Decimal("0.000164")


@pytest.fixture(params=["responses", "chat"])
def api_style(request, settings):
    settings.AI_API_STYLE = request.param
    return request.param


def suggest(image: bytes | None = None, analysis=None):
    return prefill_suggest(
        images=[image or prepare_model_image(photo_jpeg())],
        config=default_model_config(),
        analysis=analysis,
        image_refs=[IMAGE_REF],
    )


def recorded_calls() -> list[LLMCall]:
    return list(LLMCall.objects.order_by("attempt"))


def assert_request_recorded_without_image(call: LLMCall, image: bytes) -> None:
    recorded = json.dumps(call.request)
    assert IMAGE_REF in recorded
    assert "base64" not in recorded
    assert base64.b64encode(image).decode()[:200] not in recorded


def test_it_waits_out_a_rate_limit_and_then_succeeds(fake_openai):
    fake_openai.retry_after = 0.3
    fake_openai.script(["429", "ok"])

    result = suggest()

    assert result.attempts == 2
    first, second = recorded_calls()
    assert (first.attempt, first.error_type, first.http_status) == (1, "rate_limited", 429)
    assert (first.input_tokens, first.output_tokens, first.cost) == (0, 0, Decimal(0))
    assert (second.attempt, second.error_type, second.http_status) == (2, "", 200)
    assert (second.input_tokens, second.output_tokens, second.cost) == (850, 60, COST_OF_ONE_ANSWER)
    asked_at = [request.received_at for request in fake_openai.requests]
    assert asked_at[1] - asked_at[0] >= 0.3  # Retry-After honoured, though the backoff alone is ~1 ms


def test_it_caps_a_long_retry_after(fake_openai, settings):
    settings.AI_RETRY_AFTER_MAX_SECONDS = 0.05
    fake_openai.retry_after = 600
    fake_openai.script(["429", "ok"])

    result = suggest()

    assert result.attempts == 2
    asked_at = [request.received_at for request in fake_openai.requests]
    assert asked_at[1] - asked_at[0] < 60


def test_it_gives_up_after_three_server_errors(fake_openai):
    fake_openai.default = "500"
    image = prepare_model_image(photo_jpeg())

    with pytest.raises(PrefillFailed) as failed:
        suggest(image)

    assert failed.value.error_type == "server_error"
    assert failed.value.attempts == MAX_ATTEMPTS == 3
    assert failed.value.user_message.endswith("Please fill in the form yourself.")
    calls = recorded_calls()
    assert [(call.attempt, call.error_type, call.http_status) for call in calls] == [
        (1, "server_error", 500),
        (2, "server_error", 500),
        (3, "server_error", 500),
    ]
    assert all("server had an error" in call.error_message for call in calls)
    for call in calls:
        assert_request_recorded_without_image(call, image)
    assert len(fake_openai.requests) == 3  # the SDK's own retries are off


def test_it_times_out_a_hanging_server(fake_openai, settings):
    settings.AI_TIMEOUT_SECONDS = 0.3
    fake_openai.default = "hang"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "timeout"
    calls = recorded_calls()
    assert [(call.attempt, call.error_type, call.http_status) for call in calls] == [
        (1, "timeout", None),
        (2, "timeout", None),
        (3, "timeout", None),
    ]
    assert all(call.latency_ms >= 300 for call in calls)


def test_it_retries_a_dropped_connection(fake_openai):
    fake_openai.script(["drop", "drop", "ok"])

    result = suggest()

    assert result.attempts == 3
    assert [call.error_type for call in recorded_calls()] == ["connection_error", "connection_error", ""]


def test_it_retries_truncated_json_once_with_a_larger_cap_then_fails(fake_openai, api_style, settings):
    fake_openai.default = "truncated"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "output_truncated"
    calls = recorded_calls()
    assert [(call.attempt, call.error_type) for call in calls] == [(1, "output_truncated"), (2, "output_truncated")]
    # The retry asks for twice the cap: the first one may have been used up by the thinking.
    caps = [request.body.get("max_output_tokens") or request.body.get("max_tokens") for request in fake_openai.requests]
    assert caps == [settings.AI_MAX_OUTPUT_TOKENS, 2 * settings.AI_MAX_OUTPUT_TOKENS]
    # What the model said and what it cost are kept even though it could not be parsed.
    assert calls[0].raw_output.startswith('{"title": "Red ceramic mug"')
    with pytest.raises(ValueError):
        json.loads(calls[0].raw_output)
    assert (calls[0].input_tokens, calls[0].output_tokens, calls[0].cost) == (850, 60, COST_OF_ONE_ANSWER)


def test_it_retries_prose_around_the_json_once_then_fails(fake_openai):
    fake_openai.default = "invalid_json"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "invalid_output"
    assert len(recorded_calls()) == 2
    assert recorded_calls()[0].raw_output.startswith("Sure! Here are the details:")


def test_it_retries_a_refusal_once_then_fails(fake_openai, api_style):
    fake_openai.default = "refusal"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "refusal"
    calls = recorded_calls()
    assert [(call.attempt, call.error_type) for call in calls] == [(1, "refusal"), (2, "refusal")]
    assert calls[0].raw_output == REFUSAL_TEXT
    assert calls[0].error_message == REFUSAL_TEXT


def test_it_succeeds_when_the_retry_after_a_refusal_answers(fake_openai):
    fake_openai.script(["refusal", "ok"])

    result = suggest()

    assert result.attempts == 2
    assert [call.error_type for call in recorded_calls()] == ["refusal", ""]


def test_it_treats_a_category_outside_the_taxonomy_as_a_schema_violation(fake_openai, api_style):
    fake_openai.default = "bad_category"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "schema_violation"
    calls = recorded_calls()
    assert [(call.attempt, call.error_type) for call in calls] == [(1, "schema_violation"), (2, "schema_violation")]
    assert "spaceships" in calls[0].error_message
    assert '"category": "spaceships"' in calls[0].raw_output


@pytest.mark.parametrize(("behaviour", "complaint"), [("negative_price", "price"), ("long_title", "title")])
def test_it_enforces_our_limits_after_parsing(fake_openai, behaviour, complaint):
    fake_openai.default = behaviour

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "schema_violation"
    assert complaint in failed.value.detail
    assert len(recorded_calls()) == 2


def test_it_fails_at_once_on_an_auth_error(fake_openai):
    fake_openai.default = "401"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "auth_error"
    assert failed.value.attempts == 1
    assert [(call.attempt, call.error_type, call.http_status) for call in recorded_calls()] == [(1, "auth_error", 401)]
    assert "API key" not in failed.value.user_message  # the seller is told plainly, not about our keys


def test_it_fails_at_once_on_a_bad_request(fake_openai):
    fake_openai.default = "400"

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "bad_request"
    assert len(recorded_calls()) == 1


def test_output_and_service_failures_share_the_three_attempts(fake_openai):
    fake_openai.script(["500", "bad_category", "bad_category"])

    with pytest.raises(PrefillFailed) as failed:
        suggest()

    assert failed.value.error_type == "schema_violation"
    assert [call.error_type for call in recorded_calls()] == ["server_error", "schema_violation", "schema_violation"]


def test_it_links_every_attempt_to_the_analysis(fake_openai, seller):
    photo = photo_create(owner=seller, renditions=make_renditions(photo_upload()))
    analysis = Analysis.objects.create(user=seller, photo=photo)
    fake_openai.script(["503", "ok"])

    suggest(analysis=analysis)

    assert [call.attempt for call in analysis.llm_calls.order_by("attempt")] == [1, 2]

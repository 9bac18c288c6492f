"""gpt-6-luna and its family through the real SDK against the fake: what is sent, billed and retried."""

import pytest

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import PrefillFailed, default_model_config, model_config_for, prefill_suggest
from ai_prefill.llm.pricing import cost_estimate
from ai_prefill.models import LLMCall
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.fake_openai import REASONING_TOKENS

pytestmark = pytest.mark.django_db


# Each API style, with the whole answer at once and streamed (AI_STREAM): both paths bill, cap and retry alike.
@pytest.fixture(params=[("responses", False), ("responses", True), ("chat", False), ("chat", True)],
                ids=["responses", "responses-streamed", "chat", "chat-streamed"])  # fmt: skip
def luna(request, settings, fake_openai):
    api_style, settings.AI_STREAM = request.param
    settings.AI_MODEL = "gpt-6-luna"
    settings.AI_API_STYLE = api_style
    settings.AI_PROMPT_VERSION = "prefill-v1"  # its temperature is left out; gpt-6-luna reasons at its default effort
    fake_openai.cached_input_tokens = 512
    return api_style


def sent_bodies(server) -> list[dict]:
    return [request.body for request in server.requests]


def suggest(config=None):
    return prefill_suggest(images=[prepare_model_image(photo_jpeg())], config=config or default_model_config())


def test_an_analysis_on_gpt_6_luna_succeeds_and_records_tokens_and_cost_as_billed(fake_openai, luna):
    result = suggest()

    assert result.attempts == 1
    body = fake_openai.last_request.body
    assert "temperature" not in body and "max_tokens" not in body
    assert "reasoning" not in body and "reasoning_effort" not in body
    assert body["max_completion_tokens" if luna == "chat" else "max_output_tokens"] == 2000
    call = LLMCall.objects.get()
    reasoning = REASONING_TOKENS["medium"]  # the model's default effort
    assert (call.input_tokens, call.cached_input_tokens) == (850, 512)
    assert (call.output_tokens, call.reasoning_tokens) == (60 + reasoning, reasoning)
    # $0.10 per million uncached input, $0.01 cached, $0.50 output with the reasoning in it (genai-prices).
    billed = {"input_tokens": 850, "cached_input_tokens": 512, "output_tokens": 60 + reasoning}
    assert call.cost == cost_estimate(model="gpt-6-luna", **billed)
    assert float(call.cost) == pytest.approx((338 * 0.10 + 512 * 0.01 + (60 + reasoning) * 0.50) / 1e6, abs=1e-6)


def test_the_reasoning_prompt_sends_its_effort_in_each_apis_shape(fake_openai, luna):
    result = suggest(model_config_for(prompt_version="prefill-v3"))

    assert result.attempts == 1
    body = fake_openai.last_request.body
    if luna == "chat":
        assert body["reasoning_effort"] == "none"
    else:
        assert body["reasoning"] == {"effort": "none"}
    assert LLMCall.objects.get().reasoning_tokens == 0


def test_the_reasoning_prompt_on_the_old_model_is_sent_without_an_effort(fake_openai, settings):
    settings.AI_MODEL = "gpt-4o-mini"

    for api_style in ("responses", "chat"):
        assert suggest(model_config_for(prompt_version="prefill-v3", api_style=api_style)).attempts == 1
        body = fake_openai.last_request.body
        assert "reasoning" not in body and "reasoning_effort" not in body


def test_a_cap_the_thinking_uses_up_is_retried_once_with_a_larger_cap(fake_openai, luna):
    # medium reasons 320 tokens: a 300-token cap leaves no room for the answer, 600 does.
    config = model_config_for(params={"reasoning_effort": "medium", "max_output_tokens": 300})

    result = suggest(config)

    assert result.attempts == 2
    calls = LLMCall.objects.order_by("attempt")
    assert [call.error_type for call in calls] == ["output_truncated", ""]
    assert "cut off at the output-token limit (300)" in calls[0].error_message
    assert calls[0].reasoning_tokens == 300 and calls[0].cost > 0  # the thinking is paid for even so
    caps = [body.get("max_output_tokens") or body.get("max_completion_tokens") for body in sent_bodies(fake_openai)]
    assert caps == [300, 600]


def test_a_cap_still_too_small_after_the_retry_fails_clearly(fake_openai, luna):
    config = model_config_for(params={"reasoning_effort": "max", "max_output_tokens": 300})

    with pytest.raises(PrefillFailed) as failed:
        suggest(config)

    assert (failed.value.error_type, failed.value.attempts) == ("output_truncated", 2)
    assert failed.value.user_message == "We couldn't suggest details for this photo. Please fill in the form yourself."

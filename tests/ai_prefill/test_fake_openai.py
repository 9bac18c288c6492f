"""The fake OpenAI server speaks the real wire format: checked here with the real SDK and its types."""

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletion
from openai.types.responses import Response
from pydantic import BaseModel

from tests.fake_openai import REFUSAL_TEXT, FakeOpenAI


class Suggestion(BaseModel):
    title: str
    description: str
    category: Literal["books", "other"]
    price: float
    condition: Literal["new", "good"]


RESPONSES_INPUT = [
    {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": "data:image/jpeg;base64,/9j/", "detail": "low"},
        ],
    }
]
CHAT_MESSAGES = [
    {"role": "system", "content": "Describe the item."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/", "detail": "low"}},
        ],
    },
]


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def client(server):
    return OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0, timeout=5)


def test_it_answers_the_responses_api_in_its_wire_format(server, client):
    raw = client.responses.with_raw_response.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)

    Response.model_validate(raw.http_response.json())
    parsed = raw.parse()
    assert parsed.output_parsed.category == "books"  # the first value the schema allows
    assert parsed.usage.input_tokens == server.input_tokens
    assert parsed.usage.output_tokens == server.output_tokens


def test_it_answers_the_chat_completions_api_in_its_wire_format(server, client):
    raw = client.chat.completions.with_raw_response.parse(
        model="gpt-4o-mini", messages=CHAT_MESSAGES, response_format=Suggestion
    )

    ChatCompletion.model_validate(raw.http_response.json())
    parsed = raw.parse()
    assert parsed.choices[0].message.parsed.category == "books"
    assert parsed.usage.prompt_tokens == server.input_tokens
    assert parsed.usage.completion_tokens == server.output_tokens


def test_it_records_every_request_with_its_body_and_headers(server, client):
    client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)

    request = server.last_request
    assert request.path == "/v1/responses"
    assert request.body["input"] == RESPONSES_INPUT
    assert request.body["text"]["format"]["type"] == "json_schema"
    assert request.headers["authorization"] == "Bearer test-key"


def test_it_answers_a_configured_suggestion(server, client):
    server.answer = {"title": "Paperback novel", "category": "other"}

    parsed = client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)

    assert parsed.output_parsed.title == "Paperback novel"
    assert parsed.output_parsed.category == "other"


def test_it_rejects_a_request_the_sdk_types_do_not_allow(client):
    bad_input = [{"role": "user", "content": [{"type": "input_image", "image_url": "x", "detail": "huge"}]}]

    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input=bad_input)

    assert "detail" in caught.value.message
    assert caught.value.body["type"] == "invalid_request_error"


def test_it_rejects_an_unknown_parameter(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=CHAT_MESSAGES, extra_body={"colour": "red"})

    assert "colour" in caught.value.message


def test_it_plays_scripted_failures_in_order_then_answers(server, client):
    server.retry_after = 0.5
    server.script(["429", "500"])

    with pytest.raises(openai.RateLimitError) as rate_limited:
        client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)
    with pytest.raises(openai.InternalServerError):
        client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)
    parsed = client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)

    assert rate_limited.value.response.headers["retry-after"] == "0.5"
    assert parsed.output_parsed is not None
    assert [request.behaviour for request in server.requests] == ["429", "500", "ok"]


def test_it_refuses_in_both_styles(server, client):
    server.default = "refusal"

    response = client.responses.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)
    completion = client.chat.completions.parse(model="gpt-4o-mini", messages=CHAT_MESSAGES, response_format=Suggestion)

    assert response.output[0].content[0].type == "refusal"
    assert response.output[0].content[0].refusal == REFUSAL_TEXT
    assert completion.choices[0].message.refusal == REFUSAL_TEXT
    assert completion.choices[0].message.parsed is None


def test_it_truncates_like_an_output_token_limit(server, client):
    server.default = "truncated"

    raw = client.responses.with_raw_response.parse(model="gpt-4o-mini", input=RESPONSES_INPUT, text_format=Suggestion)
    body = raw.http_response.json()

    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(model="gpt-4o-mini", messages=CHAT_MESSAGES, response_format=Suggestion)


def test_it_answers_outside_the_schema_when_told(server, client):
    server.script(["bad_category", "negative_price"])

    first = client.responses.with_raw_response.parse(model="gpt-4o-mini", input=RESPONSES_INPUT)
    second = client.responses.with_raw_response.parse(model="gpt-4o-mini", input=RESPONSES_INPUT)

    assert '"category": "spaceships"' in first.http_response.json()["output"][0]["content"][0]["text"]
    assert '"price": -5' in second.http_response.json()["output"][0]["content"][0]["text"]


def test_it_hangs_past_the_client_timeout():
    with FakeOpenAI() as server:
        server.default = "hang"
        client = OpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=0.2)

        with pytest.raises(openai.APITimeoutError):
            client.responses.create(model="gpt-4o-mini", input="hello")


def test_it_drops_the_connection_when_told(server, client):
    server.default = "drop"

    with pytest.raises(openai.APIConnectionError):
        client.responses.create(model="gpt-4o-mini", input="hello")


def test_it_rejects_a_wrong_key_when_it_expects_one(server, client):
    server.api_key = "the-right-key"

    with pytest.raises(openai.AuthenticationError):
        client.responses.create(model="gpt-4o-mini", input="hello")


def test_it_answers_many_requests_at_once(server, client):
    server.latency = 0.5

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(lambda _: client.responses.create(model="gpt-4o-mini", input="hi"), range(40)))

    assert all(result.status == "completed" for result in results)
    assert server.max_in_flight > 1


def test_it_refuses_an_unknown_behaviour(server):
    with pytest.raises(ValueError, match="Unknown behaviour"):
        server.script(["explode"])


# The current generation (issue 17): what a gpt-6-luna refuses, bills and says about itself.


def test_a_reasoning_model_refuses_temperature_unless_the_effort_is_none(client):
    with pytest.raises(openai.BadRequestError, match="Unsupported parameter: 'temperature'"):
        client.responses.create(model="gpt-6-luna", input=RESPONSES_INPUT, temperature=0.2)
    with pytest.raises(openai.BadRequestError, match="Unsupported parameter: 'top_p'"):
        client.chat.completions.create(
            model="gpt-6-luna", messages=CHAT_MESSAGES, top_p=0.9, reasoning_effort="low", max_completion_tokens=900
        )

    response = client.responses.create(
        model="gpt-6-luna", input=RESPONSES_INPUT, temperature=0.2, reasoning={"effort": "none"}
    )
    assert response.status == "completed" and response.usage.output_tokens_details.reasoning_tokens == 0


def test_an_older_model_refuses_a_reasoning_effort(client):
    with pytest.raises(openai.BadRequestError, match=r"'reasoning\.effort' is not supported with this model"):
        client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, reasoning={"effort": "low"})
    with pytest.raises(openai.BadRequestError, match="'reasoning_effort' is not supported with this model"):
        client.chat.completions.create(model="gpt-4o-mini", messages=CHAT_MESSAGES, reasoning_effort="low")


def test_a_reasoning_model_refuses_max_tokens_in_chat(client):
    with pytest.raises(openai.BadRequestError, match="Use 'max_completion_tokens' instead"):
        client.chat.completions.create(model="gpt-6-luna", messages=CHAT_MESSAGES, max_tokens=900)


def test_reasoning_is_billed_as_output_and_the_default_effort_is_medium(server, client):
    server.cached_input_tokens = 512

    response = client.responses.create(model="gpt-6-luna", input=RESPONSES_INPUT)

    usage = response.usage
    assert response.reasoning.effort == "medium"
    assert usage.output_tokens_details.reasoning_tokens == server.reasoning_tokens["medium"]
    assert usage.output_tokens == server.output_tokens + server.reasoning_tokens["medium"]
    assert usage.input_tokens_details.cached_tokens == 512


def test_a_cap_the_thinking_uses_up_ends_incomplete_without_a_message(client):
    response = client.responses.create(
        model="gpt-6-luna", input=RESPONSES_INPUT, reasoning={"effort": "high"}, max_output_tokens=500
    )
    completion = client.chat.completions.create(
        model="gpt-6-luna", messages=CHAT_MESSAGES, reasoning_effort="high", max_completion_tokens=500
    )

    assert (response.status, response.incomplete_details.reason) == ("incomplete", "max_output_tokens")
    assert [item.type for item in response.output] == ["reasoning"]
    assert response.usage.output_tokens == 500
    assert completion.choices[0].finish_reason == "length" and not completion.choices[0].message.content


def test_it_says_when_a_model_shuts_down(server, client):
    assert client.models.retrieve("gpt-4o-mini").shutdown_date == "2027-01-14"
    assert client.models.retrieve("gpt-6-luna").shutdown_date is None
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("llava:13b")

    server.models_endpoint = False
    with pytest.raises(openai.NotFoundError, match="Unknown request URL: GET /v1/models/gpt-6-luna"):
        client.models.retrieve("gpt-6-luna")


def _strict_format(schema: dict) -> dict:
    return {"format": {"type": "json_schema", "name": "ListingSuggestion", "schema": schema, "strict": True}}


V4_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "description", "category", "category_candidates", "price", "attributes", "confidence"],
    "properties": {
        "title": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "category": {"type": "string", "enum": ["books", "other"]},
        "category_candidates": {"type": "array", "items": {"type": "string", "enum": ["books", "other"]}},
        "price": {"type": ["number", "null"]},
        "attributes": {
            "type": "object",
            "additionalProperties": False,
            "required": ["brand", "colour"],
            "properties": {
                "brand": {"type": ["string", "null"]},
                "colour": {"type": ["string", "null"], "enum": ["black", "red", None]},
            },
        },
        "confidence": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "brand"],
            "properties": {"title": {"type": "string", "enum": ["high", "low"]}, "brand": {"type": "string"}},
        },
    },
}


def test_it_refuses_a_strict_schema_that_leaves_a_property_out_of_required(client):
    schema = {**V4_SCHEMA, "required": ["title"]}

    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, text=_strict_format(schema))

    assert "Invalid schema for response_format 'ListingSuggestion'" in caught.value.message
    assert "Missing 'description'" in caught.value.message


def test_it_refuses_a_nested_object_without_additional_properties_false(client):
    attributes = {**V4_SCHEMA["properties"]["attributes"]}
    del attributes["additionalProperties"]
    schema = {**V4_SCHEMA, "properties": {**V4_SCHEMA["properties"], "attributes": attributes}}

    with pytest.raises(openai.BadRequestError, match="'additionalProperties' is required to be supplied"):
        client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, text=_strict_format(schema))


def test_it_answers_a_schema_with_attributes_and_confidence_as_the_schema_says(server, client):
    server.answer = {"attributes": {"brand": "Acme"}, "confidence": {"brand": "low"}}

    response = client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, text=_strict_format(V4_SCHEMA))

    answer = json.loads(response.output_text)
    assert answer["attributes"] == {"brand": "Acme", "colour": "red"}
    assert answer["confidence"] == {"title": "high", "brand": "low"}
    assert answer["category_candidates"] == ["books", "other"]
    assert answer["title"] == "Red ceramic mug"


def test_it_writes_in_italian_when_the_instructions_ask_for_it_and_in_english_when_told_wrong(server, client):
    server.script(["ok", "wrong_language"])
    asked = {"instructions": "Write the title and the description in Italian.", "text": _strict_format(V4_SCHEMA)}

    italian = client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, **asked)
    wrong = client.responses.create(model="gpt-4o-mini", input=RESPONSES_INPUT, **asked)

    assert json.loads(italian.output_text)["title"] == "Tazza in ceramica rossa"
    assert json.loads(wrong.output_text)["title"] == "Red ceramic mug"

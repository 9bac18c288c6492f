"""The fake server's streams follow OpenAI's wire format: every event checked strictly against the SDK's types.

The SDK builds stream events without validating them, so a wrong field would pass unnoticed through it;
here each `data:` line is validated with pydantic against ResponseStreamEvent / ChatCompletionChunk.
"""

import json
import time
import urllib.request

import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from tests.ai_prefill.test_fake_openai import CHAT_MESSAGES, RESPONSES_INPUT
from tests.fake_openai import FakeOpenAI


def stream(server: FakeOpenAI, path: str, body: dict) -> tuple[list[tuple[str | None, str]], list[float]]:
    """The (event, data) pairs of a streamed answer, and when each arrived (time.monotonic())."""
    request = urllib.request.Request(
        server.base_url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    events, arrived, name = [], [], None
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        for raw in answer:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((name, line[len("data: ") :]))
                arrived.append(time.monotonic())
                name = None
    return events, arrived


def test_a_responses_stream_is_openais_event_sequence():
    adapter = TypeAdapter(ResponseStreamEvent)
    with FakeOpenAI() as server:
        events, _ = stream(server, "/responses", {"model": "gpt-4o-mini", "input": RESPONSES_INPUT, "stream": True})

    parsed = [adapter.validate_python(json.loads(data), strict=False) for _, data in events]
    assert [name for name, _ in events] == [event.type for event in parsed]
    types = [event.type for event in parsed]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in parsed] == list(range(len(parsed)))
    text = "".join(event.delta for event in parsed if event.type == "response.output_text.delta")
    assert json.loads(text)["title"] == "Red ceramic mug"
    assert parsed[-1].response.output[0].content[0].text == text
    assert parsed[-1].response.usage.output_tokens == 60


def test_a_chat_stream_is_chunks_then_usage_then_done():
    body = {
        "model": "gpt-4o-mini",
        "messages": CHAT_MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with FakeOpenAI() as server:
        events, _ = stream(server, "/chat/completions", body)

    assert events[-1] == (None, "[DONE]")
    chunks = [ChatCompletionChunk.model_validate_json(data) for _, data in events[:-1]]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 60
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert json.loads(text)["condition"] == "good"


@pytest.mark.parametrize("path", ["/responses", "/chat/completions"])
def test_the_first_token_and_the_rest_come_at_the_pace_asked_for(path):
    body = {"model": "gpt-4o-mini", "stream": True}
    body.update({"input": RESPONSES_INPUT} if path == "/responses" else {"messages": CHAT_MESSAGES})
    with FakeOpenAI(first_token_delay=0.3, token_pace=0.01) as server:
        started = time.monotonic()
        events, arrived = stream(server, path, body)

    deltas = [when for (name, data), when in zip(events, arrived, strict=True) if _is_text_delta(name, data)]
    assert deltas[0] - started >= 0.3
    assert deltas[-1] - deltas[0] >= 0.01 * (len(deltas) - 1) * 0.9


def _is_text_delta(name: str | None, data: str) -> bool:
    if name is not None:
        return name == "response.output_text.delta"
    chunk = json.loads(data) if data != "[DONE]" else {}
    return any(choice["delta"].get("content") for choice in chunk.get("choices") or [])

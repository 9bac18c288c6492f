"""A fake OpenAI API on loopback, for the test suite and the benchmarks.

The real `openai` SDK talks to it through `base_url`, so the whole HTTP path is exercised. Every
request body is checked against the SDK's own request types and recorded; answers follow OpenAI's
wire format for both the Responses and the Chat Completions API. It can be told to misbehave:

    with FakeOpenAI() as server:                  # or the `fake_openai` pytest fixture
        server.script(["429", "ok"])              # next requests, in order; then `server.default`
        server.latency = 2.0                      # every answer waits this long (benchmarks)
        server.answer = {"category": "books"}     # fields of the answer; or a function of the request
                                                  # body returning them, e.g. by body["model"] or the photo
        ... base_url=server.base_url ...
        server.requests[0].body                   # what the SDK sent

Streaming: a request with `"stream": true` gets server-sent events in OpenAI's wire format, over chunked
transfer encoding, the answer's text cut in `server.stream_chunk_chars`-character deltas: the first
`server.first_token_delay` seconds after the request came in, then one every `server.token_pace` seconds
(Responses API: response.created, response.in_progress, output_item/content_part added, output_text.delta...,
their .done events, response.completed or response.incomplete; Chat Completions: chat.completion.chunk
objects, a usage chunk when stream_options.include_usage, then [DONE]). "cut" sends half the deltas and
closes the connection mid-stream.

Behaviours: "ok", any HTTP status such as "429" (with Retry-After: `server.retry_after`), "500" or
"401" (in OpenAI's error format), "hang" (never answers until the client gives up), "drop" (closes
the connection without an answer), "truncated" (JSON cut off by the output-token limit),
"invalid_json" (prose instead of JSON), "refusal", "bad_category" (a category outside the schema's
enum), "negative_price" and "long_title" (JSON that breaks our limits), "wrong_language" (the text in
English when the instructions ask for Italian, and in Italian otherwise).

Structured outputs as the documented API does them: a strict schema must list every property in `required`
and say `additionalProperties: false` on every object (else 400 "Invalid schema"), and the answer fits the
schema sent. A schema with a `confidence` object (prefill-v4 on) gets one built from it: every attribute the
schema lists is null unless `server.answer["attributes"]` gives it (the colour "red" when the schema allows
it: the default answer is a red mug), a level for every key of the confidence object ("high" unless
`server.answer["confidence"]` says otherwise), the category and the next slug as candidates, and the title
and description in Italian when the instructions ask for Italian.

Models behave like their generation (issue 17, from OpenAI's model pages and deprecations page, late
2026): `gpt-6*` and `gpt-5.6*` reason at `reasoning.effort` none…max (default medium) and refuse
temperature/top_p unless the effort is none; older reasoning models (gpt-5, o-series) refuse them always;
every other model refuses a reasoning effort. Chat Completions refuses `max_tokens` for reasoning models.
Reasoning is billed as output tokens (`server.reasoning_tokens` per effort) and counts against the output
cap: a cap it uses up ends the response `incomplete` (chat: finish_reason "length") with no message.
`server.cached_input_tokens` of the input are reported cached. GET /v1/models/{id} answers with the
model's `shutdown_date` (`server.shutdown_dates`); `server.models_endpoint = False` answers 404, as a
local server without that endpoint does.

Importable without pytest or Django: bench/ uses it from plain scripts; `python -m tests.fake_openai PORT`
serves it on its own (the README's model-upgrade walk-through).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import TypeAdapter, ValidationError

BEHAVIOURS = (
    "ok",
    "hang",
    "drop",
    "truncated",
    "invalid_json",
    "refusal",
    "bad_category",
    "negative_price",
    "long_title",
    "cut",
    "wrong_language",
)
REFUSAL_TEXT = "I'm sorry, I can't help with that."
DEFAULT_ANSWER = {
    "title": "Red ceramic mug",
    "description": "Red mug, used a few times, no chips.",
    "price": 6.5,
    "condition": "good",
}
DEFAULT_ANSWER_ITALIAN = {
    "title": "Tazza in ceramica rossa",
    "description": "Tazza rossa, usata poche volte, senza scheggiature.",
}
_ERROR_MESSAGES = {
    400: ("Bad request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model.", "invalid_request_error", "model_not_allowed"),
    404: ("The model does not exist or you do not have access to it.", "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached for requests. Please try again shortly.", "requests", "rate_limit_exceeded"),
}
# From OpenAI's deprecations page as reported in issue 17 and public posts (October 2026).
SHUTDOWN_DATES = {
    **dict.fromkeys(("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"), "2027-01-14"),
    **dict.fromkeys(("gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "gpt-4o-mini-2024-07-18"), "2027-01-14"),
    **dict.fromkeys(("gpt-5", "gpt-5-mini", "gpt-5-nano"), "2026-12-11"),
}
# Reasoning tokens the fake spends per effort: made up, growing with the effort as real ones do.
REASONING_TOKENS = {"none": 0, "minimal": 24, "low": 96, "medium": 320, "high": 900, "xhigh": 1800, "max": 3600}
ALL_EFFORTS = tuple(REASONING_TOKENS)


def model_generation(model: str) -> str:
    """ "current" (reasons, effort none…max), "reasoning" (older: gpt-5, o-series) or "classic"."""
    if model.startswith(("gpt-6", "gpt-5.6")):
        return "current"
    if model.startswith(("gpt-5", "o1", "o3", "o4")):
        return "reasoning"
    return "classic"


_SERVER_ERROR = ("The server had an error while processing your request. Sorry about that!", "server_error", None)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float  # time.monotonic()
    behaviour: str
    client_port: int  # the same port again means a kept-alive, reused connection


@dataclass
class _Answer:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    # Streaming: the server-sent events as (event name or None, data); a None item means "cut here".
    stream: list[tuple[str | None, Any] | None] | None = None


@cache
def _request_adapters() -> dict[str, tuple[TypeAdapter, frozenset[str]]]:
    # Imported lazily: building these adapters takes about half a second, once per process.
    from openai.types.chat.completion_create_params import (
        CompletionCreateParamsNonStreaming,
        CompletionCreateParamsStreaming,
    )
    from openai.types.responses.response_create_params import (
        ResponseCreateParamsNonStreaming,
        ResponseCreateParamsStreaming,
    )

    def adapter(params: type) -> tuple[TypeAdapter, frozenset[str]]:
        return TypeAdapter(params), frozenset(params.__annotations__)

    return {
        "/v1/responses": adapter(ResponseCreateParamsNonStreaming),
        "/v1/chat/completions": adapter(CompletionCreateParamsNonStreaming),
        ("/v1/responses", "stream"): adapter(ResponseCreateParamsStreaming),
        ("/v1/chat/completions", "stream"): adapter(CompletionCreateParamsStreaming),
    }


def request_problem(path: str, body: Any) -> str | None:
    """Why this body is not a valid request for the endpoint at path, or None when it is."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    adapter, known_keys = _request_adapters()[(path, "stream") if body.get("stream") is True else path]
    unknown = sorted(set(body) - known_keys)
    if unknown:
        return f"Unknown parameter: '{unknown[0]}'."
    try:
        _materialize(adapter.validate_python(body), ())
    except ValidationError as error:
        return _describe(error, ())
    except _LazilyInvalid as invalid:
        return _describe(invalid.error, invalid.path)
    return None


def _describe(error: ValidationError, path: tuple) -> str:
    worst = _most_telling(error.errors())
    location = ".".join(str(part) for part in (*path, *worst["loc"]) if _is_field(part))
    return f"Invalid value for '{location}': {worst['msg'][:200]}"


# A union reports one error per branch that did not match; most say "wrong type" or "missing".
_BRANCH_MISMATCH = {
    "missing",
    "string_type",
    "dict_type",
    "list_type",
    "typed_dict_type",
    "iterable_type",
    "union_tag_invalid",
}


def _most_telling(errors: list[dict]) -> dict:
    telling = [item for item in errors if item["type"] not in _BRANCH_MISMATCH and item["loc"][-1:] != ("type",)]
    return max(telling or errors, key=lambda item: len(item["loc"]))


def _is_field(part: object) -> bool:
    # Locations name union branches too (ResponseInputImageParam, list[...]); keep the field names.
    return isinstance(part, int) or (str(part).islower() and "[" not in str(part))


class _LazilyInvalid(Exception):
    def __init__(self, path: tuple, error: ValidationError) -> None:
        self.path = path
        self.error = error


def _materialize(value: Any, path: tuple) -> Any:
    # The SDK types declare some fields as Iterable, which pydantic validates lazily: walk them.
    if isinstance(value, dict):
        return {key: _materialize(item, (*path, key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_materialize(item, (*path, index)) for index, item in enumerate(value)]
    if type(value).__name__ == "ValidatorIterator":
        try:
            items = list(value)
        except ValidationError as error:
            raise _LazilyInvalid(path, error) from None
        return [_materialize(item, (*path, index)) for index, item in enumerate(items)]
    return value


def request_json_schema(body: dict) -> dict | None:
    """The JSON schema a structured-output request asks for, in either API style."""
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        return text_format.get("schema")
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema")
    return None


def strict_schema_problem(schema: Any, path: tuple = ()) -> str | None:
    """Why OpenAI's strict mode would refuse the schema (every object: all properties required, no additional
    properties), or None."""
    if isinstance(schema, list):
        return next((problem for item in schema if (problem := strict_schema_problem(item, path))), None)
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        context = f"In context=({', '.join(repr(part) for part in path)})"
        if schema.get("additionalProperties") is not False:
            return f"{context}, 'additionalProperties' is required to be supplied and to be false."
        missing = [key for key in schema.get("properties") or {} if key not in (schema.get("required") or [])]
        if missing:
            return (
                f"{context}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for name, node in (value or {}).items():
                if problem := strict_schema_problem(node, (*path, key, name)):
                    return problem
        elif key in ("items", "anyOf") and (problem := strict_schema_problem(value, (*path, key))):
            return problem
    return None


def request_schema_problem(body: dict) -> str | None:
    """The 400 the API gives for a strict structured-output schema it cannot use, or None."""
    text_format = (body.get("text") or {}).get("format") or {}
    response_format = body.get("response_format") or {}
    strict = text_format.get("strict") if text_format else (response_format.get("json_schema") or {}).get("strict")
    schema = request_json_schema(body)
    if not strict or schema is None:
        return None
    name = text_format.get("name") or (response_format.get("json_schema") or {}).get("name")
    problem = strict_schema_problem(schema)
    return f"Invalid schema for response_format '{name}': {problem}" if problem else None


def request_instructions(body: dict) -> str:
    """The instructions of a request, in either API style."""
    if "instructions" in body:
        return body.get("instructions") or ""
    return " ".join(
        message["content"]
        for message in body.get("messages") or []
        if message.get("role") in ("system", "developer") and isinstance(message.get("content"), str)
    )


def allowed_values(schema: dict | None, prop: str) -> list:
    """The enum a property of the schema allows, following a $ref into $defs; [] when it has none."""
    if not schema:
        return []
    node = (schema.get("properties") or {}).get(prop) or {}
    ref = node.get("$ref", "")
    if ref.startswith("#/"):
        node = schema
        for part in ref[2:].split("/"):
            node = node.get(part, {})
    if "enum" in node:
        return list(node["enum"])
    return [node["const"]] if "const" in node else []


def request_image_urls(body: dict) -> list[str]:
    """Every image URL in a request, in either API style."""
    urls = []
    for item in body.get("input") or []:
        for part in item.get("content") or [] if isinstance(item, dict) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                urls.append(part.get("image_url"))
    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                urls.append(part["image_url"]["url"])
    return urls


def request_image_details(body: dict) -> list[str]:
    """The `detail` of every image in a request, in either API style."""
    details = []
    for item in body.get("input") or []:
        for part in item.get("content") or [] if isinstance(item, dict) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                details.append(part.get("detail"))
    for message in body.get("messages") or []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "image_url":
                details.append(part["image_url"].get("detail"))
    return details


def decode_data_url(url: str) -> tuple[str, bytes]:
    """(media type, bytes) of a base64 data URL."""
    header, _, payload = url.partition(",")
    if not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError(f"Not a base64 data URL: {url[:40]!r}")
    return header[5:-7], base64.b64decode(payload, validate=True)


class FakeOpenAI:
    """A threaded HTTP server speaking enough of the OpenAI API for our pre-fill."""

    def __init__(
        self,
        *,
        answer: dict | None = None,
        latency: float = 0.0,
        retry_after: float = 0.0,
        input_tokens: int = 850,
        output_tokens: int = 60,
        api_key: str | None = None,
        hang_seconds: float = 60.0,
        cached_input_tokens: int = 0,
        first_token_delay: float = 0.0,
        token_pace: float = 0.0,
        stream_chunk_chars: int = 4,
        port: int = 0,
    ) -> None:
        self.answer = dict(answer or {})
        self.latency = latency
        self.retry_after = retry_after
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.api_key = api_key  # when set, any other bearer token gets a 401
        self.hang_seconds = hang_seconds
        self.cached_input_tokens = cached_input_tokens
        self._port = port
        # Reasoning takes time: each reasoning token adds this to the answer's latency (0 in the tests).
        self.reasoning_seconds_per_token = 0.0
        self.reasoning_tokens = dict(REASONING_TOKENS)
        self.shutdown_dates = dict(SHUTDOWN_DATES)
        self.models_endpoint = True
        self.first_token_delay = first_token_delay  # streaming: the first delta this long after the request
        self.token_pace = token_pace  # streaming: then one delta every this many seconds
        self.stream_chunk_chars = stream_chunk_chars
        self.default = "ok"
        self._script: deque[str] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at once
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> FakeOpenAI:
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _make_handler(self), bind_and_activate=False)
        server.daemon_threads = True
        # The benchmarks open 100+ connections at once; the default backlog of 5 would drop SYNs.
        server.request_queue_size = 1024
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        _request_adapters()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # Control

    def script(self, behaviours: Iterable[str]) -> None:
        """Queue behaviours for the next requests, in order; after them `self.default` applies."""
        behaviours = list(behaviours)
        for behaviour in behaviours:
            if behaviour not in BEHAVIOURS and not (behaviour.isdigit() and len(behaviour) == 3):
                raise ValueError(f"Unknown behaviour {behaviour!r}: use an HTTP status or one of {BEHAVIOURS}.")
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        """Forget recorded requests and queued behaviours."""
        with self._lock:
            self._script.clear()
            self._requests.clear()
            self.max_in_flight = self.in_flight

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            return self._requests[-1]

    # Answers

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _answer(self, path: str, body: Any, authorization: str, behaviour: str) -> _Answer | None:
        if path not in _request_adapters():
            return _error(404, f"Unknown request URL: POST {path}.", "invalid_request_error", "unknown_url")
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return _error(401, *_ERROR_MESSAGES[401])
        problem = request_problem(path, body) or generation_problem(path, body) or request_schema_problem(body)
        if problem:
            return _error(400, problem, "invalid_request_error", None)
        if behaviour.isdigit():
            status = int(behaviour)
            message, kind, code = _ERROR_MESSAGES.get(status, _SERVER_ERROR)
            answer = _error(status, message, kind, code)
            if status == 429:
                answer.headers["retry-after"] = f"{self.retry_after:g}"
            return answer
        if behaviour == "hang":
            self._stopping.wait(self.hang_seconds)
            return None
        if behaviour == "drop":
            return None
        if body.get("stream") is True:
            return _Answer(200, {}, stream=self._stream_events(path, body, behaviour))
        if behaviour == "cut":
            return None
        if path == "/v1/responses":
            return _Answer(200, self._response_object(body, behaviour))
        return _Answer(200, self._chat_completion(body, behaviour))

    def _usage(self, path: str, body: dict) -> tuple[int, int, int, bool]:
        """(input, output incl. reasoning, reasoning, cut off by the cap) for this request."""
        effort = request_effort(body)
        reasoning = (
            self.reasoning_tokens.get(effort or "", 0) if model_generation(body.get("model", "")) != "classic" else 0
        )
        cap_name = "max_output_tokens" if path == "/v1/responses" else "max_completion_tokens"
        cap = body.get(cap_name) or body.get("max_tokens")
        output = self.output_tokens + reasoning
        if cap is not None and output > cap:
            return self.input_tokens, cap, min(reasoning, cap), True
        return self.input_tokens, output, reasoning, False

    def model_object(self, model: str) -> _Answer:
        if not self.models_endpoint:
            return _error(404, f"Unknown request URL: GET /v1/models/{model}.", "invalid_request_error", "unknown_url")
        if not model.startswith(("gpt-", "o1", "o3", "o4")):
            return _error(404, *_ERROR_MESSAGES[404])
        created = 1_700_000_000
        body = {"id": model, "object": "model", "created": created, "owned_by": "system"}
        return _Answer(200, {**body, "shutdown_date": self.shutdown_dates.get(model)})

    def _output(self, body: dict, behaviour: str) -> str:
        schema = request_json_schema(body)
        categories = allowed_values(schema, "category") or ["other"]
        answer = self.answer(body) if callable(self.answer) else self.answer
        italian = "Italian" in request_instructions(body)
        if behaviour == "wrong_language":
            italian = not italian
        language_text = DEFAULT_ANSWER_ITALIAN if italian else {}
        suggestion = {**DEFAULT_ANSWER, **language_text, "category": categories[0], **answer}
        if schema and "confidence" in (schema.get("properties") or {}):
            suggestion = _with_v4_parts(schema, suggestion, answer, categories)
        if behaviour == "bad_category":
            suggestion["category"] = "spaceships"
        elif behaviour == "negative_price":
            suggestion["price"] = -5
        elif behaviour == "long_title":
            suggestion["title"] = "Red mug " * 30
        text = json.dumps(suggestion)
        if behaviour == "truncated":
            return text[: len(text) // 2]
        if behaviour == "invalid_json":
            return f"Sure! Here are the details: {text}"
        return text

    def _response_object(self, body: dict, behaviour: str) -> dict:
        input_tokens, output_tokens, reasoning_tokens, cut_off = self._usage("/v1/responses", body)
        status = "incomplete" if behaviour == "truncated" or cut_off else "completed"
        if behaviour == "refusal":
            content = [{"type": "refusal", "refusal": REFUSAL_TEXT}]
        else:
            text = self._output(body, behaviour)
            content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
        now = int(time.time())
        return {
            "id": f"resp_{uuid.uuid4().hex}",
            "object": "response",
            "created_at": now,
            "status": status,
            "background": False,
            "completed_at": now if status == "completed" else None,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": body.get("model"),
            "output": [
                *([{"id": f"rs_{uuid.uuid4().hex}", "type": "reasoning", "summary": []}] if reasoning_tokens else []),
                # A cap the reasoning used up leaves no message at all.
                *(
                    []
                    if cut_off
                    else [
                        {
                            "id": f"msg_{uuid.uuid4().hex}",
                            "type": "message",
                            "role": "assistant",
                            "status": status,
                            "content": content,
                        }
                    ]
                ),
            ],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": request_effort(body), "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text", {"format": {"type": "text"}}),
            "tool_choice": "auto",
            "tools": [],
            "top_logprobs": 0,
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {
                    "cached_tokens": min(self.cached_input_tokens, input_tokens),
                    "cache_write_tokens": 0,
                },
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                "total_tokens": input_tokens + output_tokens,
            },
            "user": None,
            "metadata": {},
        }

    def _chat_completion(self, body: dict, behaviour: str) -> dict:
        input_tokens, output_tokens, reasoning_tokens, cut_off = self._usage("/v1/chat/completions", body)
        if cut_off:
            message = {"role": "assistant", "content": "", "refusal": None, "annotations": []}
        elif behaviour == "refusal":
            message = {"role": "assistant", "content": None, "refusal": REFUSAL_TEXT, "annotations": []}
        else:
            text = self._output(body, behaviour)
            message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "length" if behaviour == "truncated" or cut_off else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
                "prompt_tokens_details": {
                    "cached_tokens": min(self.cached_input_tokens, input_tokens),
                    "audio_tokens": 0,
                },
                "completion_tokens_details": {
                    "reasoning_tokens": reasoning_tokens,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    # Streaming: the same answer as above, cut into deltas, as OpenAI's server-sent events.

    def _deltas(self, text: str) -> list[str]:
        size = max(1, self.stream_chunk_chars)
        return [text[start : start + size] for start in range(0, len(text), size)] or [""]

    def _stream_events(self, path: str, body: dict, behaviour: str) -> list[tuple[str | None, Any] | None]:
        if path == "/v1/responses":
            events = self._response_events(body, behaviour)
        else:
            events = self._chat_chunks(body, behaviour)
        if behaviour == "cut":
            deltas = [index for index, event in enumerate(events) if event is not None and event[0] == "delta"]
            events = [*events[: deltas[len(deltas) // 2]], None]
        return events

    def _response_events(self, body: dict, behaviour: str) -> list[tuple[str | None, Any] | None]:
        """The Responses API's event sequence (openai.types.responses.*_event, ResponseStreamEvent)."""
        final = self._response_object(body, "ok" if behaviour == "cut" else behaviour)
        started = {**final, "status": "in_progress", "completed_at": None, "output": [], "usage": None}
        events: list[tuple[str, dict]] = [
            ("response.created", {"response": started}),
            ("response.in_progress", {"response": started}),
        ]
        delta_type = "response.output_text.delta"
        # A reasoning model's reasoning item comes first (no text of it is streamed); a cap the reasoning used up
        # leaves no message item at all, and the response ends incomplete.
        for index, item in enumerate(final["output"]):
            if item["type"] != "message":
                events += [
                    ("response.output_item.added", {"item": item, "output_index": index}),
                    ("response.output_item.done", {"item": item, "output_index": index}),
                ]
                continue
            part = item["content"][0]
            in_progress_item = {**item, "status": "in_progress", "content": []}
            refusal = part["type"] == "refusal"
            text = part["refusal"] if refusal else part["text"]
            empty_part = {"type": "refusal", "refusal": ""} if refusal else {**part, "text": ""}
            where = {"item_id": item["id"], "output_index": index}
            events += [
                ("response.output_item.added", {"item": in_progress_item, "output_index": index}),
                ("response.content_part.added", {**where, "content_index": 0, "part": empty_part}),
            ]
            delta_type = "response.refusal.delta" if refusal else "response.output_text.delta"
            for delta in self._deltas(text):
                extra = {} if refusal else {"logprobs": []}
                events.append(("delta", {"type": delta_type, **where, "content_index": 0, "delta": delta, **extra}))
            if refusal:
                events.append(("response.refusal.done", {**where, "content_index": 0, "refusal": text}))
            else:
                done = {**where, "content_index": 0, "text": text, "logprobs": []}
                events.append(("response.output_text.done", done))
            events += [
                ("response.content_part.done", {**where, "content_index": 0, "part": part}),
                ("response.output_item.done", {"item": item, "output_index": index}),
            ]
        events.append(
            ("response.incomplete" if final["status"] == "incomplete" else "response.completed", {"response": final})
        )
        sequenced = []
        for number, (name, data) in enumerate(events):
            name = data.get("type", name)
            sequenced.append(
                ("delta" if name == delta_type else name, {"type": name, "sequence_number": number, **data})
            )
        return sequenced

    def _chat_chunks(self, body: dict, behaviour: str) -> list[tuple[str | None, Any] | None]:
        """Chat Completions chunks (openai.types.chat.ChatCompletionChunk), then the usage chunk and [DONE]."""
        final = self._chat_completion(body, "ok" if behaviour == "cut" else behaviour)
        message = final["choices"][0]["message"]
        head = {key: final[key] for key in ("id", "created", "model", "service_tier", "system_fingerprint")}
        head["object"] = "chat.completion.chunk"

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            return {**head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

        key = "refusal" if message["refusal"] is not None else "content"
        chunks: list[tuple[str | None, Any] | None] = [(None, chunk({"role": "assistant", key: ""}))]
        chunks += [("delta", chunk({key: delta})) for delta in self._deltas(message[key])]
        chunks.append((None, chunk({}, final["choices"][0]["finish_reason"])))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append((None, {**head, "choices": [], "usage": final["usage"]}))
        chunks.append((None, "[DONE]"))
        return chunks


def _with_v4_parts(schema: dict, suggestion: dict, answer: dict, categories: list) -> dict:
    """The suggestion completed with what a prefill-v4 schema asks for, each part as the schema allows it."""
    properties = schema["properties"]
    attribute_schemas = (properties.get("attributes") or {}).get("properties") or {}
    attributes = {}
    for slug, node in attribute_schemas.items():
        allowed = node.get("enum")
        attributes[slug] = "red" if slug == "colour" and (allowed is None or "red" in allowed) else None
    attributes.update(answer.get("attributes") or {})
    levels = (properties.get("confidence") or {}).get("properties") or {}
    confidence = {name: "high" for name in levels} | (answer.get("confidence") or {})
    category = suggestion["category"]
    candidates = [category, *(slug for slug in categories if slug != category)][:2]
    return {
        **suggestion,
        "category_candidates": answer.get("category_candidates", candidates),
        "attributes": attributes,
        "confidence": confidence,
    }


def request_effort(body: dict) -> str | None:
    """The reasoning effort a request asks for (the model's default, medium, when it reasons and says none)."""
    effort = body["reasoning_effort"] if "reasoning_effort" in body else (body.get("reasoning") or {}).get("effort")
    if effort is None and model_generation(body.get("model", "")) != "classic":
        return "medium"
    return effort


def generation_problem(path: str, body: dict) -> str | None:
    """Why the model refuses these parameters, as the current generation's 400 says, or None."""
    model = body.get("model", "")
    generation = model_generation(model)
    effort_name = "reasoning_effort" if path == "/v1/chat/completions" else "reasoning.effort"
    asked = body.get("reasoning_effort") if "reasoning_effort" in body else (body.get("reasoning") or {}).get("effort")
    if generation == "classic":
        if asked is not None:
            return f"Unsupported parameter: '{effort_name}' is not supported with this model."
        return None
    if path == "/v1/chat/completions" and "max_tokens" in body:
        return (
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
        )
    effort = request_effort(body)
    if generation == "current" and effort not in ALL_EFFORTS:
        return f"Invalid value for '{effort_name}': {effort!r} is not one of {', '.join(ALL_EFFORTS)}."
    for name in ("temperature", "top_p"):
        if name in body and not (generation == "current" and effort == "none"):
            return f"Unsupported parameter: '{name}' is not supported with this model."
    return None


def _reasoning_tokens(answer: _Answer | None) -> int:
    usage = (answer.body.get("usage") or {}) if answer is not None else {}
    details = usage.get("output_tokens_details") or usage.get("completion_tokens_details") or {}
    return details.get("reasoning_tokens") or 0


def _error(status: int, message: str, kind: str, code: str | None) -> _Answer:
    return _Answer(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


def _make_handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
        # The headers and the body go out in two writes; with Nagle's algorithm on, the body would wait
        # for the client's delayed ACK of the headers (up to 40 ms), a stall no real API server adds.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            received_at = time.monotonic()
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            with fake._lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                self._handle(path, raw, received_at)
            finally:
                with fake._lock:
                    fake.in_flight -= 1

        def _handle(self, path: str, raw: bytes, received_at: float) -> None:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            behaviour = fake._next_behaviour()
            fake._record(
                RecordedRequest(
                    method="POST",
                    path=path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                    received_at=received_at,
                    behaviour=behaviour,
                    client_port=self.client_address[1],
                )
            )
            if body is None:
                answer = _error(400, "We could not parse the JSON body of your request.", "invalid_request_error", None)
            else:
                answer = fake._answer(path, body, self.headers.get("authorization", ""), behaviour)
            if answer is not None and answer.stream is not None:
                self._send_stream(answer.stream, received_at)
                return
            wait = fake.latency + fake.reasoning_seconds_per_token * _reasoning_tokens(answer)
            if wait and behaviour not in ("hang", "drop"):
                # The answer leaves `latency` after the request came in, however long checking it took here:
                # benchmarks take the model's latency out, and the fake's own work must not count as ours.
                fake._stopping.wait(max(0.0, received_at + wait - time.monotonic()))
            if answer is None:
                self.close_connection = True
                return
            self._send(answer)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers = {key.lower(): value for key, value in self.headers.items()}
            fake._record(RecordedRequest("GET", path, headers, None, time.monotonic(), "ok", self.client_address[1]))
            if path.startswith("/v1/models/") and len(path) > len("/v1/models/"):
                self._send(fake.model_object(path[len("/v1/models/") :]))
                return
            self._send(_error(404, f"Unknown request URL: GET {self.path}.", "invalid_request_error", "unknown_url"))

        def _send(self, answer: _Answer) -> None:
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout); nothing to tell it

        def _send_stream(self, events: list, received_at: float) -> None:
            if fake.latency and not (fake.first_token_delay or fake.token_pace):
                # No pace asked for: the whole answer arrives `latency` after the request, as an unstreamed one
                # does (the benchmarks' "the model answers after 2 s" holds for either path).
                fake._stopping.wait(max(0.0, received_at + fake.latency - time.monotonic()))
            try:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream; charset=utf-8")
                self.send_header("transfer-encoding", "chunked")
                self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
                self.end_headers()
                deltas_sent = 0
                for event in events:
                    if event is None:
                        # Cut mid-stream: the connection closes without the chunked body's last chunk.
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    name, data = event
                    if name == "delta":
                        due = received_at + fake.first_token_delay + deltas_sent * fake.token_pace
                        fake._stopping.wait(max(0.0, due - time.monotonic()))
                        deltas_sent += 1
                    # The Responses API names each event; Chat Completions sends data lines only.
                    is_response_event = isinstance(data, dict) and "sequence_number" in data
                    lines = f"event: {data['type']}\n" if is_response_event else ""
                    lines += f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"
                    payload = lines.encode()
                    self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve the fake OpenAI API until interrupted.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--cached-input-tokens", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds every answer waits.")
    parser.add_argument("--reasoning-ms-per-token", type=float, default=0.0, help="Extra wait per reasoning token.")
    options = parser.parse_args()
    with FakeOpenAI(
        port=options.port, cached_input_tokens=options.cached_input_tokens, latency=options.latency
    ) as running:
        running.reasoning_seconds_per_token = options.reasoning_ms_per_token / 1000
        print(f"Fake OpenAI at {running.base_url}", flush=True)
        running._thread.join()

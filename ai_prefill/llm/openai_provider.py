"""One attempt at the model through the openai SDK, as structured output from a Pydantic model."""

import base64
import json
import threading
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from functools import lru_cache

import openai
import pydantic
from django.conf import settings
from django.utils import timezone
from openai.lib._parsing._responses import type_to_text_format_param

from ai_prefill.llm.prompt import USER_TEXT, Prompt
from ai_prefill.llm.schema import SuggestionInvalid, suggestion_check
from ai_prefill.llm.types import Attempt, ModelConfig

RAW_OUTPUT_MAX_CHARS = 20_000
IMAGE_OMITTED = "(image omitted)"
# Models that reject `temperature` and count their reasoning in the output-token limit.
REASONING_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def is_reasoning_model(model: str) -> bool:
    return model.startswith(REASONING_MODEL_PREFIXES)


@lru_cache(maxsize=8)
def openai_client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    """One client per configuration, shared by every thread: it holds the connection pool.

    max_retries=0: retries live in one layer, ours (ai_prefill.llm.suggest), not the SDK's as well.
    """
    return openai.OpenAI(
        base_url=base_url or None,
        # An OpenAI-compatible server without auth still needs some key for the SDK to start.
        api_key=api_key or "not-needed",
        timeout=timeout,
        max_retries=0,
    )


@lru_cache(maxsize=16)
def _text_format(output_model: type[pydantic.BaseModel]) -> dict:
    """The Responses API's text.format for the output model, built once per model.

    Given text_format, the SDK rebuilds the strict JSON schema on every call (about half a millisecond
    holding the GIL); given this as text.format with parse_as, it sends the same and parses the same.
    """
    return type_to_text_format_param(output_model)


# On its first answer of a kind the SDK builds pydantic type adapters for its response types (~100 ms
# holding the GIL) and caches them, without a lock. A worker starting on a backlog would have all of
# its threads parse their first answer at once, each building them again: 200 threads, 20 s of CPU.
# So the first parse of each kind goes alone, and everyone after it finds the cache filled.
_first_parse_lock = threading.Lock()
_parsed_kinds: set[tuple[str, type[pydantic.BaseModel]]] = set()


def _parse(raw, kind: tuple[str, type[pydantic.BaseModel]]):
    if kind in _parsed_kinds:
        return raw.parse()
    with _first_parse_lock:
        parsed = raw.parse()
        _parsed_kinds.add(kind)
    return parsed


def openai_attempt(
    *, image_jpeg: bytes, config: ModelConfig, prompt: Prompt, categories: Sequence[tuple[str, str]], image_ref: str
) -> Attempt:
    """Ask the model once; the Attempt says what came back, or which error, and never raises for the API's faults."""
    category_slugs = tuple(slug for slug, _ in categories)
    output_model = prompt.output_model(category_slugs)
    instructions = prompt.render(categories=categories)
    image_url = "data:image/jpeg;base64," + base64.b64encode(image_jpeg).decode("ascii")
    client = openai_client(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, config.timeout_seconds)

    attempt = Attempt(started_at=timezone.now())
    started = time.monotonic()
    raw = None
    sent = None
    try:
        if config.api_style == "chat":
            raw = client.chat.completions.with_raw_response.parse(
                model=config.model,
                messages=[
                    {"role": "system", "content": instructions},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": USER_TEXT},
                            {"type": "image_url", "image_url": {"url": image_url, "detail": "low"}},
                        ],
                    },
                ],
                response_format=output_model,
                **_chat_params(config),
            )
        else:
            params = dict(config.params)
            text = {**params.pop("text", {}), "format": _text_format(output_model)}
            raw = client.responses.with_raw_response.parse(
                model=config.model,
                instructions=instructions,
                input=[
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_text", "text": USER_TEXT},
                            {"type": "input_image", "image_url": image_url, "detail": "low"},
                        ],
                    }
                ],
                text=text,
                parse_as=output_model,
                **params,
            )
        sent = raw.http_request
        attempt.http_status = raw.status_code
        _read_body(attempt, raw.text, config.api_style)
        parsed = _parse(raw, (config.api_style, output_model))  # the SDK validates against output_model here
        output, refusal = _output(parsed, config.api_style)
        if refusal is not None:
            attempt.fail("refusal", refusal or "The model refused without a reason.")
        elif output is None:
            attempt.fail("invalid_output", "The answer has no structured output.")
        else:
            attempt.suggestion = suggestion_check(output, category_slugs=category_slugs)
    except openai.APIStatusError as error:
        sent = error.request
        attempt.http_status = error.status_code
        _classify_status_error(attempt, error)
    except openai.APITimeoutError as error:
        sent = error.request
        attempt.fail("timeout", f"No answer within {config.timeout_seconds:g} seconds.")
    except openai.APIConnectionError as error:
        sent = error.request
        attempt.fail("connection_error", f"{error.message} {error.__cause__ or ''}".strip())
    except openai.LengthFinishReasonError:
        attempt.fail("invalid_output", "The answer was cut off at the output-token limit.")
    except openai.ContentFilterFinishReasonError:
        attempt.fail("refusal", "The answer was withheld by the content filter.")
    except pydantic.ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            attempt.fail("invalid_output", f"The answer is not valid JSON: {error.errors()[0]['msg']}")
        else:
            attempt.fail("schema_violation", _validation_summary(error))
    except SuggestionInvalid as error:
        attempt.fail("schema_violation", str(error))
    except (openai.APIResponseValidationError, ValueError) as error:
        attempt.fail("invalid_output", f"The answer could not be read: {error}")
    finally:
        attempt.latency_ms = round((time.monotonic() - started) * 1000)
        attempt.request = _recorded_request(sent, image_ref)
    return attempt


def _chat_params(config: ModelConfig) -> dict:
    params = dict(config.params)
    if "max_output_tokens" in params:
        # OpenAI's reasoning models only take max_completion_tokens; compatible servers (Ollama, vLLM,
        # Gemini) all take max_tokens.
        limit_name = "max_completion_tokens" if is_reasoning_model(config.model) else "max_tokens"
        params[limit_name] = params.pop("max_output_tokens")
    return params


def _read_body(attempt: Attempt, text: str, api_style: str) -> None:
    """Tokens and output text straight from the JSON body, so they are kept even when parsing fails."""
    try:
        body = json.loads(text)
    except ValueError:
        attempt.raw_output = text[:RAW_OUTPUT_MAX_CHARS]
        return
    if not isinstance(body, dict):
        attempt.raw_output = text[:RAW_OUTPUT_MAX_CHARS]
        return
    usage = body.get("usage") or {}
    if api_style == "chat":
        attempt.input_tokens = _count(usage.get("prompt_tokens"))
        attempt.output_tokens = _count(usage.get("completion_tokens"))
        texts = []
        for choice in body.get("choices") or []:
            message = choice.get("message") or {}
            texts.append(message.get("content") or message.get("refusal") or "")
    else:
        attempt.input_tokens = _count(usage.get("input_tokens"))
        attempt.output_tokens = _count(usage.get("output_tokens"))
        texts = [
            part.get("text") or part.get("refusal") or ""
            for item in body.get("output") or []
            if item.get("type") == "message"
            for part in item.get("content") or []
        ]
    attempt.raw_output = "".join(texts)[:RAW_OUTPUT_MAX_CHARS]


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _output(parsed, api_style: str) -> tuple[pydantic.BaseModel | None, str | None]:
    """(structured output, refusal text) of a parsed answer; the refusal is None when there is none."""
    if api_style == "chat":
        if not parsed.choices:
            return None, None
        message = parsed.choices[0].message
        return message.parsed, message.refusal
    for item in parsed.output:
        if item.type == "message":
            for part in item.content:
                if part.type == "refusal":
                    return None, part.refusal
    return parsed.output_parsed, None


def _classify_status_error(attempt: Attempt, error: openai.APIStatusError) -> None:
    status = error.status_code
    if status == 429 and error.code == "insufficient_quota":
        # OpenAI says 429 when the account is out of credit too; waiting does not help that.
        attempt.fail("quota_exceeded", error.message)
    elif status == 429:
        attempt.fail("rate_limited", error.message)
        attempt.retry_after = retry_after_seconds(error.response.headers)
    elif status in (401, 403):
        attempt.fail("auth_error", error.message)
    elif status >= 500 or status in (408, 409):
        attempt.fail("server_error", error.message)
    else:
        attempt.fail("bad_request", error.message)


def retry_after_seconds(headers) -> float | None:
    """The wait a 429 asks for: retry-after-ms, or retry-after in seconds or as an HTTP date."""
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
        except (TypeError, ValueError):
            return None
    return None


def _validation_summary(error: pydantic.ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']} (got {problem.get('input')!r})"
        for problem in error.errors()[:5]
    ]
    return "The answer breaks the schema: " + "; ".join(problems)


def _recorded_request(sent, image_ref: str) -> dict:
    """The request body as it went over the wire, with every image replaced by a reference to the photo."""
    if sent is None:
        return {"image_ref": image_ref}
    try:
        body = json.loads(sent.content)
    except (ValueError, TypeError):
        return {"image_ref": image_ref}
    return _without_images(body, image_ref or IMAGE_OMITTED)


def _without_images(value, image_ref: str):
    if isinstance(value, dict):
        return {key: _without_images(item, image_ref) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_images(item, image_ref) for item in value]
    if isinstance(value, str) and value.startswith("data:"):
        return image_ref
    return value

"""One attempt at the model through the openai SDK, as structured output under our own strict JSON schema.

The SDK sends the request (its types, its HTTP client, its errors); the answer's JSON body is read here,
so usage, the output text and a truncation are kept the same way in both API styles.
"""

import base64
import json
import time
from collections.abc import Iterator, Sequence
from email.utils import parsedate_to_datetime
from functools import lru_cache

import openai
import pydantic
from django.conf import settings
from django.utils import timezone

from ai_prefill.llm.capabilities import wire_params
from ai_prefill.llm.language import WrongLanguage, language_check
from ai_prefill.llm.prompt import Prompt, user_text
from ai_prefill.llm.schema import SuggestionInvalid
from ai_prefill.llm.types import Attempt, AttemptInput, ModelConfig, Taxonomy

RAW_OUTPUT_MAX_CHARS = 20_000
IMAGE_OMITTED = "(image omitted)"
SCHEMA_NAME = "ListingSuggestion"


@lru_cache(maxsize=8)
def openai_client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    """One client per configuration, shared by every thread: it holds the connection pool.

    max_retries=0: retries live in one layer, ours (ai_prefill.llm.suggest), not the SDK's as well.
    """
    client = openai.OpenAI(
        base_url=base_url or None,
        # An OpenAI-compatible server without auth still needs some key for the SDK to start.
        api_key=api_key or "not-needed",
        timeout=timeout,
        max_retries=0,
    )
    # The SDK imports its API resources on first use (about 200 ms holding the GIL): here, once, rather than
    # inside the first call's measured latency.
    client.responses, client.chat.completions, client.models  # noqa: B018
    return client


def openai_attempt(sent_input: AttemptInput) -> Attempt:
    """Ask the model once; the Attempt says what came back, or which error, and never raises for the API's faults."""
    config, prompt, taxonomy, language = sent_input.config, sent_input.prompt, sent_input.taxonomy, sent_input.language
    client = openai_client(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, config.timeout_seconds)
    request = request_kwargs(sent_input)

    attempt = Attempt(started_at=timezone.now())
    started = time.monotonic()
    sent = None
    try:
        if config.api_style == "chat":
            raw = client.chat.completions.with_raw_response.create(**request)
        else:
            raw = client.responses.with_raw_response.create(**request)
        sent = raw.http_request
        attempt.http_status = raw.status_code
        answer = _read_body(attempt, raw.text, config.api_style)
        if answer.truncated:
            attempt.fail("output_truncated", truncated_message(attempt, config))
        elif answer.refusal is not None:
            attempt.fail("refusal", answer.refusal or "The model refused without a reason.")
        elif not answer.text:
            attempt.fail("invalid_output", "The answer has no structured output.")
        else:
            attempt.suggestion = answer_check(answer.text, prompt=prompt, taxonomy=taxonomy, language=language)
    except (openai.APIError, pydantic.ValidationError, SuggestionInvalid, WrongLanguage) as error:
        sent = attempt_failed(attempt, error, config=config) or sent
    finally:
        attempt.latency_ms = round((time.monotonic() - started) * 1000)
        attempt.request = recorded_request(sent, sent_input.image_refs)
    return attempt


def answer_check(text: str, *, prompt: Prompt, taxonomy: Taxonomy, language: str) -> dict:
    """The answer's JSON as the suggestion stored, or the error saying why it is not usable (pydantic's
    ValidationError, SuggestionInvalid, WrongLanguage). Shared by both paths, whole and streamed."""
    suggestion = prompt.output_check(
        prompt.output_model(taxonomy).model_validate_json(text), taxonomy=taxonomy, language=language
    )
    if prompt.takes_language:
        language_check(suggestion, language=language)
    return suggestion


def attempt_failed(attempt: Attempt, error: Exception, *, config: ModelConfig):
    """Record on the attempt what went wrong, as an error type the retry policy knows; the request as sent, if any.

    Shared by both paths (openai_attempt, streaming.openai_stream_attempt), so an answer fails the same way
    whether it came whole or streamed.
    """
    if isinstance(error, openai.APIStatusError):
        attempt.http_status = error.status_code
        classify_status_error(attempt, error)
        return error.request
    if isinstance(error, openai.APITimeoutError):
        attempt.fail("timeout", f"No answer within {config.timeout_seconds:g} seconds.")
        return error.request
    if isinstance(error, openai.APIConnectionError):
        # The SDK raises this too for a connection that breaks mid-stream (a cut chunked body).
        attempt.fail("connection_error", f"{error.message} {error.__cause__ or ''}".strip())
        return error.request
    if isinstance(error, openai.APIError):
        # An `error` event inside a stream: the service failed after it had started answering.
        attempt.fail("server_error", error.message)
        return None
    if isinstance(error, pydantic.ValidationError):
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            attempt.fail("invalid_output", f"The answer is not valid JSON: {error.errors()[0]['msg']}")
        else:
            attempt.fail("schema_violation", validation_summary(error))
        return None
    if isinstance(error, WrongLanguage):
        attempt.fail("wrong_language", str(error))
        return None
    attempt.fail("schema_violation", str(error))
    return None


def request_kwargs(sent_input: AttemptInput) -> dict:
    """The request for either API style: instructions (the taxonomy in the seller's language), every photo in
    order as its own image part at low detail, our strict schema, and the parameters the model accepts
    (capabilities.wire_params) under that API's names. The streamed path adds stream=True (streaming.py)."""
    config, prompt, taxonomy = sent_input.config, sent_input.prompt, sent_input.taxonomy
    schema = prompt.output_json_schema(taxonomy)
    instructions = prompt.render(taxonomy=taxonomy, language=sent_input.language)
    image_urls = ["data:image/jpeg;base64," + base64.b64encode(image).decode("ascii") for image in sent_input.images]
    text = user_text(len(image_urls))
    params = wire_params(model=config.model, api_style=config.api_style, params=config.params)
    if config.api_style == "chat":
        images = [{"type": "image_url", "image_url": {"url": url, "detail": "low"}} for url in image_urls]
        return {
            "model": config.model,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": [{"type": "text", "text": text}, *images]},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True},
            },
            **params,
        }
    images = [{"type": "input_image", "image_url": url, "detail": "low"} for url in image_urls]
    return {
        "model": config.model,
        "instructions": instructions,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": text}, *images]}],
        "text": {
            **params.pop("text", {}),
            "format": {"type": "json_schema", "name": SCHEMA_NAME, "schema": schema, "strict": True},
        },
        **params,
    }


def truncated_message(attempt: Attempt, config: ModelConfig) -> str:
    return (
        f"The answer was cut off at the output-token limit ({config.params.get('max_output_tokens')}), "
        f"{attempt.reasoning_tokens} of {attempt.output_tokens} output tokens spent reasoning."
    )


class _Answer:
    text: str = ""
    refusal: str | None = None
    truncated: bool = False


def _read_body(attempt: Attempt, text: str, api_style: str) -> _Answer:
    """Tokens, output text, refusal and truncation straight from the JSON body, in either API style.

    Usage as billed (openai/types/responses/response_usage.py, openai/types/completion_usage.py): input
    includes the cached tokens, output includes the reasoning tokens.
    """
    answer = _Answer()
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        attempt.raw_output = text[:RAW_OUTPUT_MAX_CHARS]
        answer.text = text
        return answer
    usage = body.get("usage") or {}
    if api_style == "chat":
        input_details, output_details = "prompt_tokens_details", "completion_tokens_details"
        attempt.input_tokens = _count(usage.get("prompt_tokens"))
        attempt.output_tokens = _count(usage.get("completion_tokens"))
        choices = body.get("choices") or [{}]
        message = choices[0].get("message") or {}
        answer.text, answer.refusal = message.get("content") or "", message.get("refusal")
        finish = choices[0].get("finish_reason")
        answer.truncated = finish == "length"
        if finish == "content_filter" and answer.refusal is None:
            answer.refusal = "The answer was withheld by the content filter."
    else:
        input_details, output_details = "input_tokens_details", "output_tokens_details"
        attempt.input_tokens = _count(usage.get("input_tokens"))
        attempt.output_tokens = _count(usage.get("output_tokens"))
        parts = [
            part
            for item in body.get("output") or []
            if isinstance(item, dict) and item.get("type") == "message"
            for part in item.get("content") or []
        ]
        answer.text = "".join(part.get("text") or "" for part in parts if part.get("type") == "output_text")
        refusals = [part.get("refusal") or "" for part in parts if part.get("type") == "refusal"]
        answer.refusal = refusals[0] if refusals else None
        # A cap the reasoning used up ends the response incomplete, often with no message at all.
        reason = (body.get("incomplete_details") or {}).get("reason")
        answer.truncated = body.get("status") == "incomplete" and reason == "max_output_tokens"
    attempt.cached_input_tokens = _count((usage.get(input_details) or {}).get("cached_tokens"))
    attempt.reasoning_tokens = _count((usage.get(output_details) or {}).get("reasoning_tokens"))
    attempt.raw_output = (answer.text or answer.refusal or "")[:RAW_OUTPUT_MAX_CHARS]
    return answer


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def classify_status_error(attempt: Attempt, error: openai.APIStatusError) -> None:
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


def validation_summary(error: pydantic.ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']} (got {problem.get('input')!r})"
        for problem in error.errors()[:5]
    ]
    return "The answer breaks the schema: " + "; ".join(problems)


def recorded_request(sent, image_refs: Sequence[str]) -> dict:
    """The request body as it went over the wire, with each image replaced by a reference to its photo, in order."""
    if sent is None:
        return {"image_refs": list(image_refs)}
    try:
        body = json.loads(sent.content)
    except (ValueError, TypeError):
        return {"image_refs": list(image_refs)}
    return _without_images(body, iter(image_refs))


def _without_images(value, image_refs: Iterator[str]):
    if isinstance(value, dict):
        return {key: _without_images(item, image_refs) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_images(item, image_refs) for item in value]
    if isinstance(value, str) and value.startswith("data:"):
        # Dicts and lists keep their order, so the n-th image met is the n-th photo sent.
        return next(image_refs, "") or IMAGE_OMITTED
    return value

"""One attempt at the model with a streamed answer: the fields it completes are published as they arrive.

The same request as openai_provider.openai_attempt, with `stream=True`, through the SDK's public
streaming API (`client.responses.create(stream=True)` yields the Responses API's typed events,
`client.chat.completions.create(stream=True)` yields ChatCompletionChunk objects; see
openai/resources/responses/responses.py and openai/types/responses/response_stream_event.py). The text
so far is parsed as partial JSON with jiter (`partial_mode="trailing-strings"`, a dependency of the SDK);
a field counts as complete once the model has moved on to the next key, and only fields that pass the
same checks as the final answer are shown. From prefill-v4 on a null (not visible) is not shown, and the
candidates, the category's attributes and the confidence are shown once their array or object is complete
(the model has moved on to the next key). The final text is validated exactly as without streaming
(output model, then suggestion_check), and only that validated suggestion is returned. A stream that
ends before the API says it is complete is a connection error: retried like any other.
"""

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

import jiter
import openai
import pydantic
from django.conf import settings
from django.utils import timezone

from ai_prefill.confidence import CATEGORY_CANDIDATES_MAX
from ai_prefill.live import live_publisher
from ai_prefill.llm.language import WrongLanguage
from ai_prefill.llm.openai_provider import (
    RAW_OUTPUT_MAX_CHARS,
    answer_check,
    attempt_failed,
    openai_client,
    recorded_request,
    request_kwargs,
    truncated_message,
)
from ai_prefill.llm.schema import (
    ATTRIBUTE_VALUE_MAX_LENGTH,
    CONFIDENCE_LEVELS,
    DESCRIPTION_MAX_LENGTH,
    SUGGESTED_FIELDS,
    SuggestionInvalid,
)
from ai_prefill.llm.types import Attempt, AttemptInput, Taxonomy
from marketplace.models import PRICE_MAX, TITLE_MAX_LENGTH, Condition

STREAM_CUT_MESSAGE = "The answer's stream ended before it was complete."


class _StreamCut(Exception):
    pass


def completed_fields(text: str, *, category_slugs: Sequence[str], taxonomy: Taxonomy | None = None) -> dict:
    """The suggestion's fields that the partial JSON `text` holds in full, each as the final answer would have it;
    with a taxonomy (prefill-v4 on) also the candidates, the category's attributes and the confidence."""
    try:
        partial = jiter.from_json(text.encode(), partial_mode="trailing-strings")
    except ValueError:
        return {}
    if not isinstance(partial, dict):
        return {}
    keys = list(partial)
    try:
        jiter.from_json(text.encode())
        complete = set(keys)
    except ValueError:
        # The last key's value may still be growing ("Red mu", 6.5 of 6.59); the ones before it are done,
        # and so is everything before the last comma when that comma ends a value (not one inside a string).
        complete = set(keys[:-1])
        last_comma = text.rfind(",")
        with contextlib.suppress(ValueError):
            complete.update(jiter.from_json((text[:last_comma] + "}").encode()) if last_comma > 0 else ())
    fields = {}
    for name in SUGGESTED_FIELDS:
        if name in complete:
            value = _checked(name, partial[name], category_slugs)
            if value is not None:
                fields[name] = value
    if taxonomy is not None:
        fields.update(_completed_v4(partial, complete, category=fields.get("category"), taxonomy=taxonomy))
    return fields


def _completed_v4(partial: dict, complete: set, *, category: str | None, taxonomy: Taxonomy) -> dict:
    """What schema.suggestion_check_v4 would keep of the complete nested parts; the attributes once the category
    is known, since they are only that category's."""
    fields: dict = {}
    candidates = partial.get("category_candidates")
    if "category_candidates" in complete and category is not None and isinstance(candidates, list):
        known = [category, *(slug for slug in candidates if slug in taxonomy.category_slugs and slug != category)]
        fields["category_candidates"] = list(dict.fromkeys(known))[:CATEGORY_CANDIDATES_MAX]
    attributes = partial.get("attributes")
    if "attributes" in complete and category is not None and isinstance(attributes, dict):
        shown = {}
        for spec in taxonomy.attributes_of(category):
            value = attributes.get(spec.slug)
            value = value.strip() if isinstance(value, str) else None
            if value and len(value) <= ATTRIBUTE_VALUE_MAX_LENGTH and (not spec.choices or value in spec.choices):
                shown[spec.slug] = value
        fields["attributes"] = shown
    confidence = partial.get("confidence")
    if "confidence" in complete and category is not None and isinstance(confidence, dict):
        rated = (*SUGGESTED_FIELDS, *(spec.slug for spec in taxonomy.attributes_of(category)))
        fields["confidence"] = {name: confidence[name] for name in rated if confidence.get(name) in CONFIDENCE_LEVELS}
    return fields


def _checked(name: str, value: object, category_slugs: Sequence[str]) -> str | None:
    """The field as shown, or None when the final check (schema.suggestion_check) would refuse it."""
    if name == "price":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return None
        if not 0 <= value <= PRICE_MAX:
            return None
        return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    if not isinstance(value, str):
        return None
    value = value.strip()
    limits = {"title": TITLE_MAX_LENGTH, "description": DESCRIPTION_MAX_LENGTH}
    if name in limits:
        return value if value and len(value) <= limits[name] else None
    if name == "category":
        return value if value in category_slugs else None
    return value if value in Condition.values else None


def openai_stream_attempt(sent_input: AttemptInput) -> Attempt:
    """Ask the model once with a streamed answer; the Attempt is what openai_attempt would give for the same answer."""
    config, prompt, taxonomy, language = sent_input.config, sent_input.prompt, sent_input.taxonomy, sent_input.language
    client = openai_client(settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY, config.timeout_seconds)
    request = request_kwargs(sent_input)
    # What the publisher is offered of the text so far.
    shown = partial(
        completed_fields, category_slugs=taxonomy.category_slugs, taxonomy=taxonomy if prompt.output == "v4" else None
    )
    publisher = live_publisher()
    if publisher is not None:
        publisher.restart()

    attempt = Attempt(started_at=timezone.now())
    started = time.monotonic()
    sent = None
    text = ""
    try:
        if config.api_style == "chat":
            # The usage comes in a last chunk only when asked for (openai/types/chat/
            # chat_completion_stream_options_param.py).
            stream = client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True})
        else:
            stream = client.responses.create(**request, stream=True)
        sent = stream.response.request
        attempt.http_status = stream.response.status_code
        with stream:
            reader = _read_chat if config.api_style == "chat" else _read_responses
            text, refusal, ending = reader(stream, attempt, publisher, shown)
        if publisher is not None:
            publisher.flush()
        attempt.raw_output = (refusal if refusal is not None else text)[:RAW_OUTPUT_MAX_CHARS]
        if refusal is not None:
            attempt.fail("refusal", refusal or "The model refused without a reason.")
        elif ending == "length":
            # As without streaming: one retry at a larger cap (ai_prefill.llm.suggest).
            attempt.fail("output_truncated", truncated_message(attempt, config))
        elif ending == "content_filter":
            attempt.fail("refusal", "The answer was withheld by the content filter.")
        else:
            attempt.suggestion = answer_check(text, prompt=prompt, taxonomy=taxonomy, language=language)
    except _StreamCut as error:
        attempt.raw_output = text[:RAW_OUTPUT_MAX_CHARS]
        attempt.fail("connection_error", f"{STREAM_CUT_MESSAGE} {error}".strip())
    except (openai.APIError, pydantic.ValidationError, SuggestionInvalid, WrongLanguage) as error:
        if isinstance(error, openai.APIConnectionError):
            attempt.raw_output = text[:RAW_OUTPUT_MAX_CHARS]  # what had arrived before the connection broke
        sent = attempt_failed(attempt, error, config=config) or sent
    finally:
        attempt.latency_ms = round((time.monotonic() - started) * 1000)
        attempt.request = recorded_request(sent, sent_input.image_refs)
    return attempt


def _read_responses(stream, attempt: Attempt, publisher, shown: Callable[[str], dict]) -> tuple[str, str | None, str]:
    """(text, refusal or None, how it ended: "stop" | "length" | "content_filter") from Responses API events."""
    parts: list[str] = []
    refusal: list[str] | None = None
    for event in stream:
        if event.type == "response.output_text.delta":
            parts.append(event.delta)
            if publisher is not None:
                publisher.offer(shown("".join(parts)))
        elif event.type == "response.refusal.delta":
            refusal = [*(refusal or []), event.delta]
        elif event.type in ("response.completed", "response.incomplete", "response.failed"):
            _usage_record(attempt, event.response.usage)
            if event.type == "response.failed":
                error = event.response.error
                raise openai.APIError(error.message if error else "The response failed.", request=None, body=None)
            if event.type == "response.incomplete":
                details = event.response.incomplete_details
                reason = details.reason if details else None
                return "".join(parts), None, "content_filter" if reason == "content_filter" else "length"
            return "".join(parts), "".join(refusal) if refusal is not None else None, "stop"
    raise _StreamCut("No response.completed event arrived.")


def _read_chat(stream, attempt: Attempt, publisher, shown: Callable[[str], dict]) -> tuple[str, str | None, str]:
    """The same from Chat Completions chunks; the usage comes in a last chunk without choices."""
    parts: list[str] = []
    refusal: list[str] | None = None
    ending = None
    for chunk in stream:
        if chunk.usage is not None:
            _usage_record(attempt, chunk.usage)
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            parts.append(choice.delta.content)
            if publisher is not None:
                publisher.offer(shown("".join(parts)))
        if choice.delta.refusal is not None:
            refusal = [*(refusal or []), choice.delta.refusal]
        if choice.finish_reason is not None:
            ending = choice.finish_reason
    if ending is None:
        raise _StreamCut("No chunk said why the answer finished.")
    return "".join(parts), "".join(refusal) if refusal is not None else None, ending


def _usage_record(attempt: Attempt, usage) -> None:
    """Tokens as billed, from either API's usage object (openai/types/responses/response_usage.py,
    openai/types/completion_usage.py): input includes the cached tokens, output the reasoning tokens."""
    if usage is None:
        return
    chat = hasattr(usage, "prompt_tokens")
    attempt.input_tokens = usage.prompt_tokens if chat else usage.input_tokens
    attempt.output_tokens = usage.completion_tokens if chat else usage.output_tokens
    input_details = usage.prompt_tokens_details if chat else usage.input_tokens_details
    output_details = usage.completion_tokens_details if chat else usage.output_tokens_details
    attempt.cached_input_tokens = (getattr(input_details, "cached_tokens", None) or 0) if input_details else 0
    attempt.reasoning_tokens = (getattr(output_details, "reasoning_tokens", None) or 0) if output_details else 0

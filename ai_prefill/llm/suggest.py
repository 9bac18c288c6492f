"""prefill_suggest: the retry policy around one provider, and the record of every attempt."""

import dataclasses
import logging
import random
import time
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from ai_prefill.llm.capabilities import params_for_model
from ai_prefill.llm.demo_provider import demo_attempt
from ai_prefill.llm.openai_provider import openai_attempt
from ai_prefill.llm.pricing import cost_estimate
from ai_prefill.llm.prompt import PromptVersionError, current_prompt_version, prompt_get
from ai_prefill.llm.streaming import openai_stream_attempt
from ai_prefill.llm.types import (
    MAX_IMAGES,
    OUTPUT_ERRORS,
    TRANSIENT_ERRORS,
    Attempt,
    AttemptInput,
    AttributeSpec,
    ModelConfig,
    PrefillFailed,
    PrefillResult,
    Taxonomy,
)
from ai_prefill.models import LLMCall
from core.db import connection_release, through_database_outage
from core.tracing import llm_span
from marketplace.models import Category
from marketplace.selectors import category_attributes

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Invalid, schema-breaking or refused answers get one more try, not two: a third rarely differs.
MAX_OUTPUT_FAILURES = 2
# A truncated answer (the cap used up, often by reasoning) is tried once more with this many times the cap.
TRUNCATED_CAP_FACTOR = 2
API_STYLES = ("responses", "chat")
PROVIDERS = ("openai", "demo")


def model_config_for(
    *,
    model: str | None = None,
    prompt_version: str | None = None,
    api_style: str | None = None,
    provider: str | None = None,
    params: dict | None = None,
) -> ModelConfig:
    """A model config, anything not given as settings say; the parameters are the prompt version's that the
    model accepts, then AI_MAX_OUTPUT_TOKENS, then `params` (which must suit the model). Raises ValueError
    (PromptVersionError, ModelParamsInvalid) naming what is wrong."""
    provider = provider or ("demo" if model == "demo" else "openai" if model else settings.AI_PROVIDER)
    if provider not in PROVIDERS:
        raise ValueError(f"Unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}.")
    model = model or (settings.AI_MODEL if provider == "openai" else "demo")
    api_style = api_style or settings.AI_API_STYLE
    if api_style not in API_STYLES:
        raise ValueError(f"Unknown API style {api_style!r}: use one of {', '.join(API_STYLES)}.")
    prompt = prompt_get(prompt_version or current_prompt_version())
    defaults = {**prompt.params, "max_output_tokens": settings.AI_MAX_OUTPUT_TOKENS}
    merged = params_for_model(model=model, defaults=defaults, chosen=params or {}) if provider == "openai" else defaults
    return ModelConfig(
        provider=provider,
        model=model,
        api_style=api_style,
        prompt_version=prompt.version,
        timeout_seconds=float(settings.AI_TIMEOUT_SECONDS),
        params=merged,
    )


def default_model_config() -> ModelConfig:
    """The provider, model, API style and prompt version that settings ask for now."""
    return model_config_for()


def taxonomy_read(*, language: str) -> Taxonomy:
    """The categories and their attributes as they are now, named in the given language."""
    with translation.override(language):
        categories = tuple(
            (category.slug, category.name_translated) for category in Category.objects.order_by("position", "name")
        )
        attributes = tuple(
            (
                category_slug,
                tuple(
                    AttributeSpec(attribute.slug, attribute.name_translated, tuple(attribute.choices), attribute.hint)
                    for attribute in specs
                ),
            )
            for category_slug, specs in category_attributes().items()
        )
    return Taxonomy(categories=categories, attributes=attributes)


def prefill_suggest(
    *,
    images: Sequence[bytes],
    config: ModelConfig,
    analysis=None,
    image_refs: Sequence[str] = (),
    purpose: str = "production",
    language: str = "en",
) -> PrefillResult:
    """Ask the model for a suggestion from every photo of the item, in order (1 to MAX_IMAGES model-ready JPEGs,
    each recorded as its `image_refs` entry), retrying per policy and recording one LLMCall per attempt, with its
    purpose (LLMCall.Purpose: an evaluation run's calls never count in the production figures). From prefill-v4 on
    the text is asked for in `language` (a code, "it") and an answer in another language is an output error.

    Raises PrefillFailed when no attempt gave a usable suggestion.
    """
    if not 1 <= len(images) <= MAX_IMAGES:
        raise ValueError(f"prefill_suggest takes 1 to {MAX_IMAGES} images, not {len(images)}.")
    taxonomy = through_database_outage(lambda: taxonomy_read(language=language), what="reading the categories")
    if not taxonomy.categories:
        raise PrefillFailed("no_categories", "There are no categories to suggest from.")
    try:
        prompt = prompt_get(config.prompt_version)
    except PromptVersionError as error:
        raise PrefillFailed("prompt_version", str(error)) from None
    refs = tuple(image_refs) + ("",) * (len(images) - len(image_refs))
    sent_input = AttemptInput(
        images=tuple(images),
        image_refs=refs[: len(images)],
        config=config,
        prompt=prompt,
        taxonomy=taxonomy,
        language=language,
    )
    output_failures = 0
    call_ids: list[int] = []
    for number in range(1, MAX_ATTEMPTS + 1):
        connection_release()
        attempt = _traced_attempt(sent_input, number=number)
        call = _record(attempt, number=number, sent_input=sent_input, analysis=analysis, purpose=purpose)
        call_ids.append(call.pk)
        if attempt.suggestion is not None:
            return PrefillResult(suggestion=attempt.suggestion, attempts=number, call_ids=tuple(call_ids))
        output_failures += attempt.error_type in OUTPUT_ERRORS
        retryable = attempt.error_type in TRANSIENT_ERRORS or (
            attempt.error_type in OUTPUT_ERRORS and output_failures < MAX_OUTPUT_FAILURES
        )
        final = not retryable or number == MAX_ATTEMPTS
        logger.log(
            logging.WARNING if final else logging.INFO,
            "Model attempt %d failed (%s), %s: %s",
            number,
            attempt.error_type,
            "giving up" if final else "retrying",
            attempt.error_message,
        )
        if final:
            raise PrefillFailed(attempt.error_type, attempt.error_message, attempts=number, call_ids=tuple(call_ids))
        if attempt.error_type == "output_truncated":
            config = sent_input.config
            cap = config.params.get("max_output_tokens") or settings.AI_MAX_OUTPUT_TOKENS
            larger = dataclasses.replace(
                config, params={**config.params, "max_output_tokens": cap * TRUNCATED_CAP_FACTOR}
            )
            sent_input = dataclasses.replace(sent_input, config=larger)
        connection_release()
        time.sleep(retry_wait_seconds(attempt, number=number))
    raise AssertionError("unreachable: the last attempt returns or raises")


def retry_wait_seconds(attempt: Attempt, *, number: int) -> float:
    """How long to wait after the given failed attempt before the next."""
    if attempt.error_type in OUTPUT_ERRORS:
        return 0.0  # the service answered; nothing to wait for
    backoff = min(settings.AI_RETRY_MAX_SECONDS, settings.AI_RETRY_BASE_SECONDS * 2 ** (number - 1))
    # Equal jitter: workers that failed together do not retry together, and none retries at once.
    wait = backoff / 2 + random.uniform(0, backoff / 2)
    if attempt.retry_after is not None:
        wait = max(wait, min(attempt.retry_after, settings.AI_RETRY_AFTER_MAX_SECONDS))
    return wait


def _traced_attempt(sent_input: AttemptInput, *, number: int) -> Attempt:
    """One attempt inside an OpenTelemetry span (a no-op unless OTEL_EXPORTER_OTLP_ENDPOINT is set)."""
    config = sent_input.config
    with llm_span(
        provider=config.provider,
        request_model=config.model,
        api_style=config.api_style,
        attempt=number,
        prompt_version=config.prompt_version,
    ) as span:
        attempt = _attempt(sent_input)
        span.record_response(input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens)
        if attempt.error_type:
            span.record_error(attempt.error_type, attempt.error_message[:200])
    return attempt


def _attempt(sent_input: AttemptInput) -> Attempt:
    started_at = timezone.now()
    config = sent_input.config
    try:
        if config.provider == "demo":
            return demo_attempt(sent_input)
        provider_attempt = openai_stream_attempt if settings.AI_STREAM else openai_attempt
        return provider_attempt(sent_input)
    except Exception as error:
        # A bug of ours rather than the model's fault: still recorded, and the analysis still ends.
        logger.exception("The %s provider failed unexpectedly", config.provider)
        attempt = Attempt(started_at=started_at, request={"image_refs": list(sent_input.image_refs)})
        attempt.fail("internal_error", f"{type(error).__name__}: {error}")
        return attempt


def _record(attempt: Attempt, *, number: int, sent_input: AttemptInput, analysis, purpose: str) -> LLMCall:
    config, prompt = sent_input.config, sent_input.prompt
    call = LLMCall(
        analysis=analysis,
        purpose=purpose,
        attempt=number,
        provider=config.provider,
        model=config.model,
        api_style=config.api_style,
        prompt_version=config.prompt_version,
        prompt_hash=prompt.content_hash,
        started_at=attempt.started_at,
        latency_ms=attempt.latency_ms,
        input_tokens=attempt.input_tokens,
        cached_input_tokens=attempt.cached_input_tokens,
        output_tokens=attempt.output_tokens,
        reasoning_tokens=attempt.reasoning_tokens,
        cost=Decimal(0)  # the demo provider runs here, for free
        if config.provider == "demo"
        else cost_estimate(
            model=config.model,
            input_tokens=attempt.input_tokens,
            cached_input_tokens=attempt.cached_input_tokens,
            output_tokens=attempt.output_tokens,
            reasoning_tokens=attempt.reasoning_tokens,
        ),
        http_status=attempt.http_status,
        error_type=attempt.error_type,
        error_message=attempt.error_message,
        raw_output=attempt.raw_output,
        request=attempt.request,
    )
    # The attempt is paid for: its record waits out a database restart rather than being lost.
    through_database_outage(call.save, what="recording a model call")
    return call

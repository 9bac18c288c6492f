"""Run every case of a dataset through the production path, in parallel, and store a result per case.

The path is the worker's: the stored photos, in order -> prepare_model_image each -> prefill_suggest with a
ModelConfig and the case's language (the same prompt build, structured output, validation and retries).
prefill_suggest records each attempt as an LLMCall with purpose "eval" and no analysis (so no production figure
counts it) and returns their ids, which become the result's own relation to its calls.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ai_prefill.images import prepare_model_image
from ai_prefill.llm import ModelConfig, PrefillFailed, PrefillResult, model_config_for, prefill_suggest
from ai_prefill.llm.prompt import prompt_get
from ai_prefill.llm.types import OUTPUT_ERRORS
from ai_prefill.models import LLMCall, Variant
from ai_prefill.rollout.selectors import variant_model_config
from core.db import connection_release
from core.errors import DomainError, PhotoRejected
from evals.metrics import Expected, case_verdicts, run_metrics
from evals.models import EvalCase, EvalResult, EvalRun
from evals.pricing import pricing_comparison

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64


class EvalRunInvalid(DomainError):
    pass


def eval_model_config(
    *, model: str, prompt_version: str | None = None, api_style: str | None = None, params: dict | None = None
) -> ModelConfig:
    """The config a run uses: what the worker would build for this model, prompt version and API style.

    Raises EvalRunInvalid naming an unknown prompt version or API style, or a model nothing could answer.
    """
    try:
        config = model_config_for(model=model, prompt_version=prompt_version, api_style=api_style, params=params)
    except ValueError as error:
        raise EvalRunInvalid(str(error)) from None
    if config.provider == "openai" and not (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL):
        raise EvalRunInvalid(
            f"The model {model!r} is called through the OpenAI API, but neither OPENAI_API_KEY nor OPENAI_BASE_URL "
            "is set. Set one of them, or use --model demo to try the loop offline."
        )
    return config


def eval_variant_config(*, name: str) -> ModelConfig:
    """Exactly what an experiment's arm with this variant would send: its provider, model, API style, prompt version
    and parameters, built by the worker's own function."""
    variant = Variant.objects.filter(name=name).first()
    if variant is None:
        known = ", ".join(Variant.objects.order_by("name").values_list("name", flat=True)) or "none yet"
        raise EvalRunInvalid(f"There is no variant called {name!r} (variants: {known}).")
    try:
        config = variant_model_config(variant)
    except ValueError as error:
        raise EvalRunInvalid(f"Variant {name!r}: {error}") from None
    if config.provider == "openai" and not (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL):
        raise EvalRunInvalid(
            f"The variant {name!r} calls the OpenAI API, but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set."
        )
    return config


def evalrun_execute(
    *,
    dataset: str,
    config: ModelConfig,
    concurrency: int = DEFAULT_CONCURRENCY,
    baseline: EvalRun | None = None,
    progress: Callable[[int, int], None] | None = None,
    variant: str = "",
) -> EvalRun:
    """Run every case of the dataset through the model, `concurrency` at a time; the finished run with its metrics.

    progress(done, total) is called after each case.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise EvalRunInvalid(f"The concurrency must be between 1 and {MAX_CONCURRENCY}, not {concurrency}.")
    cases = list(EvalCase.objects.filter(dataset=dataset).order_by("id"))
    if not cases:
        raise EvalRunInvalid(f"The dataset {dataset!r} has no cases.")
    run = EvalRun.objects.create(
        dataset=dataset,
        provider=config.provider,
        model=config.model,
        api_style=config.api_style,
        prompt_version=config.prompt_version,
        prompt_hash=prompt_get(config.prompt_version).content_hash,
        params=config.params,
        concurrency=concurrency,
        baseline=baseline,
        variant=variant,
    )
    # The worker threads open their own connections: this one must not sit idle in a transaction meanwhile.
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval") as pool:
        futures = [pool.submit(_evalresult_create, run=run, case=case, config=config) for case in cases]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            if progress is not None:
                progress(done, len(cases))
    run.metrics = {**run_metrics(list(run.results.all())), "pricing": pricing_comparison(run=run)}
    run.status = EvalRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.save(update_fields=["metrics", "status", "finished_at"])
    return run


def image_refs_for(*, run: EvalRun, case: EvalCase, count: int) -> list[str]:
    """What the call records say instead of each photo's bytes."""
    first = f"eval-run-{run.pk}-case-{case.pk}"
    return [first, *(f"{first}-photo-{number}" for number in range(2, count + 1))]


def _evalresult_create(*, run: EvalRun, case: EvalCase, config: ModelConfig) -> EvalResult:
    try:
        return _evaluate(run=run, case=case, config=config)
    finally:
        # A pool thread's connection would otherwise stay open until the process ends.
        connection_release()


def _evaluate(*, run: EvalRun, case: EvalCase, config: ModelConfig) -> EvalResult:
    started = time.monotonic()
    suggestion, error_type, error_message, attempts, call_ids = None, "", "", 0, ()
    try:
        images_jpeg = []
        for photo in case.photos:
            with photo.open("rb") as image_file:
                images_jpeg.append(prepare_model_image(image_file.read()))
        started = time.monotonic()
        result = _suggest(
            images_jpeg=images_jpeg,
            image_refs=image_refs_for(run=run, case=case, count=len(images_jpeg)),
            language=case_language(case),
            config=config,
        )
        suggestion, attempts, call_ids = result.suggestion, result.attempts, result.call_ids
    except PrefillFailed as failure:
        error_type, error_message, attempts = failure.error_type, failure.detail, failure.attempts
        call_ids = failure.call_ids
    except (PhotoRejected, OSError) as error:
        error_type, error_message = "photo_unreadable", f"The case's photo could not be read: {error}"
    except Exception as error:
        logger.exception("Evaluating case %s in run %s failed unexpectedly", case.pk, run.pk)
        error_type, error_message = "internal_error", f"{type(error).__name__}: {error}"
    latency_ms = round((time.monotonic() - started) * 1000)
    calls = list(LLMCall.objects.filter(pk__in=call_ids).order_by("attempt", "id"))
    expected = expected_snapshot(case)
    verdicts = case_verdicts(
        expected=_expected(case),
        suggestion=suggestion,
        output_failures=sum(call.error_type in OUTPUT_ERRORS for call in calls),
    )
    # One write transaction for the result and its calls: fewer lock waits on SQLite.
    with transaction.atomic():
        result = EvalResult.objects.create(
            run=run,
            case=case,
            expected=expected,
            produced=suggestion,
            error_type=error_type,
            error_message=error_message,
            attempts=attempts,
            schema_valid=verdicts.schema_valid,
            category_correct=verdicts.category_correct,
            price_in_range=verdicts.price_in_range,
            price_abs_pct_error=verdicts.price_abs_pct_error,
            title_mentions=verdicts.title_mentions,
            tone_flagged=verdicts.tone_flagged,
            tone_words=list(verdicts.tone_words),
            attribute_verdicts=verdicts.attributes,
            latency_ms=latency_ms,
            model_latency_ms=sum(call.latency_ms for call in calls),
            input_tokens=sum(call.input_tokens for call in calls),
            output_tokens=sum(call.output_tokens for call in calls),
            # Unknown (None) when any attempt's model has no known price: a partial sum would pass for the whole.
            cost=None if any(call.cost is None for call in calls) else sum((call.cost for call in calls), Decimal(0)),
        )
        result.llm_calls.set(calls)
    return result


def _suggest(*, images_jpeg: list[bytes], image_refs: list[str], language: str, config: ModelConfig) -> PrefillResult:
    """Every photo of the case, in order, asked in the case's language: as the worker asks for a seller's photos."""
    return prefill_suggest(
        images=images_jpeg, config=config, image_refs=image_refs, language=language, purpose=LLMCall.Purpose.EVAL
    )


def case_language(case: EvalCase) -> str:
    """The language the case's suggestion is asked in: its own, or the site's default."""
    return case.language or settings.LANGUAGE_CODE


def _expected(case: EvalCase) -> Expected:
    return Expected(
        category=case.expected_category,
        price_min=case.expected_price_min,
        price_max=case.expected_price_max,
        title_must_mention=tuple(case.title_must_mention),
        attributes=dict(case.expected_attributes),
    )


def expected_snapshot(case: EvalCase) -> dict:
    def price(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {
        "category": case.expected_category,
        "price_min": price(case.expected_price_min),
        "price_max": price(case.expected_price_max),
        "title_must_mention": list(case.title_must_mention),
        "title": case.expected_title,
        "condition": case.expected_condition,
        "attributes": dict(case.expected_attributes),
        "language": case_language(case),
    }

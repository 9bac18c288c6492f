"""Verdicts on one case's answer, and the numbers that sum up a run.

Denominators, chosen so a model cannot look better by failing: every rate except the tone flag is over
all cases the metric applies to, and a case with no suggestion counts as wrong. The tone flag is over
the cases that have a description to judge, so failures neither raise nor hide it.
"""

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

# Words that make a listing read like an advert rather than a person selling their things.
MARKETING_WORDS = (
    "amazing",
    "stunning",
    "must-have",
    "premium",
    "experience",
    "elevate",
    "perfect",
    "incredible",
    "unbeatable",
    "luxury",
)
RATE_DIGITS = 6
# The metrics in the order the table prints them.
METRIC_NAMES = (
    "n_cases",
    "schema_valid_rate",
    "category_accuracy",
    "price_in_range_rate",
    "price_median_abs_pct_error",
    "title_mention_rate",
    "tone_flag_rate",
    "error_rate",
    "output_truncated_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "model_latency_p50_ms",
    "model_latency_p95_ms",
    "tokens_total",
    "cost_total",
    "cost_per_analysis",
)


@dataclass(frozen=True)
class Expected:
    category: str
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    title_must_mention: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdicts:
    schema_valid: bool
    category_correct: bool
    price_in_range: bool | None
    price_abs_pct_error: float | None
    title_mentions: bool | None
    tone_flagged: bool | None
    tone_words: tuple[str, ...]


def mentions(text: str, word: str) -> bool:
    """The word (or phrase) appears whole in the text, any case; a plural in -s or -es counts too."""
    pattern = r"(?<!\w)" + re.escape(word.strip()) + r"(?:s|es)?(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def tone_problems(description: str) -> list[str]:
    """The marketing words in a description, and "!" when it has exclamation marks."""
    found = [word for word in MARKETING_WORDS if mentions(description, word)]
    return [*found, "!"] if "!" in description else found


def price_target(expected: Expected) -> Decimal | None:
    """The middle of the expected range, or its one bound when only one is set."""
    bounds = [bound for bound in (expected.price_min, expected.price_max) if bound is not None]
    return sum(bounds, Decimal(0)) / len(bounds) if bounds else None


def case_verdicts(*, expected: Expected, suggestion: dict | None, output_failures: int) -> Verdicts:
    """Judge one case's suggestion (None when the model gave nothing usable) against what we expect.

    output_failures: answers rejected for their content (bad JSON, schema, refusal) before the last one.
    """
    has_range = expected.price_min is not None or expected.price_max is not None
    has_words = bool(expected.title_must_mention)
    if suggestion is None:
        return Verdicts(
            schema_valid=False,
            category_correct=False,
            price_in_range=False if has_range else None,
            price_abs_pct_error=None,
            title_mentions=False if has_words else None,
            tone_flagged=None,
            tone_words=(),
        )
    # From prefill-v4 on the price may be null (not visible): it is then in no range and has no error.
    price = None if suggestion.get("price") is None else Decimal(str(suggestion["price"]))
    in_range = None
    if has_range:
        in_range = (
            price is not None
            and (expected.price_min is None or price >= expected.price_min)
            and (expected.price_max is None or price <= expected.price_max)
        )
    target = price_target(expected)
    pct_error = float(abs(price - target) / target) if target and price is not None else None
    title = suggestion.get("title") or ""
    problems = tone_problems(suggestion.get("description") or "")
    return Verdicts(
        schema_valid=output_failures == 0,
        category_correct=suggestion.get("category") == expected.category,
        price_in_range=in_range,
        price_abs_pct_error=pct_error,
        title_mentions=all(mentions(title, word) for word in expected.title_must_mention) if has_words else None,
        tone_flagged=bool(problems),
        tone_words=tuple(problems),
    )


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the two nearest ranks, as PostgreSQL's percentile_cont does."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _rate(verdicts: Iterable[bool | None]) -> float | None:
    applicable = [verdict for verdict in verdicts if verdict is not None]
    return round(sum(applicable) / len(applicable), RATE_DIGITS) if applicable else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def run_metrics(results: Sequence) -> dict:
    """The run's numbers from its EvalResult rows (or anything with the same attributes)."""
    latencies = [result.latency_ms for result in results]
    model_latencies = [result.model_latency_ms for result in results]
    # None ("unknown price") when any case's model has no known price, never a sum that counts it as $0.
    costs = [result.cost for result in results]
    cost_total = None if None in costs else float(sum((Decimal(cost) for cost in costs), Decimal(0)))
    pct_errors = [result.price_abs_pct_error for result in results if result.price_abs_pct_error is not None]
    return {
        "n_cases": len(results),
        "schema_valid_rate": _rate(result.schema_valid for result in results),
        "category_accuracy": _rate(result.category_correct for result in results),
        "price_in_range_rate": _rate(result.price_in_range for result in results),
        "price_median_abs_pct_error": _rounded(statistics.median(pct_errors)) if pct_errors else None,
        "title_mention_rate": _rate(result.title_mentions for result in results),
        "tone_flag_rate": _rate(result.tone_flagged for result in results),
        "error_rate": _rate(bool(result.error_type) for result in results),
        "output_truncated_rate": _rate(result.error_type == "output_truncated" for result in results),
        "latency_p50_ms": _rounded(percentile(latencies, 0.5)),
        "latency_p95_ms": _rounded(percentile(latencies, 0.95)),
        "model_latency_p50_ms": _rounded(percentile(model_latencies, 0.5)),
        "model_latency_p95_ms": _rounded(percentile(model_latencies, 0.95)),
        "tokens_total": sum(result.input_tokens + result.output_tokens for result in results),
        "cost_total": cost_total,
        "cost_per_analysis": None if cost_total is None or not results else round(cost_total / len(results), 9),
    }

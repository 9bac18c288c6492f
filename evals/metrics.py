"""Verdicts on one case's answer, and the numbers that sum up a run.

Denominators, chosen so a model cannot look better by failing: every rate except the tone flag is over
all cases the metric applies to, and a case with no suggestion counts as wrong. The tone flag is over
the cases that have a description to judge, so failures neither raise nor hide it.

Attributes (from prompt prefill-v4 on): the accuracy is over every attribute value a case expects (the same
text, case and spaces aside); "not visible" is scored as a retrieval of nulls over the attributes a case has an
expectation for: precision = of the nulls returned, how many the case expected; recall = of the nulls the case
expected, how many came back null (a missing attribute is not a null: the model did not say "not visible").
Accuracy by confidence: per field and stated level, how often the suggested (non-null) value was right, for
the fields a case can judge; answers without a confidence (prompts before v4) state none and are left out.
"""

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from ai_prefill.confidence import LEVELS

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
    "attribute_accuracy",
    "not_visible_precision",
    "not_visible_recall",
    "latency_p50_ms",
    "latency_p95_ms",
    "model_latency_p50_ms",
    "model_latency_p95_ms",
    "tokens_total",
    "cost_total",
    "cost_per_analysis",
)


# The run's numbers that are not one rate each: JSON and the report's own sections show them.
BREAKDOWN_NAMES = ("attribute_accuracy_by_slug", "accuracy_by_confidence", "by_language")
# What the per-language split shows of each language's cases.
LANGUAGE_METRIC_NAMES = (
    "n_cases",
    "schema_valid_rate",
    "category_accuracy",
    "attribute_accuracy",
    "not_visible_precision",
    "not_visible_recall",
    "error_rate",
)
CONFIDENCE_LEVELS = tuple(reversed(LEVELS))  # highest first, as the report shows them
# Values a level needs before its accuracy is held against the next level's: as the dashboard's calibration
# (insights.calibration), below which a reversal is mostly noise.
CONFIDENCE_MIN_SAMPLE = 30


@dataclass(frozen=True)
class Expected:
    category: str
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    title_must_mention: tuple[str, ...] = ()
    # {slug: value or None ("not visible")}
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdicts:
    schema_valid: bool
    category_correct: bool
    price_in_range: bool | None
    price_abs_pct_error: float | None
    title_mentions: bool | None
    tone_flagged: bool | None
    tone_words: tuple[str, ...]
    attributes: dict = field(default_factory=dict)  # {slug: right or not}, see attribute_verdicts


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


def normalised(value) -> str:
    """An attribute value as compared: any case, runs of spaces as one ("Sony ", "sony" are the same)."""
    return " ".join(str(value).split()).casefold()


def produced_attributes(suggestion: dict | None) -> dict | None:
    """The answer's attributes, or None when there is no answer or its prompt asks for none (before v4)."""
    attributes = (suggestion or {}).get("attributes")
    return attributes if isinstance(attributes, dict) else None


def attribute_verdicts(*, expected: dict, suggestion: dict | None) -> dict[str, bool]:
    """Per expected attribute: right when the value matches, or, where the case expects "not visible" (None),
    when the answer says null for it."""
    produced = produced_attributes(suggestion) or {}
    verdicts = {}
    for slug, wanted in expected.items():
        value = produced.get(slug)
        if wanted is None:
            verdicts[slug] = slug in produced and value is None
        else:
            verdicts[slug] = value is not None and normalised(value) == normalised(wanted)
    return verdicts


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
            attributes=attribute_verdicts(expected=expected.attributes, suggestion=None),
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
        attributes=attribute_verdicts(expected=expected.attributes, suggestion=suggestion),
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


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, RATE_DIGITS) if whole else None


def _attribute_counts(results: Sequence) -> dict:
    """Counts behind the attribute metrics: values right of expected, and the "not visible" retrieval."""
    counts = {"right": 0, "values": 0, "null_hits": 0, "nulls_returned": 0, "nulls_expected": 0}
    by_slug: dict[str, list[int]] = {}
    for result in results:
        expected = result.expected.get("attributes") or {}
        produced = produced_attributes(result.produced) or {}
        for slug, wanted in expected.items():
            returned_null = slug in produced and produced[slug] is None
            counts["nulls_returned"] += returned_null
            if wanted is None:
                counts["nulls_expected"] += 1
                counts["null_hits"] += returned_null
                continue
            right = bool(result.attribute_verdicts.get(slug))
            counts["values"] += 1
            counts["right"] += right
            slug_counts = by_slug.setdefault(slug, [0, 0])
            slug_counts[0] += right
            slug_counts[1] += 1
    counts["by_slug"] = by_slug
    return counts


def field_right(result, name: str) -> bool | None:
    """Whether the result's suggested value for the field was right; None when the case cannot judge it."""
    if name == "category":
        return result.category_correct
    if name == "price":
        return result.price_in_range
    if name == "title":
        return result.title_mentions
    if name == "condition":
        wanted = result.expected.get("condition") or ""
        return result.produced.get("condition") == wanted if wanted else None
    expected = result.expected.get("attributes") or {}
    if name not in expected:
        return None
    # A value where the case expects "not visible" is a wrong value, whatever its confidence.
    return bool(result.attribute_verdicts.get(name)) if expected[name] is not None else False


def accuracy_by_confidence(results: Sequence) -> dict:
    """{field: {level: {"right", "n", "rate"}}} over the suggested values a case can judge."""
    table: dict[str, dict[str, list[int]]] = {}
    for result in results:
        produced = result.produced
        confidence = (produced or {}).get("confidence")
        if not isinstance(confidence, dict):
            continue
        values = {**produced, **(produced_attributes(produced) or {})}
        for name, level in confidence.items():
            if level not in CONFIDENCE_LEVELS or values.get(name) in (None, ""):
                continue
            right = field_right(result, name)
            if right is None:
                continue
            cell = table.setdefault(name, {}).setdefault(level, [0, 0])
            cell[0] += right
            cell[1] += 1
    return {
        name: {
            level: {"right": levels[level][0], "n": levels[level][1], "rate": _share(*levels[level])}
            for level in CONFIDENCE_LEVELS
            if level in levels
        }
        for name, levels in sorted(table.items())
    }


def confidence_findings(table: dict, *, min_sample: int = CONFIDENCE_MIN_SAMPLE) -> list[str]:
    """A sentence per field and level whose values were right at least as often as the next level up's, among the
    levels with min_sample values (accuracy_by_confidence's table)."""
    findings = []
    for name, levels in table.items():
        rising = [level for level in LEVELS if levels.get(level, {}).get("n", 0) >= min_sample]
        for lower, higher in pairwise(rising):
            low, high = levels[lower], levels[higher]
            if low["rate"] >= high["rate"]:
                findings.append(
                    f"{name}: “{lower}” values were right {low['rate']:.0%} of the time ({low['right']}/{low['n']}), "
                    f"at least as often as “{higher}” ones ({high['rate']:.0%}, {high['right']}/{high['n']})."
                )
    return findings


def case_language(result) -> str:
    return result.expected.get("language") or ""


def run_metrics(results: Sequence) -> dict:
    """The run's numbers from its EvalResult rows (or anything with the same attributes), with the breakdowns
    (BREAKDOWN_NAMES): attribute accuracy per slug, accuracy by confidence, and the rates per case language."""
    by_language: dict[str, list] = {}
    for result in results:
        by_language.setdefault(case_language(result), []).append(result)
    rates = _run_rates(results)
    return {
        **rates,
        "attribute_accuracy_by_slug": {
            slug: _share(right, n) for slug, (right, n) in sorted(_attribute_counts(results)["by_slug"].items())
        },
        "accuracy_by_confidence": accuracy_by_confidence(results),
        "by_language": {
            language: {name: _run_rates(group)[name] for name in LANGUAGE_METRIC_NAMES}
            for language, group in sorted(by_language.items())
        },
    }


def _run_rates(results: Sequence) -> dict:
    latencies = [result.latency_ms for result in results]
    model_latencies = [result.model_latency_ms for result in results]
    # None ("unknown price") when any case's model has no known price, never a sum that counts it as $0.
    costs = [result.cost for result in results]
    cost_total = None if None in costs else float(sum((Decimal(cost) for cost in costs), Decimal(0)))
    pct_errors = [result.price_abs_pct_error for result in results if result.price_abs_pct_error is not None]
    attributes = _attribute_counts(results)
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
        "attribute_accuracy": _share(attributes["right"], attributes["values"]),
        "not_visible_precision": _share(attributes["null_hits"], attributes["nulls_returned"]),
        "not_visible_recall": _share(attributes["null_hits"], attributes["nulls_expected"]),
        "latency_p50_ms": _rounded(percentile(latencies, 0.5)),
        "latency_p95_ms": _rounded(percentile(latencies, 0.95)),
        "model_latency_p50_ms": _rounded(percentile(model_latencies, 0.5)),
        "model_latency_p95_ms": _rounded(percentile(model_latencies, 0.95)),
        "tokens_total": sum(result.input_tokens + result.output_tokens for result in results),
        "cost_total": cost_total,
        "cost_per_analysis": None if cost_total is None or not results else round(cost_total / len(results), 9),
    }

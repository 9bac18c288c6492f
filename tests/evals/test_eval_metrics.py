"""The verdicts, the numbers and the gate, against values worked out by hand."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from evals.compare import gate_check
from evals.metrics import (
    CONFIDENCE_MIN_SAMPLE,
    Expected,
    attribute_verdicts,
    case_verdicts,
    confidence_findings,
    mentions,
    percentile,
    run_metrics,
    tone_problems,
)
from evals.models import EvalRun
from evals.report import json_report, text_report

ANSWER = {"title": "Sony WH-1000 headphones", "description": "Works.", "category": "electronics", "price": "45.00"}


@pytest.mark.parametrize(
    ("text", "word", "found"),
    [
        ("Wireless HEADPHONES", "headphones", True),
        ("Pair of sneakers", "sneaker", True),  # plural
        ("Two boxes", "box", True),  # plural in -es
        ("Red T-shirt", "shirt", True),  # a hyphen ends a word
        ("Category list", "cat", False),  # inside another word
        ("Mountain bike", "mountain bike", True),
        ("", "lamp", False),
    ],
)
def test_a_title_mentions_a_word_only_as_a_whole_word(text, word, found):
    assert mentions(text, word) is found


def test_tone_catches_marketing_words_and_exclamation_marks():
    assert tone_problems("A stunning, must-have lamp. Perfect!") == ["stunning", "must-have", "perfect", "!"]
    assert tone_problems("Works fine, a scratch on the base.") == []
    assert tone_problems("Experienced owner") == []  # "experience" is a word of its own


def test_the_verdicts_of_an_answer():
    expected = Expected("electronics", Decimal("20"), Decimal("80"), ("headphones", "sony"))

    verdicts = case_verdicts(expected=expected, suggestion=ANSWER, output_failures=0)

    assert (verdicts.schema_valid, verdicts.category_correct, verdicts.price_in_range) == (True, True, True)
    assert verdicts.price_abs_pct_error == pytest.approx(0.1)  # |45 - 50| / 50
    assert (verdicts.title_mentions, verdicts.tone_flagged) == (True, False)


def test_an_answer_after_a_rejected_one_is_not_schema_valid_and_one_bound_is_the_target():
    expected = Expected("books", price_max=Decimal("40"))

    verdicts = case_verdicts(expected=expected, suggestion=ANSWER, output_failures=1)

    assert (verdicts.schema_valid, verdicts.category_correct, verdicts.price_in_range) == (False, False, False)
    assert verdicts.price_abs_pct_error == pytest.approx(0.125)  # |45 - 40| / 40
    assert verdicts.title_mentions is None  # the case names no words


def test_a_price_the_model_could_not_see_is_in_no_range_and_has_no_error():
    not_visible = {**ANSWER, "price": None, "description": None}

    verdicts = case_verdicts(
        expected=Expected("electronics", Decimal("20"), Decimal("80"), ()), suggestion=not_visible, output_failures=0
    )

    assert (verdicts.price_in_range, verdicts.price_abs_pct_error, verdicts.tone_flagged) == (False, None, False)


def test_no_answer_is_wrong_where_something_was_expected_and_unjudged_otherwise():
    verdicts = case_verdicts(expected=Expected("books", Decimal("5"), None, ()), suggestion=None, output_failures=2)

    assert (verdicts.schema_valid, verdicts.category_correct, verdicts.price_in_range) == (False, False, False)
    assert (verdicts.title_mentions, verdicts.tone_flagged, verdicts.price_abs_pct_error) == (None, None, None)


def test_percentiles_interpolate_like_percentile_cont():
    assert percentile([100, 200, 300, 400], 0.5) == 250
    assert percentile([100, 200, 300, 400], 0.95) == pytest.approx(385)
    assert percentile([7], 0.95) == 7 and percentile([], 0.5) is None


def test_run_metrics_over_results():
    def result(**fields):
        defaults = {"schema_valid": True, "category_correct": True, "price_in_range": None, "title_mentions": None,
                    "tone_flagged": False, "error_type": "", "price_abs_pct_error": None, "latency_ms": 100,
                    "model_latency_ms": 80, "input_tokens": 800, "output_tokens": 50,
                    "cost": Decimal("0.000150"), "expected": {}, "produced": None,
                    "attribute_verdicts": {}}  # fmt: skip
        return SimpleNamespace(**{**defaults, **fields})

    metrics = run_metrics(
        [
            result(price_in_range=True, price_abs_pct_error=0.1, latency_ms=300),
            result(category_correct=False, price_in_range=False, price_abs_pct_error=0.5, tone_flagged=True),
            result(schema_valid=False, category_correct=False, tone_flagged=None, error_type="timeout",
                   input_tokens=0, output_tokens=0, cost=Decimal(0), latency_ms=900),
        ]
    )  # fmt: skip

    assert metrics == {
        "n_cases": 3,
        "schema_valid_rate": 0.666667,
        "category_accuracy": 0.333333,
        "price_in_range_rate": 0.5,
        "price_median_abs_pct_error": 0.3,
        "title_mention_rate": None,
        "tone_flag_rate": 0.5,
        "error_rate": 0.333333,
        "output_truncated_rate": 0.0,
        "attribute_accuracy": None,
        "not_visible_precision": None,
        "not_visible_recall": None,
        "latency_p50_ms": 300,
        "latency_p95_ms": 840,
        "model_latency_p50_ms": 80,
        "model_latency_p95_ms": 80,
        "tokens_total": 1700,
        "cost_total": 0.0003,
        "cost_per_analysis": 0.0001,
        "attribute_accuracy_by_slug": {},
        "accuracy_by_confidence": {},
        "by_language": {
            "": {
                "n_cases": 3,
                "schema_valid_rate": 0.666667,
                "category_accuracy": 0.333333,
                "attribute_accuracy": None,
                "not_visible_precision": None,
                "not_visible_recall": None,
                "error_rate": 0.333333,
            }
        },
    }


def test_one_case_without_a_known_price_makes_the_runs_cost_unknown():
    fields = {"schema_valid": True, "category_correct": True, "price_in_range": None, "title_mentions": None,
              "tone_flagged": False, "error_type": "", "price_abs_pct_error": None, "latency_ms": 100,
              "model_latency_ms": 80, "input_tokens": 800, "output_tokens": 50, "expected": {}, "produced": None,
              "attribute_verdicts": {}}  # fmt: skip

    metrics = run_metrics([SimpleNamespace(**fields, cost=Decimal("0.0001")), SimpleNamespace(**fields, cost=None)])

    assert (metrics["cost_total"], metrics["cost_per_analysis"]) == (None, None)


@pytest.mark.parametrize(
    ("baseline", "candidate", "max_drop", "passed"),
    [
        ((1.0, 1.0), (0.98, 1.0), 0.02, True),  # exactly the allowed drop, despite 1.0 - 0.98 > 0.02 in floats
        ((1.0, 1.0), (0.97, 1.0), 0.02, False),
        ((0.8, 1.0), (0.9, 0.95), 0.02, False),  # better category, worse schema
        ((0.8, 1.0), (0.9, 0.95), 0.05, True),
        ((0.5, 0.5), (0.5, 0.5), 0.0, True),
    ],
)
def test_the_gate_fails_on_a_drop_of_more_than_max_drop(baseline, candidate, max_drop, passed):
    def metrics(pair):
        return {"category_accuracy": pair[0], "schema_valid_rate": pair[1]}

    assert gate_check(baseline=metrics(baseline), candidate=metrics(candidate), max_drop=max_drop).passed is passed


def test_an_attribute_is_right_when_its_value_matches_case_and_spaces_aside_or_null_where_not_visible():
    expected = {"brand": "Sony", "model": "WH-1000XM4", "colour": None, "size": None}
    answer = {**ANSWER, "attributes": {"brand": "  sony ", "model": "WH-1000XM3", "colour": None, "size": "L"}}

    assert attribute_verdicts(expected=expected, suggestion=answer) == {
        "brand": True,
        "model": False,
        "colour": True,
        "size": False,
    }
    # No answer, or a prompt that asks for no attributes: nothing is right, a null included.
    assert attribute_verdicts(expected=expected, suggestion=ANSWER) == dict.fromkeys(expected, False)
    assert attribute_verdicts(expected=expected, suggestion=None) == dict.fromkeys(expected, False)


def _judged(expected: Expected, answer: dict | None, **snapshot) -> SimpleNamespace:
    """A result as the runner stores it, for run_metrics."""
    verdicts = case_verdicts(expected=expected, suggestion=answer, output_failures=0)
    return SimpleNamespace(
        schema_valid=answer is not None,
        category_correct=verdicts.category_correct,
        price_in_range=verdicts.price_in_range,
        price_abs_pct_error=verdicts.price_abs_pct_error,
        title_mentions=verdicts.title_mentions,
        tone_flagged=verdicts.tone_flagged,
        attribute_verdicts=verdicts.attributes,
        error_type="" if answer else "timeout",
        latency_ms=100, model_latency_ms=80, input_tokens=1, output_tokens=1, cost=Decimal(0),
        expected={"attributes": expected.attributes, **snapshot},
        produced=answer,
    )  # fmt: skip


def test_attribute_accuracy_and_the_not_visible_precision_and_recall_by_hand():
    sony = Expected("electronics", attributes={"brand": "Sony", "model": None, "colour": "black"})
    chair = Expected("furniture", attributes={"material": "oak", "colour": None, "dimensions": None})
    results = [
        # brand right, model null as expected, colour invented as null: one value missed, one null wrong.
        _judged(sony, {**ANSWER, "attributes": {"brand": "SONY", "model": None, "colour": None}}, language="en"),
        # material wrong, colour null as expected, dimensions guessed where not visible.
        _judged(
            chair,
            {**ANSWER, "category": "furniture", "attributes": {"material": "pine", "colour": None, "dimensions": "1m"}},
            language="it",
        ),
        _judged(sony, None, language="it"),  # no answer: its two values and its null count against it
    ]

    metrics = run_metrics(results)

    # Values expected: brand, colour, material, brand, colour -> only the first brand is right.
    assert metrics["attribute_accuracy"] == 0.2
    # Nulls returned: model, colour (sony), colour (chair) -> model and chair's colour were expected null.
    assert metrics["not_visible_precision"] == 0.666667
    # Nulls expected: model, colour, dimensions, model -> model and colour came back null.
    assert metrics["not_visible_recall"] == 0.5
    assert metrics["attribute_accuracy_by_slug"] == {"brand": 0.5, "colour": 0.0, "material": 0.0}
    assert metrics["by_language"]["en"]["attribute_accuracy"] == 0.5  # brand right, colour missed
    assert metrics["by_language"]["it"]["not_visible_recall"] == 0.333333  # of dimensions, colour, model
    assert metrics["by_language"]["it"]["n_cases"] == 2


def test_accuracy_by_confidence_counts_the_suggested_values_a_case_can_judge():
    expected = Expected("electronics", Decimal("20"), Decimal("80"), ("headphones",), {"brand": "Sony", "model": None})
    confident = {
        **ANSWER,
        "condition": "good",
        "attributes": {"brand": "Sony", "model": "XM4"},
        "confidence": {"category": "high", "price": "medium", "brand": "high", "model": "low", "title": "high",
                       "condition": "medium", "description": "high"},
    }  # fmt: skip
    doubtful = {
        **confident,
        "category": "other",
        "attributes": {"brand": "Bose", "model": None},
        "confidence": {**confident["confidence"], "category": "high", "brand": "medium", "model": "low"},
    }

    metrics = run_metrics(
        [
            _judged(expected, confident, condition="good"),
            _judged(expected, doubtful, condition=""),
            _judged(expected, ANSWER, condition="good"),  # no confidence stated (before prefill-v4): left out
        ]
    )

    table = metrics["accuracy_by_confidence"]
    assert table["category"] == {"high": {"right": 1, "n": 2, "rate": 0.5}}
    assert table["brand"] == {"high": {"right": 1, "n": 1, "rate": 1.0}, "medium": {"right": 0, "n": 1, "rate": 0.0}}
    # "XM4" where the case expects "not visible" is a wrong value; the null that came back is no suggested value.
    assert table["model"] == {"low": {"right": 0, "n": 1, "rate": 0.0}}
    assert table["price"] == {"medium": {"right": 2, "n": 2, "rate": 1.0}}
    assert table["condition"] == {"medium": {"right": 1, "n": 1, "rate": 1.0}}  # the second case expects none
    assert "description" not in table  # nothing to judge it against


def test_attribute_accuracy_joins_the_gate_only_when_both_runs_have_it():
    baseline = {"category_accuracy": 0.9, "schema_valid_rate": 1.0, "attribute_accuracy": 0.8}

    dropped = gate_check(baseline=baseline, candidate={**baseline, "attribute_accuracy": 0.7})
    no_attributes = gate_check(baseline=baseline, candidate={**baseline, "attribute_accuracy": None})

    assert dropped.passed is False and "attribute_accuracy fell from 80.0% to 70.0%" in dropped.failures[0]
    assert no_attributes.passed is True


def test_a_confidence_level_right_at_least_as_often_as_the_one_above_is_a_finding_with_enough_values():
    floor = CONFIDENCE_MIN_SAMPLE
    table = {
        "brand": {"high": {"right": 21, "n": floor, "rate": 0.7}, "medium": {"right": 24, "n": floor, "rate": 0.8}},
        "category": {"high": {"right": 27, "n": floor, "rate": 0.9}, "medium": {"right": 15, "n": floor, "rate": 0.5}},
        "colour": {"high": {"right": 1, "n": 2, "rate": 0.5}, "low": {"right": floor, "n": floor, "rate": 1.0}},
    }

    (finding,) = confidence_findings(table)

    assert finding == (
        "brand: “medium” values were right 80% of the time (24/30), at least as often as “high” ones (70%, 21/30)."
    )


def test_the_report_prints_the_confidence_table_and_its_findings():
    floor = CONFIDENCE_MIN_SAMPLE
    table = {
        "brand": {"high": {"right": 21, "n": floor, "rate": 0.7}, "medium": {"right": 24, "n": floor, "rate": 0.8}}
    }
    run = EvalRun(pk=7, dataset="toys", model="m", prompt_version="prefill-v4", api_style="responses", params={},
                  metrics={"n_cases": floor, "accuracy_by_confidence": table})  # fmt: skip

    report = text_report(runs=[run])

    assert "Accuracy by confidence (suggested values that were right, per field and level):" in report
    assert "brand high    70% (21/30)" in report and "brand medium  80% (24/30)" in report
    assert "Confidence that does not rise with accuracy:\n  brand: “medium” values were right 80%" in report
    assert json_report(runs=[run])["runs"][0]["confidence_findings"] == confidence_findings(table)

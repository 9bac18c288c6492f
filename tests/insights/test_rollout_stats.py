"""The per-variant statistics: Wilson intervals and the z-test against known values, and the selector's counts."""

import math
from decimal import Decimal

import pytest

from ai_prefill.models import Analysis
from insights.experiments import experiment_results
from insights.stats import (
    BETTER,
    NO_DIFFERENCE,
    NOT_ENOUGH_DATA,
    WORSE,
    Proportion,
    compare,
    two_proportion_z_test,
    wilson_interval,
)
from tests.ai_prefill.rollout_helpers import arm_analysis, experiment, variant


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, Wilson score.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_the_wilson_interval_matches_published_values(successes, n, low, high):
    interval = wilson_interval(successes, n)

    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_an_empty_sample_has_no_interval_and_prints_as_such():
    assert wilson_interval(0, 0) is None
    assert Proportion(0, 0).with_interval == "– (n=0)"
    assert Proportion(81, 263).with_interval == "30.8% [25.5%, 36.6%] (n=263)"


def test_the_z_test_matches_a_hand_computed_case():
    # 120/200 against 140/200: pooled p = 0.65, se = sqrt(0.65 * 0.35 * (1/200 + 1/200)) = 0.0476970,
    # z = 0.10 / se = 2.09657, two-sided p = erfc(z / sqrt 2) = 0.03603.
    z, p_value = two_proportion_z_test(Proportion(120, 200), Proportion(140, 200))

    assert z == pytest.approx(2.09657, abs=1e-5)
    assert p_value == pytest.approx(0.03603, abs=1e-5)
    assert two_proportion_z_test(Proportion(140, 200), Proportion(120, 200)) == (
        pytest.approx(-z),
        pytest.approx(p_value),
    )
    assert two_proportion_z_test(Proportion(200, 200), Proportion(200, 200)) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("control", "candidate", "min_sample", "verdict"),
    [
        ((120, 200), (140, 200), 200, BETTER),
        ((140, 200), (120, 200), 200, WORSE),
        ((120, 200), (125, 200), 200, NO_DIFFERENCE),
        # The same significant difference, but one sample short of the minimum: no verdict.
        ((120, 200), (140, 200), 201, NOT_ENOUGH_DATA),
        # A huge difference on a handful of samples is still not a verdict.
        ((1, 10), (10, 10), 200, NOT_ENOUGH_DATA),
    ],
)
def test_the_verdict_needs_the_minimum_sample_and_significance(control, candidate, min_sample, verdict):
    comparison = compare(Proportion(*control), Proportion(*candidate), min_sample=min_sample)

    assert comparison.verdict == verdict
    assert comparison.difference == pytest.approx(candidate[0] / candidate[1] - control[0] / control[1])
    if verdict == NOT_ENOUGH_DATA:
        assert comparison.p_value is None


@pytest.mark.django_db
def test_the_experiment_numbers_per_variant(settings):
    settings.ROLLOUT_MIN_SAMPLE = 10
    control, candidate = variant("control"), variant("candidate", prompt_version="prefill-v2")
    running = experiment((control, 50), (candidate, 50))
    # Control: 20 posted, 10 with the category kept; 2 abandoned; 2 failed; 4 thumbs up of 5 votes.
    for number in range(20):
        arm_analysis(
            running,
            "control",
            category_kept=number < 10,
            fields_kept={"price": number < 5},
            posted=True,
            vote=("up" if number < 4 else "down") if number < 5 else None,
            cost="0.001",
            latency_ms=1000 + number * 100,
        )
    for _ in range(2):
        arm_analysis(running, "control", abandoned=True)
        arm_analysis(running, "control", status=Analysis.Status.FAILED, cost="0.0005")
    # Candidate: 20 posted, 18 with the category kept; no failures; costs twice as much.
    for number in range(20):
        arm_analysis(running, "candidate", category_kept=number < 18, posted=True, cost="0.002", latency_ms=2000)
    # Another experiment's analyses are not counted.
    arm_analysis(experiment((control, 1), name="other", status="stopped"), "control", category_kept=False)

    results = experiment_results(experiment=running)

    first, second = results.arms
    assert (first.variant, first.is_control, second.variant) == ("control", True, "candidate")
    assert first.analyses == 24
    assert first.acceptance["category"] == Proportion(10, 20)
    assert first.acceptance["price"] == Proportion(5, 20)
    assert first.acceptance["title"] == Proportion(0, 0)
    assert first.thumbs_up == Proportion(4, 5)
    assert first.abandon == Proportion(2, 22)
    assert first.errors == Proportion(2, 24)
    assert first.posted == 20
    assert first.cost == Decimal("0.021")
    assert first.cost_per_posted == Decimal("0.00105")
    assert first.latency_n == 20
    # Latencies 1000..2900 ms: the median between 1900 and 2000, p95 at rank 18.05.
    assert (first.latency_p50_ms, first.latency_p95_ms) == (1950, pytest.approx(2805))
    assert first.primary is None
    assert second.acceptance["category"] == Proportion(18, 20)
    assert second.cost_per_posted == Decimal("0.002")
    assert second.errors == Proportion(0, 20)
    # 10/20 against 18/20: pooled 0.7, z = 0.4 / sqrt(0.7 * 0.3 * 0.1) = 2.7603, p = 0.00577.
    assert second.primary.verdict == BETTER
    assert second.primary.z == pytest.approx(0.4 / math.sqrt(0.021), abs=1e-6)
    assert second.primary.p_value == pytest.approx(0.005774, abs=1e-5)

    settings.ROLLOUT_MIN_SAMPLE = 200
    assert experiment_results(experiment=running).candidates[0].primary.verdict == NOT_ENOUGH_DATA

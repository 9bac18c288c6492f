"""Costs as billed: genai-prices for the models it knows, AI_PRICES for private ones, unknown otherwise."""

from decimal import Decimal

from ai_prefill.llm.pricing import cost_estimate


def test_it_prices_a_call_per_million_tokens():
    # gpt-4o per genai-prices: $2.50 per million input tokens, $10 per million output tokens.
    assert cost_estimate(model="gpt-4o", input_tokens=100_000, output_tokens=10_000) == Decimal("0.350000")


def test_it_prices_a_dated_snapshot_like_its_model():
    assert cost_estimate(model="gpt-4o-mini-2024-07-18", input_tokens=1000, output_tokens=1000) == cost_estimate(
        model="gpt-4o-mini", input_tokens=1000, output_tokens=1000
    )


def test_gpt_6_luna_bills_cached_input_at_a_tenth_and_reasoning_as_output():
    # gpt-6-luna: $0.10 input, $0.01 cached input, $0.50 output per million tokens (issue 17, genai-prices 0.2.3).
    plain = cost_estimate(model="gpt-6-luna", input_tokens=10_000, output_tokens=1000)
    cached = cost_estimate(model="gpt-6-luna", input_tokens=10_000, cached_input_tokens=10_000, output_tokens=1000)
    reasoning = cost_estimate(model="gpt-6-luna", input_tokens=10_000, output_tokens=1000, reasoning_tokens=900)

    assert plain == Decimal("0.001500")
    assert cached == Decimal("0.000600")
    assert reasoning == plain  # reasoning tokens are part of the output tokens, at the output price


def test_it_takes_prices_for_private_models_from_settings(settings):
    settings.AI_PRICES = {"local-llava": {"input": "1", "cached_input": "0.5", "output": "2"}}

    cost = cost_estimate(model="local-llava", input_tokens=500_000, cached_input_tokens=200_000, output_tokens=500_000)

    assert cost == Decimal("1.400000")


def test_an_unknown_model_has_an_unknown_cost_rather_than_zero():
    assert cost_estimate(model="llava:13b", input_tokens=5000, output_tokens=500) is None

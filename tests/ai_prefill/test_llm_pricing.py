"""Cost estimates from the per-model price table."""

from decimal import Decimal

from ai_prefill.llm.pricing import cost_estimate


def test_it_prices_a_call_per_million_tokens():
    # gpt-4o: $2.50 per million input tokens, $10 per million output tokens.
    assert cost_estimate(model="gpt-4o", input_tokens=1_000_000, output_tokens=100_000) == Decimal("3.500000")


def test_it_prices_a_dated_snapshot_like_its_model():
    assert cost_estimate(model="gpt-4o-mini-2024-07-18", input_tokens=1000, output_tokens=1000) == cost_estimate(
        model="gpt-4o-mini", input_tokens=1000, output_tokens=1000
    )


def test_it_takes_prices_from_settings(settings):
    settings.AI_PRICES = {"local-llava": {"input": "1", "output": "2"}}

    assert cost_estimate(model="local-llava", input_tokens=500_000, output_tokens=500_000) == Decimal("1.500000")


def test_an_unknown_model_costs_nothing_rather_than_a_guess():
    assert cost_estimate(model="llava:13b", input_tokens=5000, output_tokens=500) == Decimal(0)

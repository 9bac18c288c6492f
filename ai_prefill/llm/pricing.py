"""What a model call cost as billed: pydantic's genai-prices, or the AI_PRICES override for private models.

OpenAI bills cached input at its own (lower) price and reasoning as output tokens. genai-prices takes the
usage as OpenAI reports it: input_tokens includes the cached ones (cache_read_tokens), output_tokens the
reasoning ones. A model neither knows has no cost (None): shown as "unknown price", never as $0.
"""

import re
from decimal import Decimal

from django.conf import settings
from genai_prices import Usage, calc_price

_DATED_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini
_PER_TOKEN = Decimal(1_000_000)
_CENT_FRACTION = Decimal("0.000001")


def cost_estimate(
    *, model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0, reasoning_tokens: int = 0
) -> Decimal | None:
    """US dollars for one call, or None when no price is known for the model."""
    override = settings.AI_PRICES.get(model) or settings.AI_PRICES.get(_DATED_SNAPSHOT.sub("", model))
    if override is not None:
        cached = min(cached_input_tokens, input_tokens)
        cost = (
            Decimal(override["input"]) * (input_tokens - cached)
            + Decimal(override.get("cached_input", override["input"])) * cached
            + Decimal(override["output"]) * output_tokens
        ) / _PER_TOKEN
        return cost.quantize(_CENT_FRACTION)
    usage = Usage(
        input_tokens=input_tokens,
        cache_read_tokens=min(cached_input_tokens, input_tokens),
        output_tokens=output_tokens,
        output_reasoning_tokens=min(reasoning_tokens, output_tokens),
    )
    try:
        price = calc_price(usage, model_ref=model, provider_id="openai")
    except LookupError:
        return None
    return Decimal(price.total_price).quantize(_CENT_FRACTION)


def price_known(model: str) -> bool:
    return cost_estimate(model=model, input_tokens=1, output_tokens=1) is not None

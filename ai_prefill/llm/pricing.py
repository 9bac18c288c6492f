"""Cost estimates for model calls, from the per-model price table in settings (AI_PRICES)."""

import re
from decimal import Decimal

from django.conf import settings

_DATED_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini
_PER_TOKEN = Decimal(1_000_000)


def cost_estimate(*, model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """US dollars for one call; 0 for a model missing from AI_PRICES (a local or compatible server)."""
    prices = settings.AI_PRICES.get(model) or settings.AI_PRICES.get(_DATED_SNAPSHOT.sub("", model))
    if prices is None:
        return Decimal(0)
    cost = (Decimal(prices["input"]) * input_tokens + Decimal(prices["output"]) * output_tokens) / _PER_TOKEN
    return cost.quantize(Decimal("0.000001"))

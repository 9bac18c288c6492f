"""Which price wins on replayed sold listings: the model's, the comparables', or the model's moved into their range.

For each case with a known price (a sold listing replayed by `evalset from-production --sold`: the sale price)
and a suggestion, the comparables are retrieved as the worker would (the case's own listing left out), and
three prices are scored by median absolute percentage error: the model's alone; the comparables' weighted
median alone (the model's where there were too few); the blend the worker applies (the model's price moved
into the comparables' interquartile range). `with_range` says on how many cases comparables could speak.
"""

import statistics
from decimal import Decimal

from ai_prefill.comparables import comparables_lookup, price_in_range, price_range_of
from evals.models import EvalRun

METHODS = ("model", "comparables", "blend")


def pricing_comparison(*, run: EvalRun) -> dict | None:
    """{"cases", "with_range", "mdape": {method: share}} over the run's cases with a price; None if none has."""
    errors: dict[str, list[float]] = {method: [] for method in METHODS}
    with_range = 0
    for result in run.results.select_related("case__source_analysis").order_by("id"):
        case, produced = result.case, result.produced
        no_price = not produced or produced.get("price") is None
        if no_price or case.expected_price_min is None or case.expected_price_max is None:
            continue
        truth = (case.expected_price_min + case.expected_price_max) / 2
        if truth <= 0:
            continue
        model_price = Decimal(str(produced["price"]))
        source = case.source_analysis
        own_listing = [source.listing_id] if source is not None and source.listing_id else []
        lookup = comparables_lookup(
            category_slug=produced["category"], title=produced["title"], exclude_ids=own_listing
        )
        price_range = None if lookup.skipped else price_range_of(lookup.comparables)
        with_range += price_range is not None
        prices = {
            "model": model_price,
            "comparables": price_range.median if price_range else model_price,
            "blend": price_in_range(model_price, price_range) if price_range else model_price,
        }
        for method, price in prices.items():
            errors[method].append(float(abs(price - truth) / truth))
    cases = len(errors["model"])
    if not cases:
        return None
    mdape = {method: round(statistics.median(values), 4) for method, values in errors.items()}
    return {"cases": cases, "with_range": with_range, "mdape": mdape}


def pricing_report(runs: list[EvalRun]) -> str:
    """Lines for the eval command's output; empty when no run had cases with a price."""
    lines = []
    for run in runs:
        pricing = (run.metrics or {}).get("pricing")
        if not pricing:
            continue
        lines.append(
            f"Pricing, {run.model} ({pricing['cases']} cases with a price, comparables on {pricing['with_range']}): "
            "median absolute percentage error"
        )
        lines += [f"  {method:<12}{pricing['mdape'][method]:.1%}" for method in METHODS]
    return "\n".join(lines)

from decimal import Decimal

from ai_prefill.posting import listing_post_from_analysis
from ai_prefill.services import analysis_regenerate
from marketplace.services.listings import ListingData
from tests.factories import category, committed_and_worked, suggested_analysis


def post_from_suggestion(seller, *, regenerated: int = 0, **changes):
    """A suggestion posted by its seller, with the given fields changed, after asking for another suggestion
    `regenerated` times (each time the sell page's button) and choosing this one. Returns (analysis, listing)."""
    analysis = suggested_analysis(user=seller, **changes.pop("analysis", {}))
    for _ in range(regenerated):
        analysis_regenerate(user=seller, analysis_id=analysis.pk)
    values = {
        "title": "Wired headphones",
        "description": "Used a few times, work fine.",
        "category": category("electronics"),
        "price": Decimal("20.00"),
        "condition": "good",
        **changes,
    }
    with committed_and_worked():
        listing = listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=ListingData(**values))
    analysis.refresh_from_db()
    return analysis, listing

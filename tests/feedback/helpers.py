from decimal import Decimal

from ai_prefill.posting import listing_post_from_analysis
from marketplace.services.listings import ListingData
from tests.factories import category, suggested_analysis


def post_from_suggestion(seller, **changes):
    """A suggestion posted by its seller, with the given fields changed. Returns (analysis, listing)."""
    analysis = suggested_analysis(user=seller, **changes.pop("analysis", {}))
    values = {
        "title": "Wired headphones",
        "description": "Used a few times, work fine.",
        "category": category("electronics"),
        "price": Decimal("20.00"),
        "condition": "good",
        **changes,
    }
    listing = listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=ListingData(**values))
    analysis.refresh_from_db()
    return analysis, listing

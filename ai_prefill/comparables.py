"""Comparables: after the model answers, listings like the suggested one give its price a range.

Retrieval goes through marketplace.search (same category, words of the suggested title, sold ones first)
within AI_COMPARABLES_BUDGET_MS. The range is the interquartile range of their prices once outliers are
trimmed (Tukey's fences), each price weighted: a sale counts more than an asking price, a recent one more
than an old one. With at least AI_COMPARABLES_MIN of them the model's price is moved into the range;
otherwise, or when the search is slow or failing, the model's price stands. Every analysis records what
it retrieved (a Retrieval row), so staff can see why a price was suggested.
"""

import logging
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import Analysis, Retrieval, Variant
from marketplace.search import Comparable, SearchUnavailable, search_backend
from marketplace.search.synonyms import PIECE

logger = logging.getLogger(__name__)

CANDIDATES = 40
LINKS = 3
SOLD_WEIGHT, LISTED_WEIGHT = 1.0, 0.5
HALF_LIFE_DAYS = 90
TITLE_WORDS = 8
# Words that would match half the catalogue; PostgreSQL's english config drops most of these itself.
_COMMON = frozenset(["and", "for", "the", "with", "from", "new", "used", "size", "set", "pair", "very", "good", "like"])
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceRange:
    low: Decimal
    high: Decimal
    median: Decimal
    kept: list[Comparable]


@dataclass(frozen=True)
class Lookup:
    """One retrieval: what came back (best first), how long it took, and why it was skipped if it was."""

    comparables: list[Comparable] = field(default_factory=list)
    took_ms: int = 0
    backend: str = ""
    skipped: str = ""  # "timeout: ..." or "error: ..."


def title_words(title: str) -> list[str]:
    words = [word for word in PIECE.findall(title.lower()) if len(word) > 2 and not word.isdigit()]
    return list(dict.fromkeys(word for word in words if word not in _COMMON))[:TITLE_WORDS]


def comparables_lookup(*, category_slug: str, title: str, exclude_ids: Iterable[int] = ()) -> Lookup:
    """Listings like the described one, within the time budget; never raises (a failure is `skipped`)."""
    started = time.monotonic()
    backend_name = ""
    try:
        backend = search_backend()
        backend_name = backend.name
        words = title_words(title)
        found = []
        if words:
            found = backend.listing_comparables(
                category_slug=category_slug,
                words=words,
                exclude_ids=exclude_ids,
                limit=CANDIDATES,
                budget_ms=settings.AI_COMPARABLES_BUDGET_MS,
            )
    except SearchUnavailable as unavailable:
        skipped = f"{unavailable.reason}: {unavailable.detail}"[:300]
        return Lookup(took_ms=_ms_since(started), backend=backend_name, skipped=skipped)
    except Exception as error:
        logger.exception("Retrieving comparables failed")
        return Lookup(took_ms=_ms_since(started), backend=backend_name, skipped=f"error: {error}"[:300])
    return Lookup(comparables=found, took_ms=_ms_since(started), backend=backend_name)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _weight(comparable: Comparable, now: datetime) -> float:
    age_days = max((now - comparable.at).total_seconds() / 86400, 0)
    return (SOLD_WEIGHT if comparable.sold else LISTED_WEIGHT) * 0.5 ** (age_days / HALF_LIFE_DAYS)


def _weighted_quantile(points: list[tuple[Decimal, float]], fraction: float) -> Decimal:
    total = sum(weight for _, weight in points)
    running = 0.0
    for price, weight in points:
        running += weight
        if running >= fraction * total:
            return price
    return points[-1][0]


def price_range_of(comparables: list[Comparable], *, now: datetime | None = None, minimum: int | None = None):
    """The weighted interquartile range of the comparables' prices after trimming outliers; None with too few."""
    minimum = settings.AI_COMPARABLES_MIN if minimum is None else minimum
    if len(comparables) < minimum:
        return None
    now = now or timezone.now()
    prices = [float(comparable.price) for comparable in comparables]
    q1, _, q3 = statistics.quantiles(prices, n=4, method="inclusive")
    fence = 1.5 * (q3 - q1)
    kept = [c for c in comparables if q1 - fence <= float(c.price) <= q3 + fence]
    if len(kept) < minimum:
        return None
    points = sorted(((c.price, _weight(c, now)) for c in kept), key=lambda point: point[0])
    return PriceRange(
        low=_weighted_quantile(points, 0.25).quantize(CENT),
        high=_weighted_quantile(points, 0.75).quantize(CENT),
        median=_weighted_quantile(points, 0.5).quantize(CENT),
        kept=kept,
    )


def price_in_range(price: Decimal, price_range: PriceRange) -> Decimal:
    """The model's price moved into the range (unchanged when it is inside)."""
    return min(max(price, price_range.low), price_range.high).quantize(CENT)


def comparables_enabled(*, analysis_id) -> bool:
    """The variant's flag when the analysis runs one, else AI_COMPARABLES (one query: it runs for every analysis)."""
    variant = Analysis.objects.filter(pk=analysis_id).exclude(variant="").values("variant")[:1]
    flag = Variant.objects.filter(name=Subquery(variant)).values_list("comparables", flat=True).first()
    return settings.AI_COMPARABLES if flag is None else flag


def comparables_apply(*, analysis_id, suggestion: dict) -> dict:
    """The suggestion with its price moved into the comparables' range (and the range with it), recorded.

    Never fails the analysis: with too few comparables, retrieval off, slow or failing, the model's price
    stands and the record says why.
    """
    model_price = None if suggestion.get("price") is None else Decimal(str(suggestion["price"]))
    record = Retrieval(analysis_id=analysis_id, model_price=model_price, price=model_price)
    result = suggestion
    if not comparables_enabled(analysis_id=analysis_id):
        record.outcome = Retrieval.Outcome.OFF
    elif model_price is None or not suggestion.get("title"):
        # From prefill-v4 on the model may not see the item well enough to price it (None, "not visible"), and the
        # demo provider writes no title: no price to move, nothing to look comparables up by.
        record.outcome, record.reason = Retrieval.Outcome.SKIPPED, "no price or title suggested"
    else:
        lookup = comparables_lookup(category_slug=suggestion["category"], title=suggestion["title"])
        record.backend, record.took_ms = lookup.backend, lookup.took_ms
        record.listing_ids = [comparable.listing_id for comparable in lookup.comparables]
        price_range = None if lookup.skipped else price_range_of(lookup.comparables)
        if lookup.skipped:
            record.outcome, record.reason = Retrieval.Outcome.SKIPPED, lookup.skipped
            logger.warning("Analysis %s: comparables skipped (%s)", analysis_id, lookup.skipped)
        elif price_range is None:
            record.outcome = Retrieval.Outcome.TOO_FEW
            record.reason = f"{len(lookup.comparables)} found, {settings.AI_COMPARABLES_MIN} needed"
        else:
            record.outcome = Retrieval.Outcome.APPLIED
            record.kept_ids = [comparable.listing_id for comparable in price_range.kept]
            record.price_low, record.price_high = price_range.low, price_range.high
            record.price = price_in_range(model_price, price_range)
            result = {**suggestion, "price": f"{record.price:.2f}", "comparables": _summary(price_range)}
    try:
        # One INSERT ... ON CONFLICT rather than update_or_create's transaction, lock and insert.
        fields = _fields(record)
        Retrieval.objects.bulk_create(
            [Retrieval(analysis_id=analysis_id, **fields)],
            update_conflicts=True,
            unique_fields=["analysis"],
            update_fields=list(fields),
        )
    except Exception:
        logger.exception("Analysis %s: could not record its retrieval", analysis_id)
    return result


def _fields(record: Retrieval) -> dict:
    names = [f.name for f in Retrieval._meta.concrete_fields if f.name not in ("id", "analysis", "created_at")]
    return {name: getattr(record, name) for name in names}


def _summary(price_range: PriceRange) -> dict:
    """What the page and the API show: the range, how many, and a few of them to look at."""
    return {
        "low": f"{price_range.low:.2f}",
        "high": f"{price_range.high:.2f}",
        "count": len(price_range.kept),
        "sold": sum(comparable.sold for comparable in price_range.kept),
        "listings": [
            {
                "id": comparable.listing_id,
                "title": comparable.title,
                "price": f"{comparable.price:.2f}",
                "sold": comparable.sold,
                "url": reverse("marketplace:listing_detail", args=[comparable.listing_id]),
            }
            for comparable in price_range.kept[:LINKS]
        ],
    }

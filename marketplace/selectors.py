"""Reads that span models: the browse/search query and the header's unread count."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import F, OrderBy, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from marketplace.attributes import attribute_choice_label, attribute_search_key, attribute_value_normalise
from marketplace.models import Category, CategoryAttribute, Listing, Message, Photo
from marketplace.places import Place, listings_within, nearest_radius_km
from marketplace.search import did_you_mean, query_terms, search_backend

SORTS = {
    "relevance": ("-search_rank", "-created_at", "-id"),
    "newest": ("-created_at", "-id"),
    "price_asc": ("price", "id"),
    "price_desc": ("-price", "-id"),
    # Only with a place to measure from (ListingFilters.near); the newest first otherwise.
    "distance": ("distance", "-created_at", "-id"),
}


@dataclass(frozen=True)
class ListingFilters:
    q: str = ""
    category: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort: str = ""  # "" is by relevance with a query, newest without
    near: Place | None = None
    within_km: int | None = None  # None with a place: any distance, still sortable by it
    # Item details by slug ({"brand": "Sony"}): listings with each of them, whatever the case of the value.
    attributes: Mapping[str, str] = field(default_factory=dict)


def listing_search(*, filters: ListingFilters) -> QuerySet[Listing]:
    """Active listings matching the filters, with what a result card needs in the same query."""
    listings = Listing.objects.filter(status=Listing.Status.ACTIVE).select_related("category", "seller")
    terms = query_terms(filters.q)
    sort = filters.sort if filters.sort in SORTS else ("relevance" if terms else "newest")
    if (sort == "relevance" and not terms) or (sort == "distance" and filters.near is None):
        sort = "newest"
    ordering = [*SORTS[sort]]
    if terms:
        listings = search_backend().listing_match(listings, terms=terms)
        if connection.vendor == "postgresql" and sort != "relevance":
            ordering = [_sorted_after_matching(field) for field in ordering]
    if filters.category:
        listings = listings.filter(category__slug=filters.category)
    if filters.min_price is not None:
        listings = listings.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        listings = listings.filter(price__lte=filters.max_price)
    if filters.attributes:
        listings = _with_attributes(listings, filters.attributes)
    if filters.near is not None:
        # After every other filter: the widening circle of nearest first counts the listings that match them all.
        radius_km = filters.within_km
        if radius_km is None and sort == "distance":
            radius_km = nearest_radius_km(listings, place=filters.near)
        listings = listings_within(listings, place=filters.near, radius_km=radius_km)
    main_thumbnail = Photo.objects.filter(listing=OuterRef("pk")).order_by("-is_main", "position", "id")
    return listings.annotate(main_thumbnail=Subquery(main_thumbnail.values("thumbnail")[:1])).order_by(*ordering)


def _with_attributes(listings: QuerySet[Listing], attributes: Mapping[str, str]) -> QuerySet[Listing]:
    keys = {slug: attribute_search_key(value) for slug, value in attributes.items()}
    if connection.vendor == "postgresql":
        # Containment is what the GIN index (jsonb_path_ops) on attributes_search answers, every detail at once.
        return listings.filter(attributes_search__contains=keys)
    # SQLite has no containment on JSON: the same, key by key (a slug is never read as a lookup name here).
    for slug, key in keys.items():
        listings = listings.filter(Exact(KeyTextTransform(slug, "attributes_search"), key))
    return listings


def attribute_filters_parse(params: Mapping[str, str], *, other_names: frozenset[str]) -> dict[str, str]:
    """The item-detail filters among a request's parameters: those named by an attribute slug, with a value.

    other_names are the parameters the caller reads itself: a request with only those needs no query.
    """
    if not set(params) - other_names:
        return {}
    slugs = set(CategoryAttribute.objects.values_list("slug", flat=True))
    return {
        slug: value
        for slug in sorted(slugs)
        if slug in params and (value := attribute_value_normalise(str(params.get(slug) or "")))
    }


def _sorted_after_matching(field: str) -> OrderBy:
    """The sort as an expression no index provides, so PostgreSQL finds the matches through the GIN index first.

    Otherwise it may walk the sort's own index and test every listing against the words, expecting a match
    soon: for a word no listing has, that is every listing, 1.3 s at 100,000 (about 25 ms this way, at most).
    """
    name = field.removeprefix("-")
    expression = Coalesce(F(name), F(name))  # PostgreSQL keeps COALESCE(x, x) as it is: no index matches it
    return expression.desc() if field.startswith("-") else expression.asc()


def listing_search_spelling(*, q: str) -> str | None:
    """For a search that found nothing: the query with its misspelt words corrected, if any were."""
    return did_you_mean(q) if query_terms(q) else None


def unread_message_count(*, user) -> int:
    """Messages sent to this user (as buyer or as seller) that they have not read."""
    return (
        Message.objects.filter(read_at__isnull=True)
        .filter(Q(conversation__buyer=user) | Q(conversation__listing__seller=user))
        .exclude(sender=user)
        .count()
    )


def category_attributes() -> dict[str, list[CategoryAttribute]]:
    """Each category's item details in their order, by category slug (every category present, maybe with none)."""
    by_category: dict[str, list[CategoryAttribute]] = {
        slug: [] for slug in Category.objects.values_list("slug", flat=True)
    }
    for attribute in CategoryAttribute.objects.select_related("category").order_by("category__position", "position"):
        by_category.setdefault(attribute.category.slug, []).append(attribute)
    return by_category


def listing_details(*, listing: Listing) -> list[tuple[str, str]]:
    """The listing's item details as (name, value) for its page, in the category's order."""
    details = []
    for attribute in listing.category.attributes.all():
        value = listing.attributes.get(attribute.slug)
        if value:
            details.append((attribute.name_translated, attribute_choice_label(value) if attribute.choices else value))
    return details


def attribute_names(*, slugs, category_slug: str | None = None) -> dict[str, str]:
    """The item details' names in the active language by slug: the category's own where it has the slug."""
    names: dict[str, str] = {}
    rows = CategoryAttribute.objects.filter(slug__in=list(slugs)).select_related("category")
    for attribute in sorted(rows, key=lambda row: row.category.slug != category_slug):
        names.setdefault(attribute.slug, attribute.name_translated)
    return names

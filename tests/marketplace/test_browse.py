"""The browse page: search, filters, sort, pagination, bad filter values, htmx and query counts."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Listing
from tests.factories import ListingFactory, category, listing_with_photo

pytestmark = pytest.mark.django_db

BROWSE = reverse("marketplace:browse")


def _titles(response) -> list[str]:
    return re.findall(r'<h3 class="card-title">([^<]*)</h3>', response.content.decode())


def test_it_shows_active_listings_with_thumbnail_price_category_and_age(client, seller):
    listing = listing_with_photo(
        seller=seller, title="Oak table", price=Decimal("1250.00"), category=category("furniture")
    )
    Listing.objects.filter(pk=listing.pk).update(created_at=timezone.now() - timedelta(hours=3, minutes=5))
    ListingFactory(seller=seller, title="Sold chair", status=Listing.Status.SOLD)
    ListingFactory(seller=seller, title="Hidden lamp", status=Listing.Status.HIDDEN)

    response = client.get(BROWSE)

    assert response.status_code == 200
    assert _titles(response) == ["Oak table"]
    page = response.content.decode()
    assert "€1,250" in page
    assert "Furniture" in page
    assert "3\xa0hours ago" in page
    thumbnail = listing.photos.get().thumbnail
    assert f'src="{thumbnail.url}"' in page
    assert 'alt="Oak table"' in page
    assert reverse("marketplace:listing_detail", args=[listing.pk]) in page


def test_it_searches_title_and_description_for_every_word(client, seller):
    ListingFactory(seller=seller, title="Red road bike", description="Barely ridden")
    ListingFactory(seller=seller, title="Helmet", description="Fits any road bike rider")
    ListingFactory(seller=seller, title="Blue road bike", description="Needs new tyres")
    ListingFactory(seller=seller, title="Sofa", description="Comfortable")

    assert sorted(_titles(client.get(BROWSE, {"q": "road bike"}))) == ["Blue road bike", "Helmet", "Red road bike"]
    assert _titles(client.get(BROWSE, {"q": "ROAD ridden"})) == ["Red road bike"]
    assert _titles(client.get(BROWSE, {"q": "submarine"})) == []


def test_it_filters_by_category(client, seller):
    ListingFactory(seller=seller, title="Novel", category=category("books"))
    ListingFactory(seller=seller, title="Laptop", category=category("electronics"))

    response = client.get(BROWSE, {"category": "books"})

    assert _titles(response) == ["Novel"]
    assert "1 listing in Books" in response.content.decode()


def test_it_filters_by_price_range_inclusive(client, seller):
    for price in ("5", "10", "20", "40"):
        ListingFactory(seller=seller, title=f"Thing at {price}", price=Decimal(price))

    titles = _titles(client.get(BROWSE, {"min_price": "10", "max_price": "20", "sort": "price_asc"}))

    assert titles == ["Thing at 10", "Thing at 20"]


def test_it_sorts_newest_first_and_by_price_both_ways(client, seller):
    now = timezone.now()
    for age_days, price in ((3, "30"), (1, "10"), (2, "20")):
        listing = ListingFactory(seller=seller, title=f"{age_days} days old", price=Decimal(price))
        Listing.objects.filter(pk=listing.pk).update(created_at=now - timedelta(days=age_days))

    assert _titles(client.get(BROWSE)) == ["1 days old", "2 days old", "3 days old"]
    assert _titles(client.get(BROWSE, {"sort": "price_asc"})) == ["1 days old", "2 days old", "3 days old"]
    assert _titles(client.get(BROWSE, {"sort": "price_desc"})) == ["3 days old", "2 days old", "1 days old"]


def test_it_shows_24_per_page_and_keeps_the_filters_in_page_links(client, seller):
    ListingFactory.create_batch(
        30, seller=seller, category=category("sports"), title=factory.Sequence(lambda n: f"Ball number {n}")
    )
    ListingFactory(seller=seller, category=category("books"), title="Not a sport")

    first = client.get(BROWSE, {"category": "sports", "q": "ball"})
    second = client.get(BROWSE, {"category": "sports", "q": "ball", "page": "2"})

    assert len(_titles(first)) == 24
    assert len(_titles(second)) == 6
    assert set(_titles(first)).isdisjoint(_titles(second))
    assert "Not a sport" not in _titles(first) + _titles(second)
    assert 'href="?category=sports&amp;q=ball&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize(
    ("params", "note"),
    [
        ({"min_price": "abc"}, "The minimum price is not a number"),
        ({"max_price": "-5"}, "The maximum price is not a number of 0 or more"),
        ({"sort": "cheapest"}, "We don't know that sort order"),
        ({"category": "spaceships"}, "We don't know that category"),
        ({"page": "999"}, "There is no page 999"),
        ({"page": "abc"}, "There is no page abc"),
        ({"q": "x" * 500}, "The search text was too long"),
    ],
)
def test_it_ignores_a_bad_filter_value_with_a_note_and_keeps_it_in_the_form(client, seller, params, note):
    ListingFactory(seller=seller, title="Still shown")

    response = client.get(BROWSE, params)

    assert response.status_code == 200
    assert note in html.unescape(response.content.decode())
    assert _titles(response) == ["Still shown"]
    name, value = next(iter(params.items()))
    if name in ("q", "min_price", "max_price"):
        assert f'value="{value}"' in response.content.decode()


def test_it_keeps_typed_values_in_the_form(client, seller):
    response = client.get(BROWSE, {"q": "lamp", "min_price": "abc", "max_price": "50", "category": "books"})

    page = response.content.decode()
    assert 'value="lamp"' in page
    assert 'value="abc"' in page
    assert 'value="50"' in page
    assert '<option value="books" selected>' in page


def test_it_swaps_a_minimum_above_the_maximum(client, seller):
    ListingFactory(seller=seller, title="Fifteen", price=Decimal("15"))

    response = client.get(BROWSE, {"min_price": "20", "max_price": "10"})

    assert _titles(response) == ["Fifteen"]
    assert "we swapped them" in response.content.decode()


def test_it_says_so_when_nothing_matches(client, seller):
    ListingFactory(seller=seller, title="Chair")

    response = client.get(BROWSE, {"q": "unicorn"})

    assert "Nothing matches your search." in response.content.decode()


def test_an_htmx_request_gets_only_the_results(client, seller):
    ListingFactory(seller=seller, title="Kettle")

    partial = client.get(BROWSE, {"q": "kettle"}, headers={"HX-Request": "true"})
    full = client.get(BROWSE, {"q": "kettle"})

    assert _titles(partial) == ["Kettle"]
    assert "<html" not in partial.content.decode()
    assert 'id="results"' not in partial.content.decode()
    assert "<html" in full.content.decode()
    assert 'hx-get="/"' in full.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, seller):
    response = client.get(BROWSE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert "<html" in response.content.decode()


def _browse_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BROWSE, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("logged_in", [False, True])
def test_its_query_count_does_not_grow_with_the_listings_shown(
    client, seller, buyer, logged_in, django_assert_max_num_queries
):
    if logged_in:
        client.force_login(buyer)
    for _ in range(5):
        listing_with_photo(seller=seller)
    few = _browse_queries(client)

    for _ in range(25):
        listing_with_photo(seller=seller)
    with django_assert_max_num_queries(few):
        response = client.get(BROWSE, {"sort": "price_asc"})
    assert len(_titles(response)) == 24
    assert _browse_queries(client, q="item", category="electronics") <= few + 1
    # Session, user, unread messages and news, and the saved hearts when logged in; categories, their item
    # details (the filters), the header's category menu, count and the page itself always.
    assert few <= (10 if logged_in else 5)

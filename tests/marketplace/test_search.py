"""Search as a buyer types it (issue 18), over the demo listings of seed_demo, on SQLite and PostgreSQL."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.management.commands.seed_demo import LISTINGS
from marketplace.models import Category, Listing
from marketplace.services.listings import ListingData, listing_delete, listing_hide, listing_mark_sold, listing_update
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSE = reverse("marketplace:browse")


@pytest.fixture
def demo_listings(db) -> dict[str, Listing]:
    """The demo listings seed_demo adds (their titles, descriptions, categories and sold ones)."""
    seller = UserFactory(username="demo")
    categories = {category.slug: category for category in Category.objects.all()}
    return {
        item.title: ListingFactory(
            seller=seller,
            title=item.title,
            description=item.description,
            category=categories[item.category],
            price=Decimal(item.price),
            status=Listing.Status.SOLD if item.sold else Listing.Status.ACTIVE,
        )
        for item in LISTINGS
    }


def _page_titles(client, **params) -> list[str]:
    content = client.get(BROWSE, params).content.decode()
    return [html.unescape(title) for title in re.findall(r'<h3 class="card-title">([^<]*)</h3>', content)]


def _api_titles(client, **params) -> list[str]:
    return [item["title"] for item in client.get("/api/listings", params).json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chair", {"Wooden chair, sturdy, a few scratches", "Navy blue dining chair"}),
        ("chairs", {"Wooden chair, sturdy, a few scratches", "Navy blue dining chair"}),
        ("bicycle", {"City bike, 28-inch wheels, seven gears", "Pink kids' bike, 20-inch"}),
        ("couch", {"Yellow two-seater sofa"}),
        ("tshirt", {"Grey cotton T-shirt, size M", "Red T-shirt, size S, new with tags"}),
        ("T-shirt", {"Grey cotton T-shirt, size M", "Red T-shirt, size S, new with tags"}),
        ("iphone", {"Smartphone 128 GB, black, with charger"}),
    ],
)
def test_a_buyer_finds_what_they_mean_on_the_page_and_through_the_api(client, demo_listings, query, expected):
    page = _page_titles(client, q=query)
    assert set(page) >= expected
    # Nothing unrelated comes with them: every result mentions one of the expected items' words.
    assert len(page) <= len(expected) + 1
    assert _api_titles(client, q=query) == page


def test_a_typo_finds_nothing_but_offers_the_word_as_a_link(client, demo_listings):
    response = client.get(BROWSE, {"q": "chiar", "category": "furniture"})

    content = response.content.decode()
    assert _page_titles(client, q="chiar") == []
    assert "Did you mean" in content
    link = re.search(r'Did you mean <a href="([^"]+)"><strong>([^<]+)</strong></a>\?', content)
    assert link.group(2) == "chair"
    assert "q=chair" in html.unescape(link.group(1)) and "category=furniture" in html.unescape(link.group(1))
    assert set(_page_titles(client, q="chair")) == {"Wooden chair, sturdy, a few scratches", "Navy blue dining chair"}
    api = client.get("/api/listings", {"q": "chiar"}).json()
    assert api["count"] == 0 and api["did_you_mean"] == "chair"


def test_a_search_that_matches_says_nothing_about_spelling(client, demo_listings):
    assert client.get("/api/listings", {"q": "chair"}).json()["did_you_mean"] is None
    assert "Did you mean" not in client.get(BROWSE, {"q": "chair"}).content.decode()


def test_results_sort_by_relevance_with_a_query_and_newest_stays_a_choice(client, seller):
    ListingFactory.create_batch(5, seller=seller, title="Wooden chair", description="Sturdy.")
    in_description = ListingFactory(seller=seller, title="Oak table", description="Comes with a lamp.")
    in_title = ListingFactory(seller=seller, title="Desk lamp", description="Bright.")
    newest = ListingFactory(seller=seller, title="Painted side table", description="Comes with a lamp.")

    by_relevance = _api_titles(client, q="lamp")
    assert by_relevance[0] == in_title.title
    assert set(by_relevance[1:]) == {in_description.title, newest.title}
    assert _page_titles(client, q="lamp") == by_relevance
    assert _api_titles(client, q="lamp", sort="newest") == [newest.title, in_title.title, in_description.title]
    assert _page_titles(client, q="lamp", sort="newest") == [newest.title, in_title.title, in_description.title]
    # Without a query "relevance" means nothing, so it is the newest first.
    assert _api_titles(client, sort="relevance")[:3] == [newest.title, in_title.title, in_description.title]


def test_the_index_follows_every_edit_sale_hide_and_delete_at_once(client, seller):
    listing = ListingFactory(seller=seller, title="Blue kettle", description="Boils fast.")
    assert _api_titles(client, q="kettle") == ["Blue kettle"]

    data = ListingData(
        title="Brass telescope",
        description="Sees the moons of Jupiter.",
        category=listing.category,
        price=listing.price,
        condition=listing.condition,
    )
    listing_update(listing=listing, actor=seller, data=data)

    assert _api_titles(client, q="telescopes") == ["Brass telescope"]
    assert _api_titles(client, q="jupiter") == ["Brass telescope"]
    assert _api_titles(client, q="kettle") == []

    listing_mark_sold(listing=listing, actor=seller)
    assert _api_titles(client, q="telescope") == []

    other = ListingFactory(seller=seller, title="Brass telescope stand")
    listing_hide(listing=other)
    assert _api_titles(client, q="telescope") == []

    kept = ListingFactory(seller=seller, title="Brass lantern")
    gone = ListingFactory(seller=seller, title="Brass candlestick")
    listing_delete(listing=gone, actor=seller)
    assert _api_titles(client, q="brass") == ["Brass lantern"] and kept.pk


def test_an_edit_through_the_api_is_found_by_its_new_words(client, seller):
    listing = ListingFactory(seller=seller, title="Old radio")
    client.force_login(seller)
    url = f"/api/listings/{listing.pk}"
    response = client.patch(url, {"title": "Vintage gramophone"}, content_type="application/json")

    assert response.status_code == 200
    assert _api_titles(client, q="gramophones") == ["Vintage gramophone"]
    assert _api_titles(client, q="radio") == []


def test_odd_characters_in_a_query_are_words_not_syntax(client, seller):
    ListingFactory(seller=seller, title="Lamp")

    for query in ['"', "lamp OR", "lamp*", "NEAR(lamp)", "lamp:*", "la'mp", "!&|()", "AND"]:
        response = client.get("/api/listings", {"q": query})
        assert response.status_code == 200, query

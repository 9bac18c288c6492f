"""A search keeps the order the shopper picked. On PostgreSQL a search sorts by expressions no index provides
(marketplace.selectors._sorted_after_matching), so the matches come from the full-text index first."""

from decimal import Decimal

import pytest

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["Lamp B", "Lamp C", "Lamp A"]),
        ("price_desc", ["Lamp A", "Lamp C", "Lamp B"]),
        ("newest", ["Lamp C", "Lamp B", "Lamp A"]),
    ],
)
def test_it_keeps_the_chosen_order_of_the_matches(client, seller, sort, expected):
    for title, price in [("Lamp A", "30"), ("Lamp B", "10"), ("Lamp C", "20"), ("Chair D", "5")]:
        ListingFactory(seller=seller, title=title, price=Decimal(price))

    response = client.get("/api/listings", {"q": "lamp", "sort": sort})

    assert [item["title"] for item in response.json()["items"]] == expected


def test_it_finds_nothing_for_a_word_no_listing_has(client, seller):
    ListingFactory.create_batch(3, seller=seller, title="Lamp")

    assert client.get("/api/listings", {"q": "zzzz"}).json() == {"items": [], "count": 0, "did_you_mean": None}

"""Reading the catalogue through the API: categories, search, filters, sort, pages, one listing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace.models import Category, Listing
from tests.factories import ListingFactory, category, listing_photo

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [item["title"] for item in response.json()["items"]]


def test_it_lists_the_categories_with_slug_name_and_item_details(client):
    response = client.get("/api/categories")

    assert response.status_code == 200
    electronics = next(category for category in response.json() if category["slug"] == "electronics")
    assert electronics["name"] == "Electronics"
    assert [attribute["slug"] for attribute in electronics["attributes"]] == ["brand", "model", "colour"]
    assert electronics["attributes"][0] == {"slug": "brand", "name": "Brand", "choices": [], "choice_labels": []}
    colour = electronics["attributes"][2]
    assert "black" in colour["choices"]
    assert colour["choice_labels"][colour["choices"].index("black")] == "Black"
    assert len(response.json()) == Category.objects.count() >= 9


def test_it_lists_active_listings_newest_first_with_their_main_thumbnail(client, seller):
    older = ListingFactory(seller=seller, title="Old radio")
    Listing.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    newer = ListingFactory(seller=seller, title="New lamp", category=category("furniture"))
    listing_photo(newer, position=0)
    main = listing_photo(newer, position=1, is_main=True)
    ListingFactory(seller=seller, title="Sold bike", status=Listing.Status.SOLD)
    ListingFactory(seller=seller, title="Hidden scam", status=Listing.Status.HIDDEN)

    response = client.get("/api/listings")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert _titles(response) == ["New lamp", "Old radio"]
    first = body["items"][0]
    assert first["thumbnail_url"] == main.thumbnail.url
    assert first["category"] == "furniture"
    assert first["price"] == "25.00"
    assert first["seller"] == "Sam Seller"
    assert body["items"][1]["thumbnail_url"] is None


def test_it_finds_listings_by_words_in_title_or_description(client, seller):
    ListingFactory(seller=seller, title="Wireless headphones", description="Noise cancelling")
    ListingFactory(seller=seller, title="Desk", description="Oak desk, fits headphones stand")
    ListingFactory(seller=seller, title="Bicycle", description="Red")

    assert sorted(_titles(client.get("/api/listings", {"q": "headphones"}))) == ["Desk", "Wireless headphones"]
    assert _titles(client.get("/api/listings", {"q": "noise headphones"})) == ["Wireless headphones"]
    assert _titles(client.get("/api/listings", {"q": "piano"})) == []


def test_it_filters_by_category_and_price_range(client, seller):
    ListingFactory(seller=seller, title="Cheap phone", price=Decimal("10"))
    ListingFactory(seller=seller, title="Mid phone", price=Decimal("100"))
    ListingFactory(seller=seller, title="Dear phone", price=Decimal("900"))
    ListingFactory(seller=seller, title="Mid chair", price=Decimal("100"), category=category("furniture"))

    response = client.get("/api/listings", {"category": "electronics", "min_price": "50", "max_price": "100.00"})

    assert response.status_code == 200
    assert _titles(response) == ["Mid phone"]
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("price_asc", ["B", "C", "A"]), ("price_desc", ["A", "C", "B"]), ("newest", ["C", "B", "A"])],
)
def test_it_sorts_by_price_or_age(client, seller, sort, expected):
    for title, price in [("A", "30"), ("B", "10"), ("C", "20")]:
        ListingFactory(seller=seller, title=title, price=Decimal(price))

    assert _titles(client.get("/api/listings", {"sort": sort})) == expected


def test_it_pages_24_at_a_time_and_a_page_past_the_end_is_empty(client, seller):
    ListingFactory.create_batch(30, seller=seller)

    first = client.get("/api/listings").json()
    second = client.get("/api/listings", {"page": 2}).json()
    beyond = client.get("/api/listings", {"page": 3})

    assert (len(first["items"]), first["count"]) == (24, 30)
    assert (len(second["items"]), second["count"]) == (6, 30)
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in second["items"])
    assert beyond.status_code == 200
    assert beyond.json() == {"items": [], "count": 30, "did_you_mean": None}


def test_its_query_count_does_not_grow_with_the_listings_on_the_page(client, seller, django_assert_max_num_queries):
    for listing in ListingFactory.create_batch(30, seller=seller):
        listing_photo(listing, is_main=True)
        listing_photo(listing, position=1)

    # One for the page, one for the count, one to check the category slug.
    with django_assert_max_num_queries(3):
        response = client.get("/api/listings", {"category": "electronics"})

    assert len(response.json()["items"]) == 24
    assert all(item["thumbnail_url"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "-5"}, "greater than or equal to 0"),
        ({"max_price": "NaN"}, "max_price"),
        ({"max_price": "Infinity"}, "max_price"),
        ({"min_price": "100", "max_price": "10"}, "min_price is above max_price"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": str(10**30)}, "page"),
        ({"q": "x" * 201}, "q"),
        ({"q": "lamp\x00"}, "NUL"),
    ],
)
def test_it_answers_bad_search_values_with_a_sentence(client, params, words):
    response = client.get("/api/listings", params)

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Please check the request.")
    assert words in response.json()["detail"]


def test_it_names_the_known_categories_when_filtering_by_an_unknown_one(client):
    response = client.get("/api/listings", {"category": "spaceships"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown category 'spaceships'. Use one of: electronics, ")


def test_it_shows_a_listing_with_all_photos_main_first_and_never_the_sellers_email(client, seller):
    listing = ListingFactory(seller=seller, title="Camera", description="With a 50 mm lens.", price=Decimal("149.90"))
    first = listing_photo(listing, position=0)
    main = listing_photo(listing, position=1, is_main=True, color=(10, 200, 10))

    response = client.get(f"/api/listings/{listing.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Camera"
    assert body["description"] == "With a 50 mm lens."
    assert body["price"] == "149.90"
    assert body["category"] == "electronics"
    assert body["condition"] == "good"
    assert body["status"] == "active"
    assert body["seller"] == "Sam Seller"
    assert body["created_at"]
    assert [image["url"] for image in body["images"]] == [main.image.url, first.image.url]
    assert body["images"][0]["thumbnail_url"] == main.thumbnail.url
    assert body["images"][0]["is_main"] is True
    assert seller.email not in response.content.decode()


def test_a_listing_with_many_photos_is_read_in_two_queries(client, seller, django_assert_num_queries):
    listing = ListingFactory(seller=seller)
    for position in range(8):
        listing_photo(listing, position=position, is_main=position == 0)

    with django_assert_num_queries(2):
        response = client.get(f"/api/listings/{listing.pk}")

    assert len(response.json()["images"]) == 8


def test_it_shows_a_sold_listing_to_anyone(client, seller):
    listing = ListingFactory(seller=seller, status=Listing.Status.SOLD)

    response = client.get(f"/api/listings/{listing.pk}")

    assert response.status_code == 200
    assert response.json()["status"] == "sold"


def test_a_hidden_listing_is_not_found_except_by_its_seller(client, seller, buyer):
    listing = ListingFactory(seller=seller, status=Listing.Status.HIDDEN)
    url = f"/api/listings/{listing.pk}"

    anonymous = client.get(url)
    client.force_login(buyer)
    other_user = client.get(url)
    client.force_login(seller)
    owner = client.get(url)

    assert anonymous.status_code == other_user.status_code == 404
    assert anonymous.json()["detail"] == f"There is no listing with id {listing.pk}."
    assert owner.status_code == 200
    assert owner.json()["status"] == "hidden"


def test_a_seller_sees_their_hidden_listing_with_a_bearer_token(client, seller, capsys):
    listing = ListingFactory(seller=seller, status=Listing.Status.HIDDEN)
    call_command("issue_token", "seller")
    token = capsys.readouterr().out.strip()

    response = client.get(f"/api/listings/{listing.pk}", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


@pytest.mark.parametrize("listing_id", ["999999", str(2**63 - 1)])
def test_it_answers_404_with_a_sentence_for_a_listing_that_does_not_exist(client, listing_id):
    response = client.get(f"/api/listings/{listing_id}")

    assert response.status_code == 404
    assert response.json()["detail"] == f"There is no listing with id {listing_id}."


@pytest.mark.parametrize("listing_id", ["abc", "0", str(2**63), "1" * 40])
def test_it_answers_422_for_an_id_that_cannot_be_one(client, listing_id):
    response = client.get(f"/api/listings/{listing_id}")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Please check the request. listing_id:")


def test_the_openapi_schema_documents_every_marketplace_endpoint(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/listings"]) == {"get", "post"}
    assert set(paths["/api/listings/{listing_id}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/api/categories"]
    create_body = paths["/api/listings"]["post"]["requestBody"]["content"]
    assert create_body["multipart/form-data"]["schema"]["properties"]["images"]["type"] == "array"
    assert "analysis_id" in create_body["application/json"]["schema"]["properties"]
    assert {"ListingOut", "ListingPageOut", "ListingSummaryOut", "ImageOut", "CategoryOut"} <= set(
        schema["components"]["schemas"]
    )
    assert {"BearerTokenAuth", "SessionCookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert {"BearerTokenAuth": []} in paths["/api/listings"]["post"]["security"]
    assert {} in paths["/api/listings/{listing_id}"]["get"]["security"]
    assert "security" not in paths["/api/listings"]["get"]


def test_the_api_docs_page_is_served(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content

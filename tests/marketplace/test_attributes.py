"""Item details (category attributes): the listing form, the listing page, the API, and filtering by them."""

import html
import json
import re

import pytest
from django.db import connection
from django.urls import reverse

from marketplace.models import Listing
from marketplace.services.listings import ListingData, listing_update
from tests.factories import category, listing_form_data, listing_with_photo, photo_upload

pytestmark = pytest.mark.django_db

SELL = reverse("ai_prefill:sell")
BROWSE = reverse("marketplace:browse")


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _with_details(listing: Listing, **attributes) -> Listing:
    """The listing given item details the way a seller gives them: through the service."""
    data = ListingData(
        title=listing.title,
        description=listing.description,
        category=listing.category,
        price=listing.price,
        condition=listing.condition,
        attributes=attributes,
    )
    return listing_update(listing=listing, actor=listing.seller, data=data)


def _titles(response) -> set[str]:
    if response["Content-Type"].startswith("application/json"):
        return {item["title"] for item in response.json()["items"]}
    return set(re.findall(r'<h3 class="card-title">([^<]+)</h3>', response.content.decode()))


# --- The listing form -------------------------------------------------------------------------------


def test_the_form_has_an_input_per_detail_named_by_its_slug(seller_client):
    page = _page(seller_client.get(SELL))

    for slug in ("brand", "model", "colour", "size", "material", "dimensions", "author", "year", "age_range"):
        assert f'name="{slug}"' in page and f'id="id_{slug}"' in page
    assert '<select name="colour"' in page
    assert '<option value="black">Black</option>' in page
    assert '<input type="text" name="brand"' in page
    shown = json.loads(re.search(r'id="category-attributes"[^>]*>(.*?)</script>', page).group(1))
    assert shown["electronics"] == ["brand", "model", "colour"]
    assert shown["books"] == ["author"]


def test_only_the_chosen_categorys_details_are_shown_without_javascript(seller, client):
    listing = _with_details(listing_with_photo(seller=seller, category=category("books")), author="Calvino")
    client.force_login(seller)

    page = client.get(reverse("marketplace:listing_edit", args=[listing.pk])).content.decode()

    assert re.search(r'data-attribute="author">', page)
    assert re.search(r'data-attribute="brand" hidden>', page)
    assert 'value="Calvino"' in page


def test_it_keeps_the_categorys_details_normalised_and_drops_the_rest(seller_client):
    fields = listing_form_data(
        category="sports", brand="  Ｂｉａｎｃｈｉ   Bikes ", colour="blue", size="", model="Not a sports detail"
    )

    response = seller_client.post(SELL, {**fields, "photos": [photo_upload()]})

    assert response.status_code == 302
    listing = Listing.objects.get()
    assert listing.attributes == {"brand": "Bianchi Bikes", "colour": "blue"}
    assert listing.attributes_search == {"brand": "bianchi bikes", "colour": "blue"}


@pytest.mark.parametrize(
    ("details", "sentence"),
    [
        ({"colour": "tartan"}, "Please pick a colour from the list."),
        ({"brand": "x" * 81}, "Brand can be at most 80 characters long (it has 81)."),
    ],
)
def test_a_bad_detail_is_refused_with_a_sentence_and_what_was_typed_kept(seller_client, details, sentence):
    fields = listing_form_data(category="sports", size="M", **{"brand": "Bianchi", **details})

    response = seller_client.post(SELL, {**fields, "photos": [photo_upload()]})

    assert response.status_code == 400
    page = _page(response)
    assert sentence in page
    assert 'value="M"' in page and 'value="Road bike"' in page
    assert not Listing.objects.exists()


def test_changing_the_category_drops_the_details_it_has_not(seller_client, seller):
    listing = _with_details(listing_with_photo(seller=seller), brand="Sony", model="WH-1000", colour="black")
    fields = listing_form_data(category="furniture", brand="Sony", model="WH-1000", colour="black", material="Oak")

    response = seller_client.post(reverse("marketplace:listing_edit", args=[listing.pk]), fields)

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.attributes == {"colour": "black", "material": "Oak"}
    assert listing.attributes_search == {"colour": "black", "material": "oak"}


def test_the_edit_form_shows_the_details_and_clears_an_emptied_one(seller_client, seller):
    listing = _with_details(listing_with_photo(seller=seller), brand="Sony", colour="black")
    url = reverse("marketplace:listing_edit", args=[listing.pk])

    page = seller_client.get(url).content.decode()
    assert 'value="Sony"' in page and '<option value="black" selected>' in page

    seller_client.post(url, listing_form_data(category="electronics", brand="", colour="black"))
    listing.refresh_from_db()
    assert listing.attributes == {"colour": "black"}


def test_the_listing_page_shows_the_details_by_name(client, seller):
    listing = _with_details(listing_with_photo(seller=seller), brand="Sony", colour="black")

    page = _page(client.get(listing.get_absolute_url()))

    assert "<dt>Brand</dt><dd>Sony</dd>" in page
    assert "<dt>Colour</dt><dd>Black</dd>" in page
    assert "<dt>Model</dt>" not in page


# --- The API ----------------------------------------------------------------------------------------


def _api_fields(**overrides) -> dict:
    return {"title": "Headphones", "category": "electronics", "price": "40", "condition": "good", **overrides}


def test_the_api_posts_details_as_a_json_field_of_a_multipart_form(seller_client):
    attributes = {"brand": "Sony", "colour": "Black", "model": None}
    response = seller_client.post(
        "/api/listings", {**_api_fields(), "attributes": json.dumps(attributes), "images": [photo_upload()]}
    )

    assert response.status_code == 201, response.json()
    assert response.json()["attributes"] == {"brand": "Sony", "colour": "black"}
    listing_id = response.json()["id"]
    assert seller_client.get(f"/api/listings/{listing_id}").json()["attributes"] == {"brand": "Sony", "colour": "black"}


@pytest.mark.parametrize(
    ("attributes", "words"),
    [
        ({"author": "Calvino"}, "Electronics listings have no detail called 'author'. Their details are: brand"),
        ({"colour": "tartan"}, "Colour must be one of: black, white"),
        ({"brand": "x" * 81}, "Brand can be at most 80 characters long"),
        ({"brand": 3}, "attributes.brand"),
        ("not json", "attributes must be a JSON object"),
    ],
)
def test_the_api_refuses_a_wrong_detail_with_a_sentence(seller_client, attributes, words):
    sent = attributes if isinstance(attributes, str) else json.dumps(attributes)
    response = seller_client.post("/api/listings", {**_api_fields(), "attributes": sent, "images": [photo_upload()]})

    assert response.status_code in (400, 422)
    assert words in response.json()["detail"]
    assert not Listing.objects.exists()


def test_patch_replaces_the_details_and_a_new_category_drops_those_it_has_not(seller_client, seller):
    listing = listing_with_photo(seller=seller)

    def patch(changes):
        return seller_client.patch(f"/api/listings/{listing.pk}", json.dumps(changes), content_type="application/json")

    assert patch({"attributes": {"brand": "Sony", "colour": "grey"}}).json()["attributes"] == {
        "brand": "Sony",
        "colour": "grey",
    }
    assert patch({"price": "30"}).json()["attributes"] == {"brand": "Sony", "colour": "grey"}
    assert patch({"category": "furniture"}).json()["attributes"] == {"colour": "grey"}
    refused = patch({"attributes": {"brand": "Sony"}})
    assert refused.status_code == 400
    assert "Furniture listings have no detail called 'brand'" in refused.json()["detail"]


def test_the_list_items_carry_their_details(client, seller):
    _with_details(listing_with_photo(seller=seller), brand="Sony")

    assert client.get("/api/listings").json()["items"][0]["attributes"] == {"brand": "Sony"}


def test_the_openapi_schema_documents_the_details(client):
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]

    assert "attributes" in components["ListingOut"]["properties"]
    assert "attributes" in components["CategoryOut"]["properties"]
    assert "attributes" in components["ListingPatchIn"]["properties"]
    assert "attributes" in components["ListingCreateIn"]["properties"]


# --- Filters ----------------------------------------------------------------------------------------


@pytest.fixture
def headphones(seller):
    def made(title: str, **attributes) -> Listing:
        return _with_details(listing_with_photo(seller=seller, title=title), **attributes)

    return {
        "sony black": made("Sony black", brand="Sony", colour="black"),
        "sony white": made("Sony white", brand="SONY", colour="white"),
        "bose black": made("Bose black", brand="Bose", colour="black"),
        "no details": made("No details"),
    }


@pytest.mark.parametrize("path", ["/api/listings", BROWSE])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"brand": "sony"}, {"Sony black", "Sony white"}),
        ({"brand": " Sony "}, {"Sony black", "Sony white"}),
        ({"brand": "sony", "colour": "black"}, {"Sony black"}),
        ({"colour": "black", "category": "electronics"}, {"Sony black", "Bose black"}),
        ({"brand": "sony", "category": "furniture"}, set()),
        ({"brand": "", "flavour": "vanilla"}, {"Sony black", "Sony white", "Bose black", "No details"}),
    ],
)
def test_it_filters_by_details_whatever_the_case(client, headphones, path, params, expected):
    response = client.get(path, params)

    assert response.status_code == 200
    assert _titles(response) == expected


def test_the_browse_page_offers_the_chosen_categorys_filters_or_the_common_ones(client):
    everything = client.get(BROWSE).content.decode()
    books = client.get(BROWSE, {"category": "books"}).content.decode()

    assert re.search(r'data-attribute="brand">', everything) and re.search(r'data-attribute="colour">', everything)
    assert re.search(r'data-attribute="author" hidden>', everything)
    assert re.search(r'data-attribute="author">', books) and re.search(r'data-attribute="brand" hidden>', books)


def test_a_filter_in_use_stays_shown_and_filled(client, headphones):
    page = client.get(BROWSE, {"size": "M", "brand": "Sony"}).content.decode()

    assert re.search(r'data-attribute="size">', page)
    assert 'name="brand" value="Sony"' in page


def test_an_unknown_colour_is_ignored_with_a_note(client, headphones):
    response = client.get(BROWSE, {"colour": "tartan"})

    assert "We can't search by that colour, so we ignored it." in _page(response)
    assert _titles(response) == {"Sony black", "Sony white", "Bose black", "No details"}


def test_a_saved_search_keeps_its_detail_filters(client, buyer, headphones):
    client.force_login(buyer)

    client.post(reverse("marketplace:saved_searches"), {"q": "", "brand": "sony"})

    search = buyer.saved_searches.get()
    assert search.params == {"brand": "sony"}
    assert client.get(reverse("marketplace:saved_searches")).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_the_filter_finds_a_rare_brand_through_the_gin_index(seller, headphones):
    from marketplace.selectors import ListingFilters, listing_search

    # Enough listings for the planner to prefer the index to reading them all, with what bench/attributes.py
    # measures at 100,000: a brand a few listings have, among many brands.
    electronics = category("electronics")
    Listing.objects.bulk_create(
        Listing(
            seller=seller,
            title=f"Item {n}",
            category=electronics,
            price=10,
            condition="good",
            attributes={"brand": f"Brand {n % 400}"},
            attributes_search={"brand": f"brand {n % 400}"},
        )
        for n in range(4000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_listing")

    listings = listing_search(filters=ListingFilters(attributes={"brand": "Sony"}))

    assert "listing_attributes_search" in listings.explain()
    assert {listing.title for listing in listings} == {"Sony black", "Sony white"}


def test_a_json_post_from_an_analysis_takes_the_details_as_an_object(seller_client, seller):
    from tests.factories import suggested_analysis

    analysis = suggested_analysis(user=seller)
    body = {**_api_fields(analysis_id=str(analysis.pk)), "attributes": {"brand": " Sony ", "colour": "black"}}

    response = seller_client.post("/api/listings", body, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert response.json()["attributes"] == {"brand": "Sony", "colour": "black"}
    analysis.refresh_from_db()
    assert analysis.posted_values["brand"] == "Sony"

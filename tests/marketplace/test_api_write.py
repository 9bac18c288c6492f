"""Posting, changing and deleting listings through the API, and who may do it."""

import json
from decimal import Decimal

import pytest

from marketplace.models import Listing, Photo
from tests.factories import (
    ListingFactory,
    category,
    jpeg_bytes,
    listing_photo,
    photo_upload,
    png_bytes,
    stored_media_files,
)

pytestmark = pytest.mark.django_db


def _fields(**overrides) -> dict:
    return {
        "title": "Oak desk",
        "description": "Solid oak, 120 x 60 cm.",
        "category": "furniture",
        "price": "85.50",
        "condition": "like_new",
        **overrides,
    }


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def _patch(client, listing_id: int, changes) -> object:
    return client.patch(f"/api/listings/{listing_id}", json.dumps(changes), content_type="application/json")


def test_it_posts_a_listing_from_a_form_with_photos(seller_client, seller):
    uploads = [
        photo_upload("front.jpg", jpeg_bytes(800, 600)),
        photo_upload("back.png", png_bytes(300, 200), "image/png"),
        photo_upload("side.jpg"),
    ]

    response = seller_client.post("/api/listings", {**_fields(), "images": uploads, "main_image": "1"})

    assert response.status_code == 201
    body = response.json()
    listing = Listing.objects.get()
    assert body["id"] == listing.pk
    assert (listing.seller, listing.title, listing.description) == (seller, "Oak desk", "Solid oak, 120 x 60 cm.")
    assert (listing.category, listing.price, listing.condition) == (category("furniture"), Decimal("85.50"), "like_new")
    assert body["price"] == "85.50"
    assert body["status"] == "active"
    assert len(body["images"]) == 3
    # The second upload (a PNG) was marked main, so it comes first, re-encoded as a JPEG.
    main = Photo.objects.get(is_main=True)
    assert (main.width, main.height) == (300, 200)
    assert body["images"][0]["url"] == main.image.url
    assert all(image["url"].endswith(".jpg") for image in body["images"])
    assert len(stored_media_files()) == 9  # a display size, a medium size and a thumbnail each


def test_the_first_photo_is_main_when_none_is_chosen(seller_client):
    response = seller_client.post(
        "/api/listings", {**_fields(), "images": [photo_upload("a.jpg", jpeg_bytes(90, 90)), photo_upload("b.jpg")]}
    )

    assert response.status_code == 201
    assert (response.json()["images"][0]["width"], Photo.objects.get(is_main=True).width) == (90, 90)


def test_it_takes_a_price_as_a_plain_number(seller_client):
    response = seller_client.post("/api/listings", {**_fields(price="1000000"), "images": [photo_upload()]})

    assert response.status_code == 201
    assert Listing.objects.get().price == Decimal("1000000")


def test_it_trims_spaces_around_the_text_fields(seller_client):
    response = seller_client.post(
        "/api/listings", {**_fields(title="  Oak desk  ", category=" furniture "), "images": [photo_upload()]}
    )

    assert response.status_code == 201
    assert Listing.objects.get().title == "Oak desk"


def test_a_json_post_without_photos_asks_for_a_photo(seller_client):
    response = seller_client.post("/api/listings", _fields(), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Please add at least one photo."
    assert not Listing.objects.exists()


def test_a_json_post_validates_fields_like_the_form(seller_client):
    response = seller_client.post("/api/listings", _fields(price=-3), content_type="application/json")

    assert response.status_code == 422
    assert "price: Input should be greater than or equal to 0" in response.json()["detail"]


def test_the_seller_changes_some_fields_and_keeps_the_rest(seller_client, seller):
    listing = ListingFactory(seller=seller, title="Desk", price=Decimal("80"))
    listing_photo(listing, is_main=True)

    response = _patch(seller_client, listing.pk, {"price": 70, "category": "furniture", "description": "Oak."})

    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.title, listing.price, listing.category.slug, listing.description) == (
        "Desk",
        Decimal("70"),
        "furniture",
        "Oak.",
    )
    assert response.json()["price"] == "70.00"
    assert len(response.json()["images"]) == 1


def test_the_seller_marks_a_listing_sold_and_it_leaves_the_search(seller_client, seller):
    listing = ListingFactory(seller=seller)

    response = _patch(seller_client, listing.pk, {"status": "sold"})

    assert response.status_code == 200
    assert response.json()["status"] == "sold"
    listing.refresh_from_db()
    assert listing.sold_at is not None
    assert seller_client.get("/api/listings").json()["count"] == 0


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"status": "hidden"}, "status: Input should be 'sold'"),
        ({"status": "active"}, "status: Input should be 'sold'"),
        ({"seller": 5}, "Unknown field 'seller'. This endpoint takes only: "),
        ({"title": None}, "title: Input should be a valid string"),
        ({"title": ""}, "title: String should have at least 1 character"),
        ({"price": "1000000.01"}, "price: Input should be less than or equal to 1000000"),
        ({"price": "9.999"}, "price: Decimal input should have no more than 2 decimal places"),
        ({"condition": "broken"}, "condition: Input should be 'new', 'like_new', 'good', 'fair' or 'for_parts'"),
        ({"description": "x" * 4001}, "description: String should have at most 4000 characters"),
        ([1, 2], "Input should be a valid dictionary"),
    ],
)
def test_a_bad_change_is_refused_with_a_sentence_and_changes_nothing(seller_client, seller, changes, words):
    listing = ListingFactory(seller=seller, title="Desk")

    response = _patch(seller_client, listing.pk, changes)

    assert response.status_code == 422
    assert words in response.json()["detail"]
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Desk", "active")


def test_a_change_to_an_unknown_category_lists_the_known_ones(seller_client, seller):
    listing = ListingFactory(seller=seller)

    response = _patch(seller_client, listing.pk, {"category": "spaceships"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown category 'spaceships'. Use one of: electronics, ")
    listing.refresh_from_db()
    assert listing.category.slug == "electronics"


@pytest.mark.parametrize("body", ["{not json", '{"title": "x"', "\udcff", "[" * 100_000])
def test_a_body_that_is_not_json_is_refused_with_a_sentence(seller_client, seller, body):
    listing = ListingFactory(seller=seller)

    response = seller_client.patch(
        f"/api/listings/{listing.pk}", body.encode("utf-8", "surrogateescape"), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_a_json_post_must_be_an_object(seller_client):
    response = seller_client.post("/api/listings", "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body must be a JSON object."


def test_the_seller_deletes_a_listing_and_its_photo_files(seller_client, seller, django_capture_on_commit_callbacks):
    listing = ListingFactory(seller=seller)
    listing_photo(listing, is_main=True)
    assert len(stored_media_files()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.delete(f"/api/listings/{listing.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Listing.objects.exists()
    assert not Photo.objects.exists()
    assert stored_media_files() == []


def test_someone_elses_visible_listing_cannot_be_changed_or_deleted(client, seller, buyer):
    listing = ListingFactory(seller=seller, title="Desk")
    listing_photo(listing, is_main=True)
    client.force_login(buyer)

    patched = _patch(client, listing.pk, {"title": "Mine now", "status": "sold"})
    deleted = client.delete(f"/api/listings/{listing.pk}")

    assert patched.status_code == deleted.status_code == 403
    assert patched.json()["detail"] == deleted.json()["detail"] == "Only the seller can change this listing."
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Desk", "active")
    assert Photo.objects.count() == 1
    assert len(stored_media_files()) == 3


def test_someone_elses_hidden_listing_is_not_found(client, seller, buyer):
    listing = ListingFactory(seller=seller, status=Listing.Status.HIDDEN)
    client.force_login(buyer)

    patched = _patch(client, listing.pk, {"title": "Mine now"})
    deleted = client.delete(f"/api/listings/{listing.pk}")

    assert patched.status_code == deleted.status_code == 404
    assert Listing.objects.filter(pk=listing.pk, title=listing.title).exists()


def test_changing_or_deleting_a_listing_that_does_not_exist_is_404(seller_client):
    patched = _patch(seller_client, 424242, {"title": "x"})
    deleted = seller_client.delete("/api/listings/424242")

    assert patched.status_code == deleted.status_code == 404
    assert patched.json()["detail"] == "There is no listing with id 424242."

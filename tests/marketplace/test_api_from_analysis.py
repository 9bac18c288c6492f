"""POST /api/listings with `analysis_id`: the analysed photo becomes the listing's photo."""

import json
from decimal import Decimal

import pytest

from ai_prefill.models import Analysis
from marketplace.models import Listing, Photo
from tests.factories import jpeg_bytes, photo_upload, suggested_analysis

pytestmark = pytest.mark.django_db


def _fields(analysis: Analysis, **overrides) -> dict:
    return {
        "title": "Wired headphones",
        "description": "Used a few times.",
        "category": "electronics",
        "price": "18",
        "condition": "good",
        "analysis_id": str(analysis.pk),
        **overrides,
    }


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_a_json_post_reuses_the_analysed_photo(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    response = seller_client.post("/api/listings", _fields(analysis), content_type="application/json")

    assert response.status_code == 201
    listing = Listing.objects.get()
    assert (listing.title, listing.price) == ("Wired headphones", Decimal("18"))
    analysis.refresh_from_db()
    assert analysis.listing == listing
    assert [image["url"] for image in response.json()["images"]] == [analysis.photo.image.url]
    assert Photo.objects.get().listing == listing


def test_a_multipart_post_adds_more_photos_after_the_analysed_one(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    extra = photo_upload("side.jpg", jpeg_bytes(120, 90))

    response = seller_client.post("/api/listings", {**_fields(analysis), "images": [extra], "main_image": "1"})

    assert response.status_code == 201
    images = response.json()["images"]
    assert len(images) == 2
    assert (images[0]["width"], images[0]["height"]) == (120, 90)
    assert images[1]["url"] == analysis.photo.image.url


def test_someone_elses_analysis_cannot_be_posted(seller_client, buyer):
    analysis = suggested_analysis(user=buyer)

    response = seller_client.post("/api/listings", _fields(analysis), content_type="application/json")

    assert response.status_code == 404
    assert response.json()["detail"] == "We could not find that photo analysis."
    assert not Listing.objects.exists()
    assert Photo.objects.get().listing is None


def test_an_analysis_is_posted_only_once(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    body = json.dumps(_fields(analysis))

    first = seller_client.post("/api/listings", body, content_type="application/json")
    second = seller_client.post("/api/listings", body, content_type="application/json")

    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["detail"] == "This photo has already been posted as a listing."
    assert Listing.objects.count() == 1


def test_a_main_image_past_the_analysed_and_sent_photos_is_refused(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    response = seller_client.post("/api/listings", _fields(analysis, main_image=1), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "main_image must be a photo's number, from 0 to 0; it was 1."
    assert not Listing.objects.exists()


@pytest.mark.parametrize("analysis_id", ["42", "not-a-uuid", ""])
def test_an_analysis_id_that_is_not_a_uuid_is_refused_with_a_sentence(seller_client, seller, analysis_id):
    analysis = suggested_analysis(user=seller)

    response = seller_client.post(
        "/api/listings", _fields(analysis, analysis_id=analysis_id), content_type="application/json"
    )

    assert response.status_code == 422
    assert "analysis_id: Input should be a valid UUID" in response.json()["detail"]
    assert not Listing.objects.exists()

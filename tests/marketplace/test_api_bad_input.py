"""Bad input to POST /api/listings: a 4xx with a sentence, and nothing stored (no rows, no files)."""

import io
import json
import os
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.models import Listing, Photo
from tests.factories import jpeg_bytes, photo_upload, png_bytes

pytestmark = pytest.mark.django_db


def _fields(**overrides) -> dict:
    return {"title": "Road bike", "category": "sports", "price": "250", "condition": "good", **overrides}


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def _assert_refused(response, status: int, detail_start: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith(detail_start), response.json()["detail"]
    assert not Listing.objects.exists()
    assert not Photo.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size, as a decompression bomb does."""
    data = bytearray(png_bytes(1, 1))
    data[16:20], data[20:24] = width.to_bytes(4, "big"), height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(jpeg_bytes(8, 8))
    start_of_frame = data.index(b"\xff\xc0")
    data[start_of_frame + 5 : start_of_frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def _truncated_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3))
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=90)
    return out.getvalue()[: len(out.getvalue()) // 2]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, format="GIF")
    return out.getvalue()


NOT_READABLE = "The file is not a photo we can read."
BAD_FILES = {
    "empty file": ("photo.jpg", b"", "image/jpeg", "The file is empty."),
    "text renamed .jpg": ("photo.jpg", b"Just some notes, not a photo.\n" * 20, "image/jpeg", NOT_READABLE),
    "truncated jpeg": ("photo.jpg", _truncated_jpeg(), "image/jpeg", "The photo file is damaged or incomplete."),
    "svg": (
        "drawing.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        "image/svg+xml",
        NOT_READABLE,
    ),
    "html renamed .jpg": (
        "photo.jpg",
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        "image/jpeg",
        NOT_READABLE,
    ),
    "gif": ("anim.gif", _gif(), "image/gif", NOT_READABLE),
    "30,000 x 30,000 png bomb": ("bomb.png", _png_claiming(30_000, 30_000), "image/png", "The photo has too many"),
    "30,000 x 30,000 jpeg bomb": ("bomb.jpg", _jpeg_claiming(30_000, 30_000), "image/jpeg", "The photo has too many"),
    "50 megapixel png": ("big.png", _png_claiming(10_000, 5_000), "image/png", "The photo has too many pixels"),
    "20 MB file": ("huge.jpg", jpeg_bytes() + bytes(20 * 1024 * 1024), "image/jpeg", "The photo is larger than 15 MB"),
}


@pytest.mark.parametrize("bad_file", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_it_refuses_a_file_that_is_not_an_acceptable_photo(seller_client, bad_file):
    name, data, content_type, detail = bad_file

    response = seller_client.post(
        "/api/listings", {**_fields(), "images": [SimpleUploadedFile(name, data, content_type=content_type)]}
    )

    _assert_refused(response, 400, detail)


def test_one_bad_photo_among_good_ones_stores_none_of_them(seller_client):
    uploads = [photo_upload("a.jpg"), photo_upload("b.jpg"), SimpleUploadedFile("c.jpg", b"nope", "image/jpeg")]

    response = seller_client.post("/api/listings", {**_fields(), "images": uploads})

    _assert_refused(response, 400, NOT_READABLE)


def test_it_asks_for_at_least_one_photo(seller_client):
    _assert_refused(seller_client.post("/api/listings", _fields()), 400, "Please add at least one photo.")


def test_it_refuses_more_than_eight_photos(seller_client):
    response = seller_client.post("/api/listings", {**_fields(), "images": [photo_upload() for _ in range(9)]})

    _assert_refused(response, 400, "A listing can have at most 8 photos.")


def test_it_refuses_a_main_image_index_past_the_photos_sent(seller_client):
    response = seller_client.post(
        "/api/listings", {**_fields(), "images": [photo_upload(), photo_upload()], "main_image": "2"}
    )

    _assert_refused(response, 400, "main_image must be a photo's number, from 0 to 1; it was 2.")


BAD_FIELDS = {
    "negative price": ({"price": "-1"}, "price: Input should be greater than or equal to 0"),
    "non-numeric price": ({"price": "twelve"}, "price: Input should be a valid decimal"),
    "price over a million": ({"price": "1000000.01"}, "price: Input should be less than or equal to 1000000"),
    "price with three decimals": ({"price": "12.345"}, "price: Decimal input should have no more than 2 decimal"),
    "infinite price": ({"price": "Infinity"}, "price:"),
    "10,000-character title": ({"title": "x" * 10_000}, "title: String should have at most 80 characters"),
    "blank title": ({"title": "   "}, "title: String should have at least 1 character"),
    "title with NUL": ({"title": "Bike\x00"}, "title: Text must not contain NUL characters"),
    "long description": ({"description": "x" * 4001}, "description: String should have at most 4000 characters"),
    "unknown condition": ({"condition": "mint"}, "condition: Input should be 'new', 'like_new', 'good', 'fair' or"),
    "missing title": ({"title": None}, "title: Field required"),
}


@pytest.mark.parametrize(("changes", "detail"), BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_it_refuses_bad_fields_with_a_sentence_naming_the_field(seller_client, changes, detail):
    fields = {key: value for key, value in _fields(**changes).items() if value is not None}

    response = seller_client.post("/api/listings", {**fields, "images": [photo_upload()]})

    _assert_refused(response, 422, "Please check the request. ")
    assert detail in response.json()["detail"]


def test_it_refuses_an_unknown_category_and_lists_the_known_ones(seller_client):
    response = seller_client.post("/api/listings", {**_fields(category="spaceships"), "images": [photo_upload()]})

    _assert_refused(response, 400, "Unknown category 'spaceships'. Use one of: electronics, furniture, ")


def test_it_refuses_a_json_body_over_the_request_limit_with_413(seller_client):
    body = json.dumps(_fields(description="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)))

    response = seller_client.post("/api/listings", body, content_type="application/json")

    _assert_refused(response, 413, "The request is too large")


def test_it_refuses_form_fields_over_the_request_limit_with_413(seller_client):
    description = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = seller_client.post("/api/listings", {**_fields(description=description), "images": [photo_upload()]})

    _assert_refused(response, 413, "The request is too large")


def test_it_refuses_a_multipart_body_it_cannot_parse(seller_client):
    response = seller_client.post("/api/listings", b"garbage", content_type="multipart/form-data")

    _assert_refused(response, 400, "The upload could not be read as multipart/form-data.")


def test_it_refuses_more_files_than_django_accepts_in_one_request(seller_client):
    uploads = [photo_upload(data=b"x") for _ in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]

    response = seller_client.post("/api/listings", {**_fields(), "images": uploads})

    _assert_refused(response, 400, "The request has too many files or fields.")

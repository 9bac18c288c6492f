"""The sell page: a listing with 1 to 8 photos, and every bad input refused with its fields kept."""

import html
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import Listing, Photo
from tests.factories import bad_photo_files, jpeg_bytes, listing_form_data, photo_upload, png_bytes, stored_media_files

pytestmark = pytest.mark.django_db

SELL = reverse("ai_prefill:sell")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (45.0, 27.0, 50.0), 3: "E", 4: (9.0, 11.0, 22.0)})
    exif[0x010F] = "SpyCam Inc."
    return jpeg_bytes(200, 150, exif=exif.tobytes())


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_selling_needs_a_login(client):
    response = client.get(SELL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('marketplace:login')}?next={SELL}"


def test_the_form_has_the_fields_the_prefill_targets(seller_client):
    page = seller_client.get(SELL).content.decode()

    for name in ("title", "description", "category", "price", "condition"):
        assert f'name="{name}"' in page
        assert f'id="id_{name}"' in page
    assert 'type="file" name="photos"' in page
    assert "multiple" in page
    for label in ("New", "Like new", "Good", "Fair", "For parts"):
        assert f">{label}</option>" in page


def test_it_posts_a_listing_with_photos_in_order_the_first_one_main(seller_client, seller):
    photos = [
        photo_upload("IMG_0001 my street.jpg", _jpeg_with_gps()),
        photo_upload("second.png", png_bytes(90, 60), "image/png"),
    ]

    response = seller_client.post(SELL, {**listing_form_data(), "photos": photos})

    listing = Listing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == listing.get_absolute_url()
    assert (listing.seller, listing.title, listing.category.slug, str(listing.price), listing.condition) == (
        seller,
        "Road bike",
        "sports",
        "250.00",
        "good",
    )
    first, second = listing.photos.order_by("position")
    assert (first.is_main, second.is_main) == (True, False)
    assert (first.width, second.width) == (200, 90)
    for photo in (first, second):
        assert "IMG_0001" not in photo.image.name and "second" not in photo.image.name
        assert Path(photo.image.path).is_file() and Path(photo.thumbnail.path).is_file()
        stored = Path(photo.image.path).read_bytes()
        assert b"SpyCam" not in stored
        assert not Image.open(io.BytesIO(stored)).getexif()
        assert Image.open(photo.thumbnail.path).format == "JPEG"
        assert b"SpyCam" not in Path(photo.medium.path).read_bytes()
    assert len(stored_media_files()) == 6
    assert "Your listing is live." in _page(seller_client.get(response["Location"]))


def test_the_first_photo_is_main_by_default(seller_client):
    seller_client.post(SELL, {**listing_form_data(), "photos": [photo_upload(), photo_upload()]})

    assert [photo.is_main for photo in Listing.objects.get().photos.order_by("position")] == [True, False]


def _assert_refused_and_kept(response, sentence: str, fields: dict, *, files_sent: bool = True) -> None:
    assert response.status_code == 400
    page = _page(response)
    assert sentence in page
    # Browsers never keep chosen files across a reload: the seller is told to pick them again, when there were any.
    assert ("Please pick your new photos again" in page) == files_sent
    assert f'value="{fields["title"]}"' in page
    assert f">\n{fields['description']}</textarea>" in page
    assert f'value="{fields["price"]}"' in page
    assert not Listing.objects.exists()
    assert not Photo.objects.exists()
    assert not stored_media_files()


@pytest.mark.parametrize("case", list(bad_photo_files()))
def test_a_bad_photo_is_refused_with_a_sentence_and_the_fields_kept(seller_client, case):
    name, data, content_type, sentence = bad_photo_files()[case]
    fields = listing_form_data()

    response = seller_client.post(SELL, {**fields, "photos": [SimpleUploadedFile(name, data, content_type)]})

    _assert_refused_and_kept(response, sentence, fields)


def test_one_bad_photo_among_good_ones_stores_nothing(seller_client):
    fields = listing_form_data()
    photos = [photo_upload(), photo_upload(), photo_upload("third.jpg", b"not a photo at all")]

    response = seller_client.post(SELL, {**fields, "photos": photos})

    _assert_refused_and_kept(response, "The file is not a photo we can read.", fields)


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        ({"price": "-5"}, "The price cannot be negative."),
        ({"price": "twenty"}, "Please enter the price as a number"),
        ({"price": "2000000"}, "The price can be at most €1,000,000."),
        ({"title": "x" * 10_000}, "The title can be at most 80 characters long (it has 10000)."),
        ({"title": ""}, "Please give your listing a title."),
        ({"category": "spaceships"}, "Please pick a category from the list."),
        ({"condition": "broken"}, "Please pick a condition from the list."),
        ({"description": "d" * 5000}, "The description can be at most 4000 characters long"),
    ],
)
def test_a_bad_field_is_refused_with_a_sentence_and_everything_kept(seller_client, overrides, sentence):
    fields = listing_form_data(**overrides)

    response = seller_client.post(SELL, {**fields, "photos": [photo_upload()]})

    _assert_refused_and_kept(response, sentence, fields)


def test_no_photo_is_refused(seller_client):
    fields = listing_form_data()

    response = seller_client.post(SELL, fields)

    _assert_refused_and_kept(response, "Please add at least one photo.", fields, files_sent=False)


def test_more_than_eight_photos_are_refused(seller_client):
    fields = listing_form_data()

    response = seller_client.post(SELL, {**fields, "photos": [photo_upload() for _ in range(9)]})

    _assert_refused_and_kept(response, "Please pick at most 8 photos (you picked 9).", fields)


def test_the_selected_category_and_condition_stay_selected(seller_client):
    response = seller_client.post(SELL, listing_form_data(price="abc", category="books", condition="fair"))

    page = response.content.decode()
    assert '<option value="books" selected>' in page
    assert '<option value="fair" selected>' in page


def test_an_empty_post_names_every_missing_field(seller_client):
    response = seller_client.post(SELL, {})

    assert response.status_code == 400
    page = _page(response)
    for sentence in (
        "Please give your listing a title.",
        "Please pick a category.",
        "Please enter a price.",
        "Please pick a condition.",
        "Please add at least one photo.",
    ):
        assert sentence in page


@pytest.mark.parametrize(("typed", "stored"), [("12,50", "12.50"), ("€ 1,250", "1250.00"), ("1 250.5", "1250.50")])
def test_it_reads_prices_the_way_people_type_them(seller_client, typed, stored):
    response = seller_client.post(SELL, {**listing_form_data(price=typed), "photos": [photo_upload()]})

    assert response.status_code == 302
    assert str(Listing.objects.get().price) == stored

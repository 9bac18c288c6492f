"""The seller's own pages: my listings, edit, photos, mark as sold, delete; nobody else gets in."""

import html
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.models import Listing, Photo
from tests.factories import (
    ListingFactory,
    UserFactory,
    bad_photo_files,
    listing_photo,
    listing_with_photo,
    photo_upload,
)

pytestmark = pytest.mark.django_db

MY_LISTINGS = reverse("marketplace:my_listings")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _fields(**overrides) -> dict:
    return {
        "title": "Oak table, seats 8",
        "description": "With two extension leaves.",
        "category": "furniture",
        "price": "310",
        "condition": "fair",
        **overrides,
    }


@pytest.fixture
def listing(seller):
    return listing_with_photo(seller=seller, title="Oak table", price=Decimal("300"))


def _owner_only_requests(listing) -> list[tuple[str, str, dict]]:
    photo = listing.photos.get()
    return [
        ("get", reverse("marketplace:listing_edit", args=[listing.pk]), {}),
        ("post", reverse("marketplace:listing_edit", args=[listing.pk]), _fields(title="Hijacked")),
        ("post", reverse("marketplace:listing_photos_add", args=[listing.pk]), {"photos": [photo_upload()]}),
        ("post", reverse("marketplace:listing_photo_remove", args=[listing.pk, photo.pk]), {}),
        ("post", reverse("marketplace:listing_photo_main", args=[listing.pk, photo.pk]), {}),
        ("post", reverse("marketplace:listing_mark_sold", args=[listing.pk]), {}),
        ("get", reverse("marketplace:listing_delete", args=[listing.pk]), {}),
        ("post", reverse("marketplace:listing_delete", args=[listing.pk]), {}),
    ]


def test_my_listings_shows_only_mine_in_every_status(client, seller, listing):
    ListingFactory(seller=seller, title="Old lamp", status=Listing.Status.SOLD)
    ListingFactory(seller=seller, title="Odd item", status=Listing.Status.HIDDEN)
    ListingFactory(title="Someone else's bike")
    client.force_login(seller)

    page = _page(client.get(MY_LISTINGS))

    assert "Oak table" in page and "Old lamp" in page and "Odd item" in page
    assert "Someone else's bike" not in page
    assert "Sold" in page and "Hidden by staff" in page and "Active" in page
    assert listing.photos.get().thumbnail.url in page


def test_my_listings_needs_a_login(client):
    response = client.get(MY_LISTINGS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("marketplace:login"))


@pytest.mark.parametrize("step", range(8))
def test_nobody_but_the_owner_changes_a_listing(client, listing, step):
    method, url, data = _owner_only_requests(listing)[step]
    client.force_login(UserFactory(username="intruder"))

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Oak table", Listing.Status.ACTIVE)
    assert listing.photos.count() == 1 and listing.photos.get().is_main


@pytest.mark.parametrize("step", range(8))
def test_a_visitor_is_sent_to_log_in_by_every_owner_page(client, listing, step):
    method, url, data = _owner_only_requests(listing)[step]

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("marketplace:login"))
    assert Listing.objects.get().title == "Oak table"


def test_the_owner_edits_the_fields(client, seller, listing):
    client.force_login(seller)
    url = reverse("marketplace:listing_edit", args=[listing.pk])
    page = _page(client.get(url))
    assert 'value="Oak table"' in page and '<option value="electronics" selected>' in page

    response = client.post(url, _fields())

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.title, listing.category.slug, listing.price, listing.condition) == (
        "Oak table, seats 8",
        "furniture",
        Decimal("310"),
        "fair",
    )


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        ({"price": "-1"}, "The price cannot be negative."),
        ({"price": "lots"}, "Please enter the price as a number"),
        ({"title": "t" * 10_000}, "The title can be at most 80 characters long"),
        ({"category": "nope"}, "Please pick a category from the list."),
    ],
)
def test_a_rejected_edit_says_why_keeps_what_was_typed_and_changes_nothing(
    client, seller, listing, overrides, sentence
):
    client.force_login(seller)
    fields = _fields(**overrides)

    response = client.post(reverse("marketplace:listing_edit", args=[listing.pk]), fields)

    assert response.status_code == 400
    page = _page(response)
    assert sentence in page
    assert f'value="{fields["title"]}"' in page
    assert f'value="{fields["price"]}"' in page
    listing.refresh_from_db()
    assert (listing.title, listing.price) == ("Oak table", Decimal("300"))


def test_the_owner_adds_photos(client, seller, listing):
    client.force_login(seller)

    response = client.post(
        reverse("marketplace:listing_photos_add", args=[listing.pk]), {"photos": [photo_upload(), photo_upload()]}
    )

    assert response.status_code == 302
    assert listing.photos.count() == 3
    assert listing.photos.filter(is_main=True).count() == 1


@pytest.mark.parametrize("case", ["text renamed .jpg", "decompression bomb", "20 MB file"])
def test_a_bad_added_photo_is_refused_with_a_sentence(client, seller, listing, case):
    name, data, content_type, sentence = bad_photo_files()[case]
    client.force_login(seller)

    response = client.post(
        reverse("marketplace:listing_photos_add", args=[listing.pk]),
        {"photos": [SimpleUploadedFile(name, data, content_type)]},
    )

    assert response.status_code == 400
    assert sentence in _page(response)
    assert listing.photos.count() == 1


def test_a_listing_keeps_at_most_eight_photos(client, seller, listing):
    client.force_login(seller)

    response = client.post(
        reverse("marketplace:listing_photos_add", args=[listing.pk]), {"photos": [photo_upload() for _ in range(8)]}
    )

    assert response.status_code == 400
    assert "A listing can have at most 8 photos." in _page(response)
    assert listing.photos.count() == 1


def test_the_owner_removes_a_photo_and_the_next_becomes_main(
    client, seller, listing, django_capture_on_commit_callbacks
):
    second = listing_photo(listing, position=1)
    main = listing.photos.get(is_main=True)
    client.force_login(seller)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketplace:listing_photo_remove", args=[listing.pk, main.pk]))

    assert response.status_code == 302
    assert list(listing.photos.all()) == [second]
    second.refresh_from_db()
    assert second.is_main
    assert not Path(main.image.path).exists()


def test_the_last_photo_cannot_be_removed(client, seller, listing):
    client.force_login(seller)
    photo = listing.photos.get()

    response = client.post(reverse("marketplace:listing_photo_remove", args=[listing.pk, photo.pk]), follow=True)

    assert "A listing needs at least one photo." in _page(response)
    assert listing.photos.count() == 1


def test_the_owner_sets_the_main_photo(client, seller, listing):
    second = listing_photo(listing, position=1)
    client.force_login(seller)

    client.post(reverse("marketplace:listing_photo_main", args=[listing.pk, second.pk]))

    assert list(listing.photos.filter(is_main=True)) == [second]


def test_a_photo_of_another_listing_is_not_found(client, seller, listing):
    other_photo = listing_with_photo(seller=seller).photos.get()
    client.force_login(seller)

    response = client.post(reverse("marketplace:listing_photo_remove", args=[listing.pk, other_photo.pk]))

    assert response.status_code == 404
    assert Photo.objects.filter(pk=other_photo.pk).exists()


def test_the_owner_marks_a_listing_as_sold(client, seller, listing):
    client.force_login(seller)
    url = reverse("marketplace:listing_mark_sold", args=[listing.pk])

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.SOLD and listing.sold_at is not None
    assert '<h3 class="card-title">Oak table</h3>' not in _page(client.get("/"))


def test_the_owner_deletes_a_listing_after_confirming(client, seller, listing, django_capture_on_commit_callbacks):
    client.force_login(seller)
    url = reverse("marketplace:listing_delete", args=[listing.pk])
    image_path = Path(listing.photos.get().image.path)

    confirm = client.get(url)
    assert "Yes, delete it" in _page(confirm)
    assert Listing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response["Location"] == MY_LISTINGS
    assert not Listing.objects.exists()
    assert not image_path.exists()


def test_my_listings_costs_the_same_queries_for_few_or_many_listings(client, seller):
    def my_listings_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MY_LISTINGS).status_code == 200
        return len(queries)

    client.force_login(seller)
    listing_with_photo(seller=seller)
    few = my_listings_queries()
    for _ in range(10):
        listing_with_photo(seller=seller)

    assert my_listings_queries() == few

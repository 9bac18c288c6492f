import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image, ImageChops

from marketplace.demo_photos import COLOURS, HEIGHT, KINDS, WIDTH, demo_photo
from marketplace.management.commands.seed_demo import ACCOUNTS, LISTINGS
from marketplace.models import Category, Conversation, Listing, Message, Photo, Rating, User
from marketplace.selectors import unread_message_count
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

CATEGORY_SLUGS = {
    "electronics",
    "furniture",
    "clothing",
    "vehicles",
    "sports",
    "home-garden",
    "books",
    "toys-kids",
    "other",
}


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_seeds_listings_in_every_category_with_stored_photos():
    seed()

    listings = Listing.objects.all()
    assert listings.count() == len(LISTINGS) >= 30
    assert set(listings.values_list("category__slug", flat=True)) == CATEGORY_SLUGS
    assert listings.filter(status=Listing.Status.SOLD).count() == 1
    for listing in listings:
        photos = list(listing.photos.all())
        assert [photo.is_main for photo in photos].count(True) == 1
        for photo in photos:
            with default_storage.open(photo.image.name) as stored:
                display = Image.open(stored)
                assert (display.format, display.size) == ("JPEG", (1200, 900))
                assert not display.getexif()
            with default_storage.open(photo.thumbnail.name) as stored:
                assert max(Image.open(stored).size) <= 480
    ages = [timezone.now() - created for created in listings.values_list("created_at", flat=True)]
    assert all(age > timedelta(0) for age in ages)
    assert max(ages) > timedelta(days=14)


def test_running_it_twice_keeps_one_set_of_accounts_listings_and_messages(client):
    seed()
    counts = [model.objects.count() for model in (User, Listing, Photo, Conversation, Message)]
    output = seed()

    assert "already there" in output
    assert [model.objects.count() for model in (User, Listing, Photo, Conversation, Message)] == counts
    for account in ACCOUNTS:
        if account.password:
            assert account.password in output
            assert client.login(username=account.username, password=account.password)
    assert User.objects.get(username="staff").is_superuser
    assert not User.objects.get(username="luca").has_usable_password()
    # The chair's conversation, still going; the dumbbells' one ended in a sale and a rating.
    conversation = Conversation.objects.get(listing__title__startswith="Wooden chair")
    assert (conversation.listing.seller.username, conversation.buyer.username) == ("demo", "buyer")
    assert Rating.objects.get().listing.sold_to.username == "buyer"
    assert unread_message_count(user=User.objects.get(username="demo")) == 1
    assert unread_message_count(user=User.objects.get(username="buyer")) == 0


def test_count_adds_generated_listings_in_every_category_sharing_stored_photos():
    # With the demo seller's listings already there, only the generated ones are added.
    ListingFactory(seller=UserFactory(username="demo"))
    before = Listing.objects.count()

    seed("--count", "18")
    seed("--count", "3")

    generated = Listing.objects.exclude(seller__username="demo")
    assert Listing.objects.count() == before + 21
    assert set(generated.values_list("category__slug", flat=True)) == CATEGORY_SLUGS
    assert len(set(generated.values_list("title", flat=True))) > 10
    assert all(price > 0 for price in generated.values_list("price", flat=True))
    assert len(set(generated.values_list("created_at", flat=True))) == 21
    photos = Photo.objects.filter(listing__in=generated)
    assert photos.count() == photos.filter(is_main=True).count() == 21
    for name in set(photos.values_list("image", flat=True)) | set(photos.values_list("thumbnail", flat=True)):
        assert default_storage.exists(name)


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=1"):
        seed()
    assert not User.objects.exists()


def test_it_refuses_a_negative_count():
    with pytest.raises(CommandError, match="0 or more"):
        seed("--count", "-1")


def test_demo_content_uses_known_categories_drawings_and_colours():
    assert {item.category for item in LISTINGS} == set(Category.objects.values_list("slug", flat=True))
    assert {item.drawing for item in LISTINGS} <= set(KINDS)
    assert {item.colour for item in LISTINGS} <= set(COLOURS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_drawing_is_a_photo_sized_object_in_the_given_colour(kind):
    red = demo_photo(kind, color=COLOURS["red"], variant=1)
    blue = demo_photo(kind, color=COLOURS["blue"], variant=1)

    assert red.size == (WIDTH, HEIGHT) == (1200, 900)
    left, top, right, bottom = ImageChops.difference(red, blue).point(lambda value: 255 * (value > 40)).getbbox()
    assert (right - left) * (bottom - top) > 0.03 * WIDTH * HEIGHT

"""One rule for typed text (marketplace.text), on the pages and in the API: no bidirectional overrides or invisible
characters, NFKC before the length checks, and a price's digits read the same in every script on every path."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.models import Listing, Message, User
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

RLO, ZWSP = "\u202e", "\u200b"
# 81 code points, 80 characters once NFKC composes "e" + combining acute into "é": the limit is 80.
COMPOSED_TITLE = "Cafe\u0301 " + "x" * 75


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Desk lamp", price=Decimal("25"))


def _edit(client, listing, **changes):
    fields = {"title": "Desk lamp", "category": "electronics", "price": "25", "condition": "good", **changes}
    return client.post(reverse("marketplace:listing_edit", args=[listing.pk]), fields)


def _patch(client, listing, **changes):
    return client.patch(f"/api/listings/{listing.pk}", json.dumps(changes), content_type="application/json")


@pytest.mark.parametrize("send", [_edit, _patch], ids=["page", "api"])
def test_bidi_overrides_and_zero_width_characters_leave_a_title(client, seller, listing, send):
    client.force_login(seller)

    response = send(client, listing, title=f"Lamp {RLO}gpj.exe{ZWSP} cheap", description=f"Wo{ZWSP}rks")

    assert response.status_code in (200, 302), response.content[:500]
    listing.refresh_from_db()
    assert (listing.title, listing.description) == ("Lamp gpj.exe cheap", "Works")


@pytest.mark.parametrize("send", [_edit, _patch], ids=["page", "api"])
def test_a_title_is_normalised_before_its_length_is_checked(client, seller, listing, send):
    client.force_login(seller)

    response = send(client, listing, title=COMPOSED_TITLE)

    assert response.status_code in (200, 302), response.content[:500]
    listing.refresh_from_db()
    assert listing.title == "Café " + "x" * 75 and len(listing.title) == 80


@pytest.mark.parametrize("send", [_edit, _patch], ids=["page", "api"])
@pytest.mark.parametrize(
    ("typed", "price"),
    [("٢٥", "25"), ("٢٥٫٥٠", "25.50"), ("۲۵٫۵", "25.5"), ("２５.５０", "25.50"), ("١٢٠٠", "1200")],
)
def test_a_price_in_arabic_indic_or_other_digits_is_read_the_same_on_every_path(
    client, seller, listing, send, typed, price
):
    client.force_login(seller)

    response = send(client, listing, price=typed)

    assert response.status_code in (200, 302), response.content[:500]
    listing.refresh_from_db()
    assert listing.price == Decimal(price)


def test_a_display_name_loses_its_override(client):
    password = "a long and unusual passphrase"
    data = {"username": "anna", "display_name": f"Anna{RLO} R.", "email": "anna@example.com"}
    client.post(reverse("marketplace:signup"), {**data, "password": password, "password_again": password})

    assert User.objects.get(username="anna").display_name == "Anna R."


def test_a_message_loses_invisible_characters(client, buyer, listing):
    client.force_login(buyer)

    client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": f"Is it{ZWSP} still {RLO}there?"})

    assert Message.objects.get().body == "Is it still there?"


def test_a_title_of_nothing_but_invisible_characters_is_refused(client, seller, listing):
    client.force_login(seller)

    response = _patch(client, listing, title=ZWSP * 3)

    assert response.status_code == 422
    assert Listing.objects.get(pk=listing.pk).title == "Desk lamp"

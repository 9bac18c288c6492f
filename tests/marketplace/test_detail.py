"""A listing's page: photos, facts, seller name (never e-mail), contact form, hidden and sold listings."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace.models import Listing
from tests.factories import ListingFactory, category, listing_photo

pytestmark = pytest.mark.django_db


def _url(listing) -> str:
    return reverse("marketplace:listing_detail", args=[listing.pk])


def _page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def listing(seller):
    listing = ListingFactory(
        seller=seller,
        title="Espresso machine",
        description="Makes two cups.\nDescaled last month.",
        price=Decimal("89.50"),
        category=category("home-garden"),
        condition="like_new",
    )
    listing_photo(listing, position=0, color=(10, 10, 10))
    listing_photo(listing, position=1, color=(200, 200, 200), is_main=True)
    listing_photo(listing, position=2, color=(90, 90, 90))
    return listing


def test_it_shows_every_photo_with_the_main_one_first(client, listing):
    response = client.get(_url(listing))

    assert response.status_code == 200
    shown = re.findall(r'<img src="([^"]+)" width=', response.content.decode())
    main, *others = listing.photos.all()
    assert main.is_main
    assert shown == [main.image.url] + [photo.image.url for photo in others]
    assert "Espresso machine, photo 1 of 3" in _page(response)


def test_it_shows_the_facts_and_the_sellers_display_name_but_never_the_email(client, listing, seller):
    page = _page(client.get(_url(listing)))

    assert "Espresso machine" in page
    assert "Makes two cups.<br>Descaled last month." in page
    assert "€89.50" in page
    assert "Home & Garden" in page
    assert "Like new" in page
    assert "Sam Seller" in page
    assert listing.created_at.strftime("%Y") in page
    assert seller.email not in page
    assert "seller@" not in page


def test_it_escapes_what_sellers_type(client, seller):
    listing = ListingFactory(seller=seller, title="<script>alert(1)</script>", description="<b>bold</b>")

    page = client.get(_url(listing)).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


def test_a_logged_in_buyer_gets_a_contact_form(client, listing, buyer):
    client.force_login(buyer)

    page = _page(client.get(_url(listing)))

    assert reverse("marketplace:listing_contact", args=[listing.pk]) in page
    assert "Contact Sam Seller" in page
    assert "Report this listing" in page


def test_a_visitor_is_asked_to_log_in_to_contact_the_seller(client, listing):
    page = _page(client.get(_url(listing)))

    assert reverse("marketplace:listing_contact", args=[listing.pk]) not in page
    assert "Log in to contact Sam Seller" in page


def test_the_seller_gets_edit_links_instead_of_a_contact_form(client, listing, seller):
    client.force_login(seller)

    page = _page(client.get(_url(listing)))

    assert reverse("marketplace:listing_contact", args=[listing.pk]) not in page
    assert reverse("marketplace:listing_edit", args=[listing.pk]) in page
    assert "Report this listing" not in page


def test_a_sold_listing_says_sold_and_takes_no_new_conversations(client, listing, buyer):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.SOLD)
    client.force_login(buyer)

    response = client.get(_url(listing))

    assert response.status_code == 200
    page = _page(response)
    assert "Sold" in page
    assert "This item has been sold." in page
    assert reverse("marketplace:listing_contact", args=[listing.pk]) not in page


def test_a_hidden_listing_is_not_found_for_everyone_but_its_seller_and_staff(client, listing, seller, buyer, staff):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.HIDDEN)

    assert client.get(_url(listing)).status_code == 404
    client.force_login(buyer)
    assert client.get(_url(listing)).status_code == 404
    client.force_login(seller)
    response = client.get(_url(listing))
    assert response.status_code == 200
    assert "hidden by our staff" in _page(response)
    client.force_login(staff)
    assert client.get(_url(listing)).status_code == 200


@pytest.mark.parametrize("listing_id", ["999999", "99999999999999999999999"])
def test_an_unknown_listing_is_a_friendly_404(client, db, listing_id):
    response = client.get(f"/listings/{listing_id}/")

    assert response.status_code == 404
    assert "We couldn't find that page" in _page(response)

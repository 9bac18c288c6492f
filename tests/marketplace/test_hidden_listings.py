"""A listing staff hid is frozen for its seller (no edits, photos or "sold" through the site or the API), the seller
gets a sentence rather than a 500, and deleting it keeps the reports for staff."""

import html
import json

import pytest
from django.urls import reverse

from marketplace.models import Listing, Report
from marketplace.services.listings import listing_hide
from marketplace.services.reports import report_create
from tests.factories import UserFactory, listing_photo, listing_with_photo, photo_upload

pytestmark = pytest.mark.django_db

FROZEN = "This listing was taken down by our staff and cannot be changed. You can still delete it."


@pytest.fixture
def hidden(seller):
    listing = listing_with_photo(seller=seller, title="Suspicious phone")
    report_create(listing=listing, reporter=UserFactory(username="watchful"), reason="scam", comment="Gift cards")
    return listing_hide(listing=listing)


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _unchanged(listing: Listing) -> None:
    listing.refresh_from_db()
    assert (listing.title, listing.status, listing.photos.count()) == ("Suspicious phone", "hidden", 1)


def test_marking_a_hidden_listing_sold_on_the_site_is_refused_with_a_sentence(client, seller, hidden):
    client.force_login(seller)

    response = client.post(reverse("marketplace:listing_mark_sold", args=[hidden.pk]), follow=True)

    assert response.status_code == 200  # it was a 500 (NotAllowed not caught)
    assert FROZEN in _page(response)
    _unchanged(hidden)


def test_the_api_refuses_to_change_a_hidden_listing(client, seller, hidden):
    client.force_login(seller)

    response = client.patch(
        f"/api/listings/{hidden.pk}", json.dumps({"title": "Totally fine phone"}), content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": FROZEN}
    _unchanged(hidden)


def test_the_edit_page_of_a_hidden_listing_sends_the_seller_back_with_the_reason(client, seller, hidden):
    client.force_login(seller)
    edit = reverse("marketplace:listing_edit", args=[hidden.pk])
    fields = {"title": "Totally fine phone", "category": "electronics", "price": "10", "condition": "good"}

    for response in (client.get(edit, follow=True), client.post(edit, fields, follow=True)):
        assert response.redirect_chain[-1][0] == hidden.get_absolute_url()
        assert FROZEN in _page(response)
    _unchanged(hidden)


def test_the_photos_of_a_hidden_listing_cannot_be_changed(client, seller, hidden):
    client.force_login(seller)
    photo = hidden.photos.get()
    other = listing_photo(hidden, position=1)  # staff see both; the seller can neither remove nor promote one
    add = reverse("marketplace:listing_photos_add", args=[hidden.pk])
    remove = reverse("marketplace:listing_photo_remove", args=[hidden.pk, photo.pk])
    main = reverse("marketplace:listing_photo_main", args=[hidden.pk, other.pk])

    for address, data in ((add, {"photos": [photo_upload()]}), (remove, {}), (main, {})):
        response = client.post(address, data, follow=True)
        assert response.status_code == 200, address
        assert FROZEN in _page(response), address

    assert list(hidden.photos.order_by("position").values_list("pk", "is_main")) == [
        (photo.pk, True),
        (other.pk, False),
    ]


def test_deleting_a_hidden_listing_keeps_its_reports(client, seller, hidden):
    client.force_login(seller)

    response = client.post(reverse("marketplace:listing_delete", args=[hidden.pk]))

    assert response.status_code == 302
    assert not Listing.objects.filter(pk=hidden.pk).exists()
    report = Report.objects.get()
    assert (report.listing, report.seller, report.listing_title, report.comment) == (
        None,
        seller,
        "Suspicious phone",
        "Gift cards",
    )


def test_deleting_through_the_api_keeps_the_reports_too(client, seller, hidden):
    client.force_login(seller)

    assert client.delete(f"/api/listings/{hidden.pk}").status_code == 204

    assert Report.objects.filter(seller=seller, listing_title="Suspicious phone").count() == 1


def test_staff_see_a_deleted_listing_s_report_in_the_admin(client, seller, hidden, staff):
    hidden.delete()
    client.force_login(staff)

    page = _page(client.get(reverse("admin:marketplace_report_changelist")))

    assert "Suspicious phone" in page and "Deleted by the seller" in page and "Sam Seller" in page


def test_the_seller_is_not_offered_an_edit_of_a_hidden_listing(client, seller, hidden):
    client.force_login(seller)
    edit = reverse("marketplace:listing_edit", args=[hidden.pk])

    for page in (client.get(hidden.get_absolute_url()), client.get(reverse("marketplace:my_listings"))):
        assert page.status_code == 200
        assert f'href="{edit}"' not in page.content.decode()
    assert "It cannot be changed; its seller can still delete it." in _page(client.get(hidden.get_absolute_url()))

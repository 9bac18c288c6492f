"""Item states: available -> reserved -> sold and back, by the owner; sold is confirmed and can name the buyer."""

import html

import pytest
from django.urls import reverse

from marketplace.auth import token_issue
from marketplace.models import Listing
from marketplace.services.listings import listing_hide
from marketplace.services.messaging import conversation_contact
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Oak table")


def _state(client, listing, state, **extra):
    return client.post(reverse("marketplace:listing_state", args=[listing.pk]), {"state": state, **extra})


def test_a_reserved_listing_stays_in_the_results_with_reserved_on_its_card(client, seller, listing):
    client.force_login(seller)

    response = _state(client, listing, "reserved")
    client.logout()
    browse = _page(client.get(reverse("marketplace:browse")))

    listing.refresh_from_db()
    assert response.status_code == 302
    assert listing.state == "reserved" and listing.reserved_at is not None
    assert "Oak table" in browse and "Reserved" in browse
    assert client.get(f"/api/listings/{listing.pk}").json()["state"] == "reserved"


def test_a_reserved_or_sold_listing_can_be_made_available_again(client, seller, listing, buyer):
    conversation_contact(listing=listing, buyer=buyer, body="Still there?")
    client.force_login(seller)
    _state(client, listing, "reserved")
    _state(client, listing, "available")
    listing.refresh_from_db()
    assert (listing.state, listing.reserved_at) == ("available", None)

    _state(client, listing, "sold", buyer=buyer.pk)
    _state(client, listing, "available")

    listing.refresh_from_db()
    assert (listing.state, listing.sold_at, listing.sold_to) == ("available", None, None)
    assert "Oak table" in _page(client.get(reverse("marketplace:browse")))


def test_sold_asks_for_a_confirmation_that_offers_the_people_who_wrote(client, seller, listing, buyer):
    conversation_contact(listing=listing, buyer=buyer, body="I'd take it for 40.")
    UserFactory(username="stranger", display_name="Stranger Danger")
    client.force_login(seller)

    confirmation = _page(client.get(reverse("marketplace:listing_state", args=[listing.pk])))
    listing.refresh_from_db()

    assert "Mark “Oak table” as sold?" in confirmation
    assert "Bea Buyer" in confirmation and "Stranger Danger" not in confirmation
    assert listing.state == "available"  # looking at the question changes nothing


def test_the_sale_names_the_buyer_from_the_conversations(client, seller, listing, buyer):
    conversation_contact(listing=listing, buyer=buyer, body="I'd take it for 40.")
    client.force_login(seller)

    response = _state(client, listing, "sold", buyer=buyer.pk)

    listing.refresh_from_db()
    assert response.status_code == 302
    assert (listing.state, listing.sold_to) == ("sold", buyer)


def test_the_sale_refuses_a_buyer_who_never_wrote_and_changes_nothing(client, seller, listing):
    stranger = UserFactory(username="stranger")
    client.force_login(seller)

    response = _state(client, listing, "sold", buyer=stranger.pk)

    listing.refresh_from_db()
    assert response.status_code == 400
    assert "The buyer must be someone who wrote to you about this listing." in _page(response)
    assert listing.state == "available"


def test_only_the_owner_changes_the_state_and_a_hidden_listing_stays_frozen(client, seller, listing, buyer):
    client.force_login(buyer)
    assert _state(client, listing, "reserved").status_code == 404

    listing_hide(listing=listing)
    client.force_login(seller)
    response = client.post(reverse("marketplace:listing_state", args=[listing.pk]), {"state": "available"}, follow=True)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.HIDDEN
    assert "taken down by our staff" in _page(response)


def test_a_sold_listing_takes_no_new_first_message_but_its_conversations_go_on(client, seller, listing, buyer):
    conversation_contact(listing=listing, buyer=buyer, body="Is it still available?")
    client.force_login(seller)
    _state(client, listing, "sold", buyer=buyer.pk)
    newcomer = UserFactory(username="newcomer")

    client.force_login(newcomer)
    refused = client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": "Can I have it?"})
    client.force_login(buyer)
    continued = client.post(reverse("marketplace:listing_contact", args=[listing.pk]), {"body": "Collecting at 6."})

    assert refused.status_code == 400 and "no longer available" in _page(refused)
    assert continued.status_code == 302


def test_the_api_moves_a_listing_and_names_the_buyer(client, seller, listing, buyer):
    conversation_contact(listing=listing, buyer=buyer, body="Mine?")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=seller)}"}
    url = f"/api/listings/{listing.pk}"

    reserved = client.patch(url, {"status": "reserved"}, content_type="application/json", **auth)
    buyers = client.get(f"{url}/buyers", **auth)
    sold = client.patch(
        url, {"status": "sold", "buyer_id": buyers.json()[0]["id"]}, content_type="application/json", **auth
    )
    stranger = client.patch(url, {"buyer_id": seller.pk}, content_type="application/json", **auth)

    assert reserved.json()["state"] == "reserved"
    assert buyers.json() == [{"id": buyer.pk, "name": "Bea Buyer"}]
    assert sold.json()["state"] == "sold" and sold.json()["status"] == "sold"
    assert stranger.status_code == 400
    listing.refresh_from_db()
    assert listing.sold_to == buyer

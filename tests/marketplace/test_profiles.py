"""Seller profiles: listings, member since, sold count, reply time, and ratings by the sale's named buyer."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace.auth import token_issue
from marketplace.models import Listing, Message, Rating
from marketplace.services.item_states import listing_state_set
from marketplace.services.messaging import conversation_contact, conversation_reply
from marketplace.services.profiles import rating_create, seller_profile
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _sold_to(buyer, seller, title="Lamp") -> Listing:
    listing = ListingFactory(seller=seller, title=title)
    conversation_contact(listing=listing, buyer=buyer, body="I'll take it")
    return listing_state_set(listing=listing, actor=seller, state="sold", buyer_id=buyer.pk)


def _profile(client, user) -> str:
    return _page(client.get(reverse("marketplace:profile", args=[user.username])))


def test_the_profile_shows_active_listings_member_since_and_sold_count(client, seller, buyer):
    ListingFactory(seller=seller, title="Oak table")
    ListingFactory(seller=seller, title="Hidden thing", status=Listing.Status.HIDDEN)
    _sold_to(buyer, seller, title="Old radio")

    page = _profile(client, seller)

    assert "Sam Seller" in page and "Oak table" in page
    assert "Hidden thing" not in page and "Old radio" not in page
    assert seller.date_joined.strftime("%B %Y") in page
    assert "<dt>Listings sold</dt><dd>1</dd>" in page
    assert "New seller" in page
    assert seller.email not in page


def test_the_typical_reply_time_is_the_median_first_answer(seller):
    for minutes in (10, 30, 600):
        buyer = UserFactory()
        first = conversation_contact(listing=ListingFactory(seller=seller), buyer=buyer, body="Hi")
        answer = conversation_reply(conversation=first.conversation, sender=seller, body="Hello")
        Message.objects.filter(pk=answer.pk).update(created_at=first.created_at + timedelta(minutes=minutes))

    assert seller_profile(seller=seller).reply_time == "within an hour"


def test_the_named_buyer_rates_once_and_the_seller_answers_once(client, seller, buyer):
    listing = _sold_to(buyer, seller)
    client.force_login(buyer)
    assert f"/listings/{listing.pk}/rate/" in _page(client.get(listing.get_absolute_url()))

    rated = client.post(reverse("marketplace:listing_rate", args=[listing.pk]), {"stars": "4", "comment": "Smooth"})
    again = client.post(reverse("marketplace:listing_rate", args=[listing.pk]), {"stars": "1", "comment": "Changed"})
    client.force_login(seller)
    rating = Rating.objects.get()
    client.post(reverse("marketplace:rating_answer", args=[rating.pk]), {"answer": "Thanks!"})
    second = client.post(reverse("marketplace:rating_answer", args=[rating.pk]), {"answer": "Edited"}, follow=True)

    rating.refresh_from_db()
    assert rated.status_code == 302 and again.status_code == 400
    assert "You have already rated this sale." in _page(again)
    assert (rating.stars, rating.comment, rating.answer) == (4, "Smooth", "Thanks!")
    assert "You have already answered this rating." in _page(second)
    page = _profile(client, seller)
    assert "Smooth" in page and "Sam Seller answered:" in page and "Thanks!" in page


@pytest.mark.parametrize("who", ["stranger", "correspondent not named"])
def test_only_the_buyer_named_in_the_sale_may_rate(client, seller, buyer, who):
    listing = _sold_to(buyer, seller)
    other = UserFactory(username="other")
    if who == "correspondent not named":
        conversation_contact(listing=ListingFactory(seller=seller), buyer=other, body="Hi")
    client.force_login(other)

    response = client.post(reverse("marketplace:listing_rate", args=[listing.pk]), {"stars": "5"})

    assert response.status_code == 403
    assert "Only the buyer the seller named" in _page(response)
    assert not Rating.objects.exists()


def test_three_ratings_show_the_average_instead_of_new_seller(client, seller):
    for stars in (5, 4, 4):
        buyer = UserFactory()
        rating_create(buyer=buyer, listing=_sold_to(buyer, seller), stars=stars, comment="")

    page = _profile(client, seller)

    assert "New seller" not in page
    assert "★ 4.3</span> from 3 ratings" in page


def test_the_listing_page_links_the_seller_to_their_profile(client, seller):
    listing = ListingFactory(seller=seller)

    assert f'href="/u/{seller.username}/"' in _page(client.get(listing.get_absolute_url()))


def test_the_api_shows_the_profile_and_takes_ratings_and_answers(client, seller, buyer):
    listing = _sold_to(buyer, seller)
    buyer_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}
    seller_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=seller)}"}

    rated = client.post(
        f"/api/listings/{listing.pk}/rating",
        {"stars": 5, "comment": "Great"},
        content_type="application/json",
        **buyer_auth,
    )
    answered = client.post(
        f"/api/ratings/{rated.json()['id']}/answer",
        {"answer": "Thanks"},
        content_type="application/json",
        **seller_auth,
    )
    profile = client.get(f"/api/users/{seller.username}").json()
    ratings = client.get(f"/api/users/{seller.username}/ratings").json()
    twice = client.post(
        f"/api/listings/{listing.pk}/rating", {"stars": 1}, content_type="application/json", **buyer_auth
    )

    assert rated.status_code == 201 and answered.json()["answer"] == "Thanks"
    assert profile["sold_listings"] == 1 and profile["rating_count"] == 1 and profile["new_seller"] is True
    assert [(r["stars"], r["comment"], r["buyer"]) for r in ratings] == [(5, "Great", "Bea Buyer")]
    assert twice.status_code == 400
    assert client.get("/api/users/nobody").status_code == 404

"""Saved searches: kept with their filters, new matches counted, one digest per search and day, never twice."""

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.auth import token_issue
from marketplace.models import Listing, SavedSearch, SavedSearchDigest
from marketplace.places import place_find
from marketplace.services.saved_searches import saved_search_create, saved_search_digests_send
from marketplace.tasks import saved_search_digests_task
from tests.factories import ListingFactory, category

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _in(town: str, **fields) -> Listing:
    place = place_find(town)
    return ListingFactory(place_name=place.label, latitude=place.latitude, longitude=place.longitude, **fields)


@pytest.fixture
def search(buyer):
    return saved_search_create(user=buyer, params={"q": "bike", "near": "Bologna", "within": "25"})


def test_the_browse_page_saves_the_search_with_its_filters(client, buyer):
    client.force_login(buyer)
    results = _page(client.get(reverse("marketplace:browse"), {"q": "bike", "near": "Bologna", "within": "25"}))
    assert "Save this search" in results

    response = client.post(
        reverse("marketplace:saved_searches"), {"q": "bike", "near": "Bologna", "within": "25", "sort": "newest"}
    )
    again = client.post(reverse("marketplace:saved_searches"), {"q": "bike", "near": "Bologna", "within": "25"})

    search = SavedSearch.objects.get()  # the same search twice is kept once
    assert response.status_code == 302 and again.status_code == 302
    assert search.params == {"q": "bike", "near": "Bologna", "within": "25"}
    assert search.name == "“bike” within 25 km of Bologna"


def test_the_page_counts_new_matches_until_the_search_is_opened(client, buyer, search):
    _in("Imola", title="Old bike")  # outside 25 km of Bologna
    _in("Casalecchio di Reno", title="Red bike")
    _in("Casalecchio di Reno", title="Red lamp")
    client.force_login(buyer)

    before = _page(client.get(reverse("marketplace:saved_searches")))
    opened = client.get(reverse("marketplace:saved_search_open", args=[search.pk]))
    after = _page(client.get(reverse("marketplace:saved_searches")))

    assert "1 new" in before
    assert opened.status_code == 302 and opened["Location"] == "/?q=bike&near=Bologna&within=25"
    assert "No new matches" in after


def test_the_digest_is_sent_once_a_day_with_the_new_matches_and_an_unsubscribe_link(buyer, search):
    _in("Bologna", title="Blue bike")
    _in("Casalecchio di Reno", title="Red bike")
    _in("Bologna", title="Bike", category=category("sports"), status=Listing.Status.SOLD)

    saved_search_digests_task()
    saved_search_digests_task()  # the same day again: nothing more

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [buyer.email]
    assert email.subject == "[Trova] 2 new for your search “bike” within 25 km of Bologna"
    assert "Blue bike" in email.body and "Red bike" in email.body and "Casalecchio di Reno" in email.body
    assert "/searches/unsubscribe/" in email.body and email.extra_headers["List-Unsubscribe"].startswith("<http")
    assert SavedSearchDigest.objects.get().listing_count == 2


def test_the_next_days_digest_has_only_listings_posted_since_the_last_one(buyer, search):
    _in("Bologna", title="First bike")
    saved_search_digests_send()
    tomorrow = timezone.now() + timedelta(days=1)

    assert saved_search_digests_send(now=tomorrow) == 0  # nothing new: no e-mail
    second = _in("Bologna", title="Second bike")
    Listing.objects.filter(pk=second.pk).update(created_at=tomorrow - timedelta(minutes=1))
    assert saved_search_digests_send(now=tomorrow) == 1
    assert saved_search_digests_send(now=tomorrow) == 0

    assert [len(mail.outbox), "Second bike" in mail.outbox[1].body, "First bike" in mail.outbox[1].body] == [
        2,
        True,
        False,
    ]


def test_a_digest_already_claimed_for_today_is_not_sent_again(buyer, search):
    # As when another worker's run of the task got there first.
    _in("Bologna", title="Blue bike")
    SavedSearchDigest.objects.create(search=search, day=timezone.localdate(), listing_count=1)

    assert saved_search_digests_send() == 0
    assert mail.outbox == []


def test_the_unsubscribe_link_works_logged_out_and_a_tampered_one_does_not(buyer, search):
    _in("Bologna", title="Blue bike")
    saved_search_digests_send()
    link = re.search(r"http://localhost:8000(/searches/unsubscribe/\S+/)", mail.outbox[0].body).group(1)
    anonymous = Client(enforce_csrf_checks=True)

    question = anonymous.get(link)
    search.refresh_from_db()
    assert question.status_code == 200 and search.digest_enabled  # a mail client's preview changes nothing
    done = anonymous.post(link)
    tampered = anonymous.post(link.replace("/searches/unsubscribe/", "/searches/unsubscribe/x"))

    search.refresh_from_db()
    assert done.status_code == 200 and "Unsubscribed" in _page(done)
    assert not search.digest_enabled
    assert tampered.status_code == 404
    _in("Bologna", title="Green bike")
    assert saved_search_digests_send(now=timezone.now() + timedelta(days=1)) == 0


def test_the_api_keeps_lists_and_deletes_searches(client, buyer):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=buyer)}"}

    created = client.post(
        "/api/saved-searches",
        {"q": "bike", "near": "Bologna", "within_km": 25},
        content_type="application/json",
        **auth,
    )
    _in("Bologna", title="Blue bike")
    listed = client.get("/api/saved-searches", **auth).json()
    new = client.get(f"/api/saved-searches/{created.json()['id']}/new", **auth).json()
    after = client.get("/api/saved-searches", **auth).json()
    unknown_town = client.post("/api/saved-searches", {"near": "Atlantis"}, content_type="application/json", **auth)
    deleted = client.delete(f"/api/saved-searches/{created.json()['id']}", **auth)

    assert created.status_code == 201 and created.json()["params"] == {"q": "bike", "near": "Bologna", "within": "25"}
    assert listed[0]["new_matches"] == 1 and [item["title"] for item in new] == ["Blue bike"]
    assert after[0]["new_matches"] == 0
    assert unknown_town.status_code == 400
    assert deleted.status_code == 204 and not SavedSearch.objects.exists()

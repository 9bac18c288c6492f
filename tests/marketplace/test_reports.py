"""Reporting a listing, and staff hiding it from the admin."""

import html

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from marketplace.models import Listing, Report
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _report_url(listing) -> str:
    return reverse("marketplace:listing_report", args=[listing.pk])


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Too good to be true phone")


def test_a_shopper_reports_a_listing_with_a_reason_and_a_comment(client, listing, buyer):
    client.force_login(buyer)
    page = _page(client.get(_report_url(listing)))
    for label in ("Scam or fraud", "Prohibited item", "Wrong category", "Duplicate", "Other"):
        assert label in page

    response = client.post(_report_url(listing), {"reason": "scam", "comment": "Asks for payment by gift card."})

    assert response.status_code == 302
    assert response["Location"] == listing.get_absolute_url()
    report = Report.objects.get()
    assert (report.listing, report.reporter, report.reason, report.comment, report.resolved) == (
        listing,
        buyer,
        "scam",
        "Asks for payment by gift card.",
        False,
    )
    assert "You reported this listing." in _page(client.get(listing.get_absolute_url()))


def test_one_report_per_person_and_listing_is_enough(client, listing, buyer):
    client.force_login(buyer)
    client.post(_report_url(listing), {"reason": "scam"})

    again = client.post(_report_url(listing), {"reason": "duplicate"}, follow=True)

    assert Report.objects.count() == 1
    assert "You have already reported this listing." in _page(again)


def test_reporting_needs_a_login(client, listing):
    response = client.post(_report_url(listing), {"reason": "scam"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("marketplace:login"))
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({}, "Please pick a reason."),
        ({"reason": "ugly"}, "Please pick a reason from the list."),
        ({"reason": "other", "comment": "c" * 1500}, "The comment can be at most 1000 characters long"),
    ],
)
def test_a_bad_report_says_why_and_keeps_the_comment(client, listing, buyer, data, sentence):
    client.force_login(buyer)

    response = client.post(_report_url(listing), data)

    assert response.status_code == 400
    assert sentence in _page(response)
    if data.get("comment"):
        assert data["comment"] in _page(response)
    assert not Report.objects.exists()


def test_a_seller_cannot_report_their_own_listing(client, listing, seller):
    client.force_login(seller)

    response = client.post(_report_url(listing), {"reason": "other"})

    assert response.status_code == 400
    assert "You cannot report your own listing." in _page(response)


def test_a_hidden_or_unknown_listing_cannot_be_reported(client, listing, buyer):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.HIDDEN)
    client.force_login(buyer)

    assert client.post(_report_url(listing), {"reason": "scam"}).status_code == 404
    assert client.get("/listings/424242/report/").status_code == 404


def _admin_action(client, action: str, reports) -> None:
    response = client.post(
        reverse("admin:marketplace_report_changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [report.pk for report in reports]},
    )
    assert response.status_code == 302


def test_staff_hide_a_reported_listing_from_the_admin(client, listing, buyer, staff):
    first = Report.objects.create(listing=listing, reporter=buyer, reason="scam")
    second = Report.objects.create(listing=listing, reporter=UserFactory(username="other"), reason="prohibited")
    unrelated = Report.objects.create(listing=ListingFactory(), reporter=buyer, reason="duplicate")
    client.force_login(staff)
    changelist = _page(client.get(reverse("admin:marketplace_report_changelist")))
    assert "Too good to be true phone" in changelist

    _admin_action(client, "hide_listing", [first])

    listing.refresh_from_db()
    assert listing.status == Listing.Status.HIDDEN
    first.refresh_from_db(), second.refresh_from_db(), unrelated.refresh_from_db()
    assert (first.resolved, second.resolved, unrelated.resolved) == (True, True, False)
    client.force_login(buyer)
    assert client.get(listing.get_absolute_url()).status_code == 404
    assert "Too good to be true phone" not in _page(client.get("/"))


def test_staff_mark_reports_resolved_without_hiding(client, listing, buyer, staff):
    report = Report.objects.create(listing=listing, reporter=buyer, reason="wrong_category")
    client.force_login(staff)

    _admin_action(client, "mark_resolved", [report])

    report.refresh_from_db()
    listing.refresh_from_db()
    assert report.resolved
    assert listing.status == Listing.Status.ACTIVE

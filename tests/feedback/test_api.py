from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import Correction, Vote
from feedback.services import vote_record
from marketplace.auth import token_issue
from tests.factories import UserFactory, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {token_issue(user=user)}"}


def post_feedback(client, analysis, body, user=None):
    headers = bearer(user) if user else {}
    return client.post(f"/api/analyses/{analysis.pk}/feedback", body, content_type="application/json", headers=headers)


def test_the_owner_votes_through_the_api(client, seller):
    analysis = suggested_analysis(user=seller)

    response = post_feedback(
        client, analysis, {"vote": "down", "reasons": ["price_off"], "comment": " Too low "}, user=seller
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["analysis_id"], body["vote"], body["reasons"], body["comment"]) == (
        str(analysis.pk),
        "down",
        ["price_off"],
        "Too low",
    )
    assert Vote.objects.get().user == seller


def test_a_second_api_vote_replaces_the_first(client, seller):
    analysis = suggested_analysis(user=seller)
    post_feedback(client, analysis, {"vote": "down"}, user=seller)

    post_feedback(client, analysis, {"vote": "up"}, user=seller)

    assert list(Vote.objects.filter(replaced_at__isnull=True).values_list("value", flat=True)) == ["up"]
    assert Vote.objects.count() == 2


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_anyone_but_the_owner_gets_404(client, seller, who):
    analysis = suggested_analysis(user=seller)
    other = UserFactory(username=who, is_staff=who == "staff")

    response = post_feedback(client, analysis, {"vote": "up"}, user=other)

    assert response.status_code == 404 and response.json()["detail"]
    assert not Vote.objects.exists()


def test_an_unknown_or_malformed_id_is_404(client, seller):
    headers = bearer(seller)
    for analysis_id in ("nope", "3f2b8a9e-0000-4000-8000-000000000000"):
        response = client.post(
            f"/api/analyses/{analysis_id}/feedback", {"vote": "up"}, content_type="application/json", headers=headers
        )
        assert response.status_code == 404


def test_voting_needs_credentials(client, seller):
    analysis = suggested_analysis(user=seller)

    assert post_feedback(client, analysis, {"vote": "up"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"vote": "sideways"}, 422, "vote"),
        ({"vote": "down", "reasons": ["too_blue"]}, 422, "reasons"),
        ({"vote": "down", "comment": "x" * 501}, 422, "comment"),
        ({"vote": "up", "reasons": ["price_off"]}, 400, "thumbs down only"),
        ({}, 422, "vote"),
        ({"vote": "up", "stars": 5}, 422, "stars"),
    ],
)
def test_bad_values_get_a_4xx_with_a_sentence(client, seller, body, status, words):
    analysis = suggested_analysis(user=seller)

    response = post_feedback(client, analysis, body, user=seller)

    assert response.status_code == status
    assert words in response.json()["detail"]
    assert not Vote.objects.exists()


def test_a_body_that_is_not_json_is_a_400(client, seller):
    analysis = suggested_analysis(user=seller)

    response = client.post(
        f"/api/analyses/{analysis.pk}/feedback", "{vote:", content_type="application/json", headers=bearer(seller)
    )

    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_the_feed_is_for_staff_only(client, seller, staff):
    assert client.get("/api/feedback").status_code == 401
    response = client.get("/api/feedback", headers=bearer(seller))
    assert response.status_code == 403 and response.json()["detail"]
    assert client.get("/api/feedback", headers=bearer(staff)).status_code == 200


def test_the_feed_lists_votes_and_corrections(client, seller, staff):
    analysis, _ = post_from_suggestion(seller, title="Sony wired headphones")
    vote_record(analysis=analysis, user=seller, value="up")
    vote_record(analysis=analysis, user=seller, value="down", reasons=["wrong_item"])

    body = client.get("/api/feedback", headers=bearer(staff)).json()

    assert body["count"] == 6  # the current vote and five corrections
    votes = [item for item in body["items"] if item["kind"] == "vote"]
    assert votes == [
        {
            "analysis_id": str(analysis.pk),
            "kind": "vote",
            "field": None,
            "suggested": None,
            "final": None,
            "vote": "down",
            "created_at": votes[0]["created_at"],
        }
    ]
    title = next(item for item in body["items"] if item["field"] == "title")
    assert (title["kind"], title["suggested"], title["final"], title["vote"]) == (
        "correction",
        "Wired headphones",
        "Sony wired headphones",
        None,
    )
    assert body["items"][0]["kind"] == "vote"  # newest first


def test_the_feed_filters_by_kind_and_date(client, seller, staff):
    analysis, _ = post_from_suggestion(seller)
    vote_record(analysis=analysis, user=seller, value="up")
    older, _ = post_from_suggestion(seller)
    ten_days_ago = timezone.now() - timedelta(days=10)
    Correction.objects.filter(analysis=older).update(created_at=ten_days_ago)
    headers = bearer(staff)

    def count(**params) -> int:
        return client.get("/api/feedback", params, headers=headers).json()["count"]

    today = timezone.localdate()
    assert count(kind="vote") == 1
    assert count(kind="correction") == 10
    assert count(since=today.isoformat()) == 6
    assert count(until=(today - timedelta(days=5)).isoformat()) == 5
    assert count(kind="correction", since=(today - timedelta(days=11)).isoformat(), until=today.isoformat()) == 10


def test_the_feed_is_paginated(client, seller, staff):
    post_from_suggestion(seller)
    post_from_suggestion(seller)
    headers = bearer(staff)

    first = client.get("/api/feedback", {"page_size": 4}, headers=headers).json()
    third = client.get("/api/feedback", {"page_size": 4, "page": 3}, headers=headers).json()

    assert (first["count"], len(first["items"]), len(third["items"])) == (10, 4, 2)


@pytest.mark.parametrize(
    "params",
    [{"kind": "rumour"}, {"since": "yesterday"}, {"since": "2026-05-02", "until": "2026-05-01"}, {"page": 0}],
)
def test_bad_feed_filters_are_422(client, staff, params):
    response = client.get("/api/feedback", params, headers=bearer(staff))

    assert response.status_code == 422 and response.json()["detail"].startswith("Please check")

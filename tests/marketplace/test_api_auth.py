"""Who may write through the API: a bearer token from issue_token, or the session cookie with CSRF."""

import secrets
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from marketplace.models import ApiToken, Listing
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


def _fields(**overrides) -> dict:
    return {"title": "Desk lamp", "category": "furniture", "price": "15", "condition": "good", **overrides}


def _issue_token(username: str) -> str:
    out = StringIO()
    call_command("issue_token", username, stdout=out)
    return out.getvalue().strip()


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    csrf_secret = secrets.token_hex(16)
    client.cookies["csrftoken"] = csrf_secret
    return client, csrf_secret


def test_issue_token_prints_a_token_that_posts_a_listing(client, seller):
    token = _issue_token("seller")

    response = client.post(
        "/api/listings", {**_fields(), "images": [photo_upload()]}, headers={"Authorization": f"Bearer {token}"}
    )

    assert len(token) >= 40
    assert response.status_code == 201
    assert Listing.objects.get().seller == seller
    # Only a hash is stored: the database alone cannot give the token back.
    assert token not in ApiToken.objects.values_list("key_hash", flat=True)


def test_issue_token_fails_clearly_for_an_unknown_user(db):
    with pytest.raises(CommandError, match="There is no user called 'nobody'"):
        call_command("issue_token", "nobody", stdout=StringIO())


def test_it_answers_401_with_how_to_log_in_when_there_are_no_credentials(client):
    response = client.post("/api/listings", {**_fields(), "images": [photo_upload()]})

    assert response.status_code == 401
    assert response.json()["detail"].startswith("Please log in first")
    assert "issue_token" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Listing.objects.exists()


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_it_answers_401_to_anonymous_changes(client, method):
    response = getattr(client, method)("/api/listings/1", {}, content_type="application/json")

    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer ", "Token abc", "Basic dXNlcjpwdw=="])
def test_it_refuses_a_wrong_or_malformed_authorization_header(client, seller, header):
    response = client.post(
        "/api/listings", {**_fields(), "images": [photo_upload()]}, headers={"Authorization": header}
    )

    assert response.status_code == 401
    assert not Listing.objects.exists()


def test_a_token_of_a_deactivated_user_no_longer_works(client, seller):
    token = _issue_token("seller")
    seller.is_active = False
    seller.save()

    response = client.post(
        "/api/listings", {**_fields(), "images": [photo_upload()]}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401


def test_the_session_cookie_with_the_csrf_header_posts_a_listing(seller):
    client, csrf_secret = _csrf_client(seller)

    response = client.post(
        "/api/listings", {**_fields(), "images": [photo_upload()]}, headers={"X-CSRFToken": csrf_secret}
    )

    assert response.status_code == 201


def test_the_session_cookie_without_the_csrf_token_is_refused_with_403(seller):
    client, _ = _csrf_client(seller)

    response = client.post("/api/listings", {**_fields(), "images": [photo_upload()]})

    assert response.status_code == 403
    assert response.json()["detail"].startswith("The CSRF check failed.")
    assert not Listing.objects.exists()


def test_the_session_cookie_with_a_wrong_csrf_token_is_refused_with_403(seller):
    client, _ = _csrf_client(seller)

    response = client.patch(
        "/api/listings/1", {"title": "x"}, content_type="application/json", headers={"X-CSRFToken": "0" * 32}
    )

    assert response.status_code == 403
    assert "X-CSRFToken" in response.json()["detail"]


def test_a_bearer_token_needs_no_csrf_token_even_with_a_session_cookie(seller):
    client, _ = _csrf_client(seller)
    token = _issue_token("seller")

    response = client.post(
        "/api/listings", {**_fields(), "images": [photo_upload()]}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 201


def test_reading_needs_no_csrf_token(seller):
    client, _ = _csrf_client(seller)

    assert client.get("/api/listings").status_code == 200

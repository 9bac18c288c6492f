"""The settings page: display name, notification choices, password change and API tokens."""

import html
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from marketplace.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("marketplace:account")


@pytest.fixture
def user(client):
    user = UserFactory(username="anna", display_name="Anna", email="anna@example.com")
    client.force_login(user)
    return user


def _page(response) -> str:
    """The page's text, tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


def test_the_page_needs_a_login(client):
    assert client.get(ACCOUNT)["Location"].startswith(reverse("marketplace:login"))


def test_the_page_shows_the_account(client, user):
    page = _page(client.get(ACCOUNT))

    assert "anna@example.com (confirmed)" in page
    assert "E-mail me about new messages" in page


def test_the_display_name_changes(client, user):
    response = client.post(reverse("marketplace:account_profile"), {"display_name": "  Anna R.  "})

    assert response["Location"] == ACCOUNT
    user.refresh_from_db()
    assert user.public_name == "Anna R."


def test_an_empty_display_name_is_refused(client, user):
    response = client.post(reverse("marketplace:account_profile"), {"display_name": ""})

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.display_name == "Anna"


def test_the_new_message_mails_can_be_turned_off_and_on(client, user):
    client.post(reverse("marketplace:account_notifications"), {})
    user.refresh_from_db()
    assert user.email_notifications is False

    client.post(reverse("marketplace:account_notifications"), {"email_notifications": "on"})
    user.refresh_from_db()
    assert user.email_notifications is True


def test_the_password_changes_and_the_session_survives(client, user):
    response = client.post(
        reverse("marketplace:account_password"),
        {
            "old_password": "correct horse battery",
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )

    assert response["Location"] == ACCOUNT
    user.refresh_from_db()
    assert user.check_password("another long passphrase")
    assert client.get(ACCOUNT).status_code == 200
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_wrong_old_password_changes_nothing(client, user):
    response = client.post(
        reverse("marketplace:account_password"),
        {"old_password": "wrong", "new_password1": "another long pass", "new_password2": "another long pass"},
    )

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password("correct horse battery")


def test_a_token_is_shown_once_works_on_the_api_and_stops_when_revoked(client, user):
    response = client.post(reverse("marketplace:account_token_create"), {"name": "price export"})

    token = re.search(r'<code id="new-token">([^<]+)</code>', response.content.decode()).group(1)
    assert response["Cache-Control"] == "no-store"
    assert token not in client.get(ACCOUNT).content.decode()
    assert "price export" in client.get(ACCOUNT).content.decode()
    api = client.__class__()
    # /api/feedback is for staff: a known non-staff token gets 403, an unknown one 401.
    assert api.get("/api/feedback", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403

    stored = ApiToken.objects.get(user=user)
    assert client.post(reverse("marketplace:account_token_revoke", args=[stored.pk]))["Location"] == ACCOUNT

    assert not ApiToken.objects.exists()
    assert api.get("/api/feedback", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_nobody_revokes_another_persons_token(client, user):
    other = UserFactory()
    client.post(reverse("marketplace:account_token_create"), {"name": ""})
    client.force_login(other)

    client.post(reverse("marketplace:account_token_revoke", args=[ApiToken.objects.get().pk]))

    assert ApiToken.objects.filter(user=user).count() == 1


def test_notification_mail_goes_only_to_a_confirmed_address_of_a_current_member():
    assert UserFactory(email="a@example.com").notification_email == "a@example.com"
    assert UserFactory(email="b@example.com", email_confirmed_at=None).notification_email == ""
    assert UserFactory(email="c@example.com", is_active=False).notification_email == ""

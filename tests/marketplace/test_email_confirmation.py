"""Confirming the e-mail address: on sign-up and on a change of address, through the test outbox."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP_DATA = {
    "username": "anna",
    "display_name": "Anna R.",
    "email": "anna@example.com",
    "password": "a long and unusual passphrase",
    "password_again": "a long and unusual passphrase",
}


def _link(message) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def _signup(client, capture) -> None:
    # The sign-up mail goes after the account's commit.
    with capture(execute=True):
        client.post(reverse("marketplace:signup"), SIGNUP_DATA)


def test_signing_up_mails_a_link_that_confirms_the_address(client, django_capture_on_commit_callbacks):
    _signup(client, django_capture_on_commit_callbacks)
    user = User.objects.get(username="anna")

    assert not user.email_confirmed
    assert "Please confirm your e-mail address" in client.get("/").content.decode()
    # One mail: the welcome carries the link.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    assert mail.outbox[0].subject == "Welcome to Trova"

    response = client.get(_link(mail.outbox[0]))

    assert response["Location"] == reverse("marketplace:account")
    user.refresh_from_db()
    assert user.email_confirmed
    assert "Please confirm your e-mail address" not in client.get("/").content.decode()


def test_the_link_works_logged_out_and_twice(client, django_capture_on_commit_callbacks):
    _signup(client, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    client.logout()

    assert client.get(link)["Location"] == reverse("marketplace:login")
    assert client.get(link)["Location"] == reverse("marketplace:login")
    assert User.objects.get(username="anna").email_confirmed


def test_a_tampered_link_gets_a_sentence_not_a_500(client, django_capture_on_commit_callbacks):
    _signup(client, django_capture_on_commit_callbacks)

    response = client.get(_link(mail.outbox[0])[:-3] + "xyz/")

    assert response.status_code == 400
    assert "This confirmation link is not valid" in response.content.decode()
    assert not User.objects.get(username="anna").email_confirmed


def test_an_expired_link_says_how_to_get_a_new_one(client, settings, django_capture_on_commit_callbacks):
    _signup(client, django_capture_on_commit_callbacks)
    settings.EMAIL_CONFIRMATION_TIMEOUT = -1

    response = client.get(_link(mail.outbox[0]))

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not User.objects.get(username="anna").email_confirmed


def test_the_link_can_be_sent_again(client):
    user = UserFactory(email="anna@example.com", email_confirmed_at=None)
    client.force_login(user)

    client.post(reverse("marketplace:account_email_resend"))

    assert mail.outbox[0].to == ["anna@example.com"]
    client.get(_link(mail.outbox[0]))
    user.refresh_from_db()
    assert user.email_confirmed


def test_a_new_address_takes_effect_only_once_confirmed(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)

    response = client.post(
        reverse("marketplace:account_email"), {"email": "new@example.com", "password": "correct horse battery"}
    )

    assert response["Location"] == reverse("marketplace:account")
    assert mail.outbox[0].to == ["new@example.com"]
    assert "new e-mail address" in mail.outbox[0].subject
    user.refresh_from_db()
    assert user.email == "old@example.com"

    client.get(_link(mail.outbox[0]))

    user.refresh_from_db()
    assert user.email == "new@example.com" and user.email_confirmed


def test_a_change_needs_the_current_password(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)

    response = client.post(reverse("marketplace:account_email"), {"email": "new@example.com", "password": "wrong"})

    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert "new@example.com" in response.content.decode()  # what was typed is kept
    assert mail.outbox == []


def test_an_older_change_link_stops_working_after_a_newer_one_is_used(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    for address in ("first@example.com", "second@example.com"):
        client.post(reverse("marketplace:account_email"), {"email": address, "password": "correct horse battery"})
    first, second = (_link(message) for message in mail.outbox)

    client.get(second)
    response = client.get(first)

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email == "second@example.com"


def test_a_change_to_an_address_another_account_took_meanwhile_is_refused(client):
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    client.post(
        reverse("marketplace:account_email"), {"email": "taken@example.com", "password": "correct horse battery"}
    )
    UserFactory(email="taken@example.com")

    response = client.get(_link(mail.outbox[0]))

    assert response.status_code == 400
    assert "Another account uses that e-mail address" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "old@example.com"


def test_confirmation_mails_are_limited_per_account(client, settings):
    settings.ACCOUNT_MAILS_PER_HOUR = 1
    user = UserFactory(email="old@example.com")
    client.force_login(user)
    data = {"email": "new@example.com", "password": "correct horse battery"}
    client.post(reverse("marketplace:account_email"), data)

    response = client.post(reverse("marketplace:account_email"), data)

    assert response.status_code == 429
    assert len(mail.outbox) == 1


def test_a_sign_up_with_a_taken_address_mails_its_owner_no_link(client, django_capture_on_commit_callbacks):
    UserFactory(username="anna-taken", email="anna@example.com")

    _signup(client, django_capture_on_commit_callbacks)

    (warning,) = mail.outbox
    assert warning.to == ["anna@example.com"] and "confirm-email" not in warning.body
    assert User.objects.get(username="anna").email == ""

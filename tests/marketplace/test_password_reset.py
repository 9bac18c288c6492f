"""Forgot your password: Django's reset views with our pages, end to end through the test outbox."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from marketplace.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("marketplace:password_reset")
NEW_PASSWORD = "a brand new unusual passphrase"


def _link(message) -> str:
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


def test_the_login_page_links_to_the_reset(client):
    page = client.get(reverse("marketplace:login")).content.decode()

    assert "Forgot your password?" in page and RESET in page


def test_a_reset_mail_lets_the_person_choose_a_new_password_and_log_in(client):
    user = UserFactory(username="anna", email="anna@example.com", email_confirmed_at=None)

    response = client.post(RESET, {"email": "ANNA@example.com"})

    assert response["Location"] == reverse("marketplace:password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    assert "Choose a new password" in mail.outbox[0].subject
    form_page = client.get(_link(mail.outbox[0]), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("marketplace:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link reached the address, so the address is confirmed too.
    assert user.email_confirmed
    assert client.post(reverse("marketplace:login"), {"username": "anna", "password": NEW_PASSWORD}).status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_reset_link_works_once(client):
    UserFactory(username="anna", email="anna@example.com")
    client.post(RESET, {"email": "anna@example.com"})
    link = _link(mail.outbox[0])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    assert "This link does not work" in again.content.decode()


def test_an_expired_reset_link_is_refused(client, settings):
    user = UserFactory(username="anna", email="anna@example.com")
    client.post(RESET, {"email": "anna@example.com"})
    # Django's token checks its age against PASSWORD_RESET_TIMEOUT: below zero, every link is past it.
    settings.PASSWORD_RESET_TIMEOUT = -1

    page = client.get(_link(mail.outbox[0]), follow=True).content.decode()

    assert "This link does not work" in page
    user.refresh_from_db()
    assert user.check_password("correct horse battery")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    UserFactory(username="anna", email="anna@example.com")

    response = client.post(RESET, {"email": "nobody@example.com"})

    assert response["Location"] == reverse("marketplace:password_reset_done")
    assert mail.outbox == []


def test_a_deleted_account_gets_no_reset_mail(client):
    user = UserFactory(username="anna", email="anna@example.com")
    client.force_login(user)
    client.post(reverse("marketplace:account_delete"), {"password": "correct horse battery"})

    client.post(RESET, {"email": "anna@example.com"})

    assert mail.outbox == []
    assert not User.objects.filter(email__iexact="anna@example.com").exists()


def test_reset_requests_are_limited_per_client_address(client, settings):
    settings.ACCOUNT_MAILS_PER_HOUR = 2
    UserFactory(username="anna", email="anna@example.com")
    for _ in range(2):
        client.post(RESET, {"email": "anna@example.com"})

    response = client.post(RESET, {"email": "anna@example.com"})

    assert response.status_code == 429
    assert "We sent several mails in the last hour already" in response.content.decode()
    assert 'value="anna@example.com"' in response.content.decode()
    assert len(mail.outbox) == 2

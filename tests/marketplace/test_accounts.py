"""Sign up, log in, log out."""

import html

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse

from marketplace.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("marketplace:signup")
LOGIN = reverse("marketplace:login")
LOGOUT = reverse("marketplace:logout")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _signup_data(**overrides) -> dict:
    return {
        "username": "anna",
        "display_name": "Anna R.",
        "email": "anna@example.com",
        "password": "a long and unusual passphrase",
        "password_again": "a long and unusual passphrase",
        **overrides,
    }


def test_signing_up_creates_the_account_and_logs_in(client):
    response = client.post(SIGNUP, _signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:browse")
    user = User.objects.get(username="anna")
    assert (user.display_name, user.email, user.public_name) == ("Anna R.", "anna@example.com", "Anna R.")
    assert user.check_password("a long and unusual passphrase")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert "Welcome to Trova, Anna R.!" in _page(client.get("/"))


def test_signing_up_returns_to_the_page_that_asked_for_it(client):
    response = client.post(SIGNUP + "?next=/sell/", _signup_data())

    assert response["Location"] == "/sell/"


def test_signing_up_never_redirects_to_another_site(client):
    response = client.post(SIGNUP, {**_signup_data(), "next": "https://evil.example/"})

    assert response["Location"] == reverse("marketplace:browse")


@pytest.mark.parametrize(
    ("overrides", "sentence"),
    [
        ({"password_again": "something else entirely"}, "The two passwords are not the same."),
        ({"password": "password", "password_again": "password"}, "This password is too common."),
        ({"username": "ANNA-TAKEN"}, "That username is taken."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"username": "has spaces!"}, "Enter a valid username."),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_a_rejected_signup_says_why_and_keeps_what_was_typed(client, overrides, sentence):
    UserFactory(username="anna-taken", email="taken@example.com")
    data = _signup_data(**overrides)

    response = client.post(SIGNUP, data)

    assert response.status_code == 400
    page = _page(response)
    assert sentence in page
    for field in ("username", "display_name", "email"):
        if data[field]:
            assert f'value="{data[field]}"' in page
    assert f'value="{data["password"]}"' not in page
    assert User.objects.count() == 1


def test_logging_in_and_out(client):
    user = UserFactory(username="marco")

    response = client.post(LOGIN, {"username": "marco", "password": "correct horse battery", "next": "/sell/"})
    assert response.status_code == 302
    assert response["Location"] == "/sell/"
    assert client.session[SESSION_KEY] == str(user.pk)

    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert "You are logged out." in _page(client.get("/"))


def test_a_wrong_password_is_refused_with_a_sentence_and_the_username_kept(client):
    UserFactory(username="marco")

    response = client.post(LOGIN, {"username": "marco", "password": "wrong"})

    assert response.status_code == 400
    assert "Please enter a correct username and password." in _page(response)
    assert 'value="marco"' in _page(response)
    assert SESSION_KEY not in client.session


def test_logging_out_needs_a_post(client):
    client.force_login(UserFactory())

    assert client.get(LOGOUT).status_code == 405
    assert SESSION_KEY in client.session


def test_the_header_links_match_the_visitor(client):
    anonymous = _page(client.get("/"))
    assert LOGIN in anonymous and SIGNUP in anonymous
    assert reverse("marketplace:messages") not in anonymous

    client.force_login(UserFactory())
    member = _page(client.get("/"))
    assert LOGOUT in member and reverse("marketplace:my_listings") in member
    assert reverse("admin:index") not in member


# ---------- Whether an address is registered is never revealed ----------


def _outcome(response) -> tuple:
    """Everything the person signing up gets to see."""
    return response.status_code, response["Location"], [str(message) for message in get_messages(response.wsgi_request)]


def test_a_taken_e_mail_address_gets_the_same_answer_as_a_new_one(client):
    UserFactory(username="anna-taken", display_name="Anna", email="taken@example.com")
    fresh = client.post(SIGNUP, _signup_data(username="bea", display_name="Bea", email="bea@example.com"))
    client.logout()

    taken = client.post(SIGNUP, _signup_data(username="carl", display_name="Bea", email="Taken@Example.com"))

    assert _outcome(taken) == _outcome(fresh)
    assert client.session[SESSION_KEY] == str(User.objects.get(username="carl").pk)
    # The address stays with its owner: the new account has none.
    assert User.objects.get(username="carl").email == ""
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_the_owner_of_a_taken_address_gets_a_mail_and_a_new_address_a_welcome(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="anna-taken", display_name="Anna", email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(SIGNUP, _signup_data(username="bea", email="bea@example.com"))
        client.logout()
        client.post(SIGNUP, _signup_data(username="carl", email="Taken@Example.com"))

    welcome, warning = mailoutbox
    assert (welcome.to, welcome.subject) == (["bea@example.com"], "Welcome to Trova")
    assert (warning.to, warning.subject) == (
        ["taken@example.com"],
        "Someone tried to sign up to Trova with your e-mail address",
    )
    assert "your account anna-taken" in warning.body and "log in with that username" in warning.body
    assert "carl" not in warning.body  # nothing about the other account goes to this address

"""Home and discovery: category tiles and menu; the sell page, logged out, says why it asks for a log-in."""

import html

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SELL = reverse("ai_prefill:sell")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def test_the_home_page_has_a_tile_per_category_and_the_header_a_menu_of_them(client):
    home = _page(client.get(reverse("marketplace:browse")))
    filtered = _page(client.get(reverse("marketplace:browse"), {"q": "bike"}))

    assert home.count('class="category-tile" href="/?category=') == 9
    assert '<a class="category-tile" href="/?category=home-garden">Home & Garden</a>' in home
    assert '<summary class="nav-link">Categories</summary>' in home
    assert 'class="category-tile"' not in filtered  # a search shows its results instead
    assert '<li><a href="/?category=books">Books</a></li>' in filtered  # the menu stays


def test_the_sell_page_logged_out_says_why_and_brings_you_back_after_logging_in(client):
    UserFactory(username="anna", password="correct horse battery")

    to_login = client.get(SELL)
    login_page = _page(client.get(to_login["Location"]))
    logged_in = client.post(
        reverse("marketplace:login"), {"username": "anna", "password": "correct horse battery", "next": SELL}
    )

    assert to_login.status_code == 302
    assert "To sell, please log in or create an account" in login_page
    assert 'href="/signup/?next=/sell/"' in login_page
    assert logged_in.status_code == 302 and logged_in["Location"] == SELL


def test_signing_up_from_the_sell_page_says_why_and_brings_you_back(client):
    page = _page(client.get(reverse("marketplace:signup"), {"next": SELL}))
    signed_up = client.post(
        reverse("marketplace:signup"),
        {
            "username": "newbie",
            "display_name": "Newbie",
            "email": "newbie@example.com",
            "password": "a long and unusual passphrase",
            "password_again": "a long and unusual passphrase",
            "next": SELL,
        },
    )

    assert "To sell, please log in or create an account" in page
    assert signed_up["Location"] == SELL


def test_a_plain_login_gives_no_reason(client):
    assert "To sell" not in _page(client.get(reverse("marketplace:login")))

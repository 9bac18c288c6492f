"""The site's language: the account's setting, else the switcher's cookie, else the browser's Accept-Language, else
English; category and item-detail names in it, on pages and in the API."""

import html

import pytest
from django.conf import settings
from django.urls import reverse

from marketplace.auth import token_issue
from marketplace.models import User
from tests.factories import ListingFactory, UserFactory, category

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _is_italian(page: str) -> bool:
    return '<html lang="it">' in page and "Vendi" in page and "Sell</a>" not in page


def _is_english(page: str) -> bool:
    return '<html lang="en">' in page and "Sell</a>" in page and "Vendi" not in page


def test_a_browser_that_asks_for_italian_gets_the_site_in_italian(client):
    ListingFactory(title="Radio", category=category("electronics"))

    page = _page(client.get("/", HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9,en;q=0.5"))

    assert _is_italian(page)
    assert "Accedi" in page and "Registrati" in page and "Compra e vendi vicino a te" in page
    assert "Elettronica" in page  # the category's name, in the card, the menu and the filter
    assert "1 annuncio" in page


def test_without_accept_language_the_site_is_in_english(client):
    page = _page(client.get("/"))

    assert _is_english(page) and "Log in" in page and "Electronics" in page


def test_the_switchers_cookie_beats_the_browsers_language(client):
    client.cookies[COOKIE] = "it"

    assert _is_italian(_page(client.get("/", HTTP_ACCEPT_LANGUAGE="en")))


def test_the_footer_switcher_sets_the_cookie_and_goes_back_where_the_person_was(client):
    page = client.get("/saved/", follow=True).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="next" value="/login/?next=%2Fsaved%2F"' in page

    response = client.post(reverse("set_language"), {"language": "it", "next": "/login/?next=%2Fsaved%2F"})

    assert response.status_code == 302 and response["Location"] == "/login/?next=%2Fsaved%2F"
    assert response.cookies[COOKIE].value == "it"
    assert _is_italian(_page(client.get("/login/")))


def test_the_switcher_refuses_a_language_the_site_does_not_speak(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert response.status_code == 302 and COOKIE not in response.cookies
    assert _is_english(_page(client.get("/")))


def test_the_account_setting_beats_the_cookie_and_the_browser(client):
    user = UserFactory(language="it")
    client.force_login(user)
    client.cookies[COOKIE] = "en"

    assert _is_italian(_page(client.get("/", HTTP_ACCEPT_LANGUAGE="en")))


def test_an_account_without_a_setting_follows_the_cookie_then_the_browser(client):
    client.force_login(UserFactory(language=""))

    assert _is_italian(_page(client.get("/", HTTP_ACCEPT_LANGUAGE="it")))
    client.cookies[COOKIE] = "en"
    assert _is_english(_page(client.get("/", HTTP_ACCEPT_LANGUAGE="it")))


def test_the_switcher_also_saves_a_signed_in_persons_language(client):
    user = UserFactory(language="en")
    client.force_login(user)

    response = client.post(reverse("set_language"), {"language": "it", "next": "/"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "it"
    del client.cookies[COOKIE]  # the account's setting alone keeps the site in Italian
    assert _is_italian(_page(client.get("/")))


def test_the_settings_page_stores_the_language_and_the_next_page_is_in_it(client):
    user = UserFactory()
    client.force_login(user)
    settings_page = _page(client.get(reverse("marketplace:account")))
    assert "Language of the site and of our e-mails" in settings_page and ">Italiano</option>" in settings_page

    response = client.post(reverse("marketplace:account_language"), {"language": "it"}, follow=True)

    user.refresh_from_db()
    assert user.language == "it"
    page = _page(response)
    assert _is_italian(page) and "La tua lingua è salvata." in page
    assert client.cookies[COOKIE].value == "it"


def test_choosing_the_browsers_language_clears_the_setting_and_the_cookie(client):
    user = UserFactory(language="it")
    client.force_login(user)
    client.cookies[COOKIE] = "it"

    response = client.post(reverse("marketplace:account_language"), {"language": ""})

    user.refresh_from_db()
    assert response.status_code == 302 and user.language == ""
    assert response.cookies[COOKIE].value == ""  # deleted
    assert _is_english(_page(client.get("/", HTTP_ACCEPT_LANGUAGE="en")))


def test_the_settings_page_refuses_an_unknown_language_with_a_sentence(client):
    user = UserFactory(language="it")
    client.force_login(user)

    response = client.post(reverse("marketplace:account_language"), {"language": "klingon"})

    assert response.status_code == 400
    assert "Scegli una lingua dall'elenco." in html.unescape(response.content.decode())
    user.refresh_from_db()
    assert user.language == "it"


def test_signing_up_on_the_italian_site_keeps_italian_as_the_accounts_language(client):
    client.post(
        reverse("marketplace:signup"),
        {
            "username": "giulia",
            "display_name": "Giulia",
            "email": "giulia@example.com",
            "password": "a long enough passphrase",
            "password_again": "a long enough passphrase",
        },
        HTTP_ACCEPT_LANGUAGE="it",
    )

    assert User.objects.get(username="giulia").language == "it"


def test_the_listing_page_names_the_category_condition_and_details_in_italian(client, seller):
    listing = ListingFactory(seller=seller, category=category("electronics"), attributes={"colour": "black"})

    page = _page(client.get(listing.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="it"))

    assert "Elettronica" in page and "Buono" in page  # the category, the condition (Good)
    assert "<dt>Colore</dt><dd>Nero</dd>" in page
    assert "Condizioni" in page and "Venditore" in page


def test_the_api_names_categories_details_and_colours_in_the_requests_language(client):
    italian = client.get("/api/categories", HTTP_ACCEPT_LANGUAGE="it").json()
    english = client.get("/api/categories").json()

    electronics = next(category for category in italian if category["slug"] == "electronics")
    assert electronics["name"] == "Elettronica"
    assert [attribute["name"] for attribute in electronics["attributes"]] == ["Marca", "Modello", "Colore"]
    colour = electronics["attributes"][2]
    assert colour["choice_labels"][colour["choices"].index("black")] == "Nero"
    assert next(category for category in english if category["slug"] == "electronics")["name"] == "Electronics"


def test_the_api_answers_a_signed_in_person_in_their_language(client):
    client.force_login(UserFactory(language="it"))

    names = {category["slug"]: category["name"] for category in client.get("/api/categories").json()}

    assert names["furniture"] == "Arredamento" and names["home-garden"] == "Casa e giardino"


def test_the_browse_filters_in_italian_name_categories_and_colours(client):
    page = _page(client.get("/", {"category": "clothing"}, HTTP_ACCEPT_LANGUAGE="it"))

    assert '<option value="">Tutte le categorie</option>' in page
    assert ">Qualsiasi colore</option>" in page and '<option value="black">Nero</option>' in page


def test_an_error_page_is_in_the_persons_language(client):
    response = client.get("/listings/999999/", HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 404
    assert "Non abbiamo trovato questa pagina" in response.content.decode()


def test_an_api_error_sentence_is_in_the_requests_language(client):
    response = client.get("/api/nothing-here", HTTP_ACCEPT_LANGUAGE="it")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("A questo indirizzo non c'è niente.")


def test_a_script_with_a_token_gets_the_api_sentences_in_its_owners_language(client):
    token = token_issue(user=UserFactory(language="it"))

    response = client.get("/api/conversations/999999", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 404
    assert response.json()["detail"] == "Non hai nessuna conversazione con id 999999."
    assert response["Content-Language"] == "it"

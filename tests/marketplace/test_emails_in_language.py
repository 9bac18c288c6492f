"""Every mail the marketplace sends is in its recipient's language (User.language, else the site's default), whatever
the language of the request or task that sends it; through Django's test outbox."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from marketplace.models import Notice
from marketplace.places import place_find
from marketplace.services.favourites import favourite_add
from marketplace.services.item_states import listing_state_set
from marketplace.services.listings import ListingData, listing_update
from marketplace.services.messaging import conversation_contact
from marketplace.services.saved_searches import saved_search_create, saved_search_digests_send
from marketplace.tasks import message_email_task, notices_email_task
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "giulia",
    "display_name": "Giulia",
    "email": "giulia@example.com",
    "password": "a long enough passphrase",
    "password_again": "a long enough passphrase",
}


def _run(published_tasks) -> None:
    tasks = {task.name: task for task in (notices_email_task, message_email_task)}
    for name, args in published_tasks():
        tasks[name](*args)


def test_the_welcome_mail_is_in_the_language_of_the_sign_up_page(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("marketplace:signup"), SIGNUP, HTTP_ACCEPT_LANGUAGE="it")

    assert len(mail.outbox) == 1
    welcome = mail.outbox[0]
    assert welcome.subject == "Ti diamo il benvenuto su Trova"
    assert welcome.body.startswith("Ciao Giulia,")
    assert 'il tuo account Trova "giulia" è pronto' in welcome.body and "Il link vale per 3 giorni." in welcome.body


def test_a_change_of_address_is_confirmed_in_the_accounts_language(client):
    user = UserFactory(language="it", password="correct horse battery")
    client.force_login(user)

    client.post(
        reverse("marketplace:account_email"),
        {"email": "nuovo@example.com", "password": "correct horse battery"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert mail.outbox[0].subject == "Conferma il tuo nuovo indirizzo e-mail per Trova"
    assert "hai chiesto di cambiare l'indirizzo e-mail" in mail.outbox[0].body


def test_a_password_reset_asked_from_the_english_page_is_mailed_in_the_accounts_italian(client):
    UserFactory(username="marco", email="marco@example.com", language="it")

    response = client.post(reverse("marketplace:password_reset"), {"email": "marco@example.com"})

    assert response.status_code == 302
    reset = mail.outbox[0]
    assert reset.subject == "Scegli una nuova password per Trova"
    assert 'per il tuo account Trova "marco"' in reset.body and "Il link funziona una sola volta." in reset.body
    assert re.search(r"http://testserver/password-reset/\S+/\S+/", reset.body)


def test_a_person_without_a_language_gets_mail_in_the_sites_default_even_from_an_italian_page(client):
    UserFactory(username="anna", email="anna@example.com", language="")

    client.post(reverse("marketplace:password_reset"), {"email": "anna@example.com"}, HTTP_ACCEPT_LANGUAGE="it")

    assert mail.outbox[0].subject == "Choose a new password for Trova"


def test_a_new_message_is_mailed_in_the_recipients_language_not_the_senders(
    published_tasks, django_capture_on_commit_callbacks
):
    seller = UserFactory(display_name="Sara", language="it")
    buyer = UserFactory(display_name="Bob", language="en")
    listing = ListingFactory(seller=seller, title="Divano verde")

    with django_capture_on_commit_callbacks(execute=True):
        conversation_contact(listing=listing, buyer=buyer, body="Is it still there?")
    _run(published_tasks)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [seller.email]
    assert email.subject == "[Trova] Bob ti ha scritto per “Divano verde”"
    assert email.body.startswith("Ciao Sara,") and "Leggi e rispondi:" in email.body
    assert "Is it still there?" in email.body


def test_a_price_drop_is_told_to_each_person_in_their_language_with_their_prices_format(
    client, published_tasks, django_capture_on_commit_callbacks
):
    listing = ListingFactory(title="Bici rossa", price=Decimal("1500"))
    italian, english = UserFactory(language="it"), UserFactory(language="")
    favourite_add(user=italian, listing=listing)
    favourite_add(user=english, listing=listing)
    data = ListingData(
        title=listing.title,
        description=listing.description,
        category=listing.category,
        price=Decimal("1200"),
        condition=listing.condition,
    )

    with django_capture_on_commit_callbacks(execute=True):
        listing_update(listing=listing, actor=listing.seller, data=data)
    _run(published_tasks)

    assert Notice.objects.get(user=italian).text == "“Bici rossa” ora costa 1.200 € (prima 1.500 €)."
    assert Notice.objects.get(user=english).text == "“Bici rossa” is now €1,200 (was €1,500)."
    by_recipient = {email.to[0]: email for email in mail.outbox}
    assert by_recipient[italian.email].subject == "[Trova] “Bici rossa” ora costa 1.200 € (prima 1.500 €)."
    assert "Ricevi questa e-mail perché hai salvato l'annuncio." in by_recipient[italian.email].body
    assert "You get this because you saved the listing." in by_recipient[english.email].body


def test_a_sale_is_told_in_italian(published_tasks, django_capture_on_commit_callbacks):
    listing = ListingFactory(title="Lampada")
    fan = UserFactory(language="it")
    favourite_add(user=fan, listing=listing)

    with django_capture_on_commit_callbacks(execute=True):
        listing_state_set(listing=listing, actor=listing.seller, state="sold")
    _run(published_tasks)

    assert mail.outbox[0].subject == "[Trova] “Lampada”, che avevi salvato, è stato venduto."


def test_the_saved_search_digest_is_in_the_searchers_language():
    bologna = place_find("Bologna")
    searcher = UserFactory(display_name="Luisa", language="it")
    with translation.override("it"):  # the name is written in the language of the page it was saved from
        search = saved_search_create(user=searcher, params={"q": "bici", "max_price": "2000"})
    for title, price in (("Bici da corsa", "1250"), ("Bici per bambini", "40.5")):
        ListingFactory(
            title=title,
            price=Decimal(price),
            place_name=bologna.label,
            latitude=bologna.latitude,
            longitude=bologna.longitude,
        )

    assert saved_search_digests_send() == 1

    digest = mail.outbox[0]
    assert search.name == "“bici” a 0–2.000 €"
    assert digest.subject == "[Trova] 2 nuovi per la tua ricerca “bici” a 0–2.000 €"
    assert digest.body.startswith("Ciao Luisa,\n\n2 nuovi annunci per la tua ricerca")
    assert "- Bici da corsa: 1.250 €, Bologna" in digest.body and "- Bici per bambini: 40,50 €" in digest.body
    assert "Al massimo un'e-mail al giorno per questa ricerca." in digest.body

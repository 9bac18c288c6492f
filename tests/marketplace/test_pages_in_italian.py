"""Every marketplace page, rendered in Italian, shows none of the English sentences our catalogue translates."""

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse

from marketplace.models import Conversation, Listing, Message, Notice, Rating
from marketplace.services.favourites import favourite_add
from marketplace.services.saved_searches import saved_search_create
from tests.factories import ListingFactory, UserFactory, category, listing_photo

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"
OURS = re.compile(r"^(templates/base\.html|templates/[45]\d\d\.html|templates/marketplace/|marketplace/|core/)")
# Text people read: between tags, and in the attributes that are read aloud or shown.
READ_ATTRIBUTES = re.compile(r'\s(?:title|alt|aria-label|placeholder)="([^"]*)"')


def _english_sentences() -> list[str]:
    """The English of every entry from our files whose Italian differs, cut at its placeholders and markup."""
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    pieces = set()
    for message in catalog:
        if not message.id or not any(OURS.match(path) for path, _ in message.locations):
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        italian = message.string if isinstance(message.string, str) else message.string[0]
        if english == italian:
            continue  # "Account", "Password", "Admin": the same word in both
        for piece in re.split(r"%\([a-z_]+\)[sd]|<[^>]+>|[“”\"]", english):
            piece = piece.strip(" .,:;?!()…")
            # Whole words of some length only: a short piece ("Edit", "in") could be part of Italian text or data.
            if piece in italian:
                continue  # kept as it is in Italian too: a name in an example, a header name
            if len(piece) >= 12 or (len(piece) >= 6 and " " in piece):
                pieces.add(piece)
    return sorted(pieces)


def _read_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attributes = " | ".join(READ_ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(re.sub(r"\s+", " ", f"{text} | {attributes}"))


@pytest.fixture
def world(client):
    """An owner (Olga) with a listing that Carla wrote about and rated, a saved search, a notice: every page has
    something to show. Titles and names are Italian, so English on a page can only come from us."""
    olga = UserFactory(username="olga", display_name="Olga", language="it")
    carla = UserFactory(username="carla", display_name="Carla", language="it")
    lamp = ListingFactory(seller=olga, title="Lampada da tavolo", price=Decimal("1250"), category=category("furniture"))
    lamp.description = "Ottone, funziona."
    lamp.attributes = {"colour": "gold", "material": "ottone"}
    lamp.save()
    listing_photo(lamp, is_main=True)
    listing_photo(lamp, position=1)
    sold = ListingFactory(seller=olga, title="Sedia", status=Listing.Status.SOLD, sold_to=carla)
    Rating.objects.create(listing=sold, seller=olga, buyer=carla, stars=4, comment="Tutto bene.")
    unrated = ListingFactory(seller=olga, title="Tavolo", status=Listing.Status.SOLD, sold_to=carla)
    conversation = Conversation.objects.create(listing=lamp, buyer=carla)
    Message.objects.create(conversation=conversation, sender=carla, body="È ancora disponibile?")
    Message.objects.create(conversation=conversation, sender=olga, body="Sì.")
    favourite_add(user=carla, listing=ListingFactory(title="Bici"))
    Notice.objects.create(user=carla, kind=Notice.Kind.SOLD, text="“Bici”, che avevi salvato, è stato venduto.")
    saved_search_create(user=carla, params={"q": "bici"})
    return {"olga": olga, "carla": carla, "lamp": lamp, "unrated": unrated, "conversation": conversation}


def _pages(world) -> dict[str, list[str]]:
    lamp = world["lamp"]
    return {
        "anonymous": [
            "/",
            "/?q=zzzzqqq",
            "/?category=furniture&min_price=abc&sort=distance&page=99",
            lamp.get_absolute_url(),
            reverse("marketplace:profile", args=["olga"]),
            reverse("marketplace:login"),
            reverse("marketplace:signup"),
            reverse("marketplace:password_reset"),
            reverse("marketplace:password_reset_done"),
            reverse("marketplace:password_reset_complete"),
            reverse("marketplace:password_reset_confirm", args=["x", "y"]),
            reverse("marketplace:email_confirm", args=["not-a-token"]),
            reverse("marketplace:saved_search_unsubscribe", args=["not-a-token"]),
            "/no-such-page/",
        ],
        "olga": [
            lamp.get_absolute_url(),
            reverse("marketplace:listing_edit", args=[lamp.pk]),
            reverse("marketplace:listing_delete", args=[lamp.pk]),
            reverse("marketplace:listing_state", args=[lamp.pk]),
            reverse("marketplace:my_listings"),
            reverse("marketplace:messages"),
            reverse("marketplace:conversation", args=[world["conversation"].pk]),
            reverse("marketplace:account"),
            reverse("marketplace:account_password"),
            reverse("marketplace:account_delete"),
            reverse("marketplace:profile", args=["olga"]),
        ],
        "carla": [
            lamp.get_absolute_url(),
            reverse("marketplace:listing_report", args=[lamp.pk]),
            reverse("marketplace:listing_rate", args=[world["unrated"].pk]),
            reverse("marketplace:saved"),
            reverse("marketplace:saved_searches"),
            reverse("marketplace:notices"),
            reverse("marketplace:messages"),
        ],
    }


def test_no_page_shows_english_that_the_catalogue_translates(client, world):
    english = _english_sentences()
    assert len(english) > 200  # the check has something to look for
    found = {}
    for who, paths in _pages(world).items():
        client.logout()
        if who != "anonymous":
            client.force_login(world[who])
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="it")
            assert response.status_code in (200, 400, 404), (who, path, response.status_code)
            text = _read_text(response.content.decode())
            assert "Trova" in text and "Vendi" in text, (who, path)
            left = [sentence for sentence in english if re.search(rf"\b{re.escape(sentence)}\b", text)]
            if left:
                found[f"{who} {path}"] = left

    assert found == {}

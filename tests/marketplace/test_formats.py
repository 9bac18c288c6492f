"""Prices, numbers and dates in the page's language: €1,234.50 in English, 1.234,50 € in Italian."""

import html
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from marketplace.forms import PRICE_ERRORS, PriceField
from marketplace.models import Listing
from marketplace.templatetags.trova import age, euro, euro_range, km
from tests.factories import ListingFactory, UserFactory

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(
    ("language", "amount", "shown"),
    [
        ("en", Decimal("1234.50"), "€1,234.50"),
        ("en", Decimal("1250"), "€1,250"),
        ("en", Decimal("0.5"), "€0.50"),
        ("en", 12.3, "€12.30"),
        ("it", Decimal("1234.50"), "1.234,50 €"),
        ("it", Decimal("1250.00"), "1.250 €"),
        ("it", Decimal("1000000"), "1.000.000 €"),
        ("it", "89.5", "89,50 €"),
    ],
)
def test_a_price_reads_as_the_language_writes_it(language, amount, shown):
    with translation.override(language):
        assert euro(amount) == shown


def test_a_price_that_is_not_a_number_shows_nothing():
    assert euro("a lot") == "" and euro(None) == ""


def test_a_price_range_puts_the_sign_where_the_language_does():
    with translation.override("en"):
        assert euro_range(Decimal("40"), Decimal("60.5")) == "€40–60.50"
    with translation.override("it"):
        assert euro_range(Decimal("1200"), Decimal("1500")) == "1.200–1.500 €"
        assert euro_range(Decimal("40"), Decimal("40")) == "40 €"


def test_distances_and_ages_are_in_the_language():
    with translation.override("it"):
        assert km(4.26) == "4,3 km" and km(0.4) == "meno di 1 km" and km(37.4) == "37 km"
        assert age(datetime(2020, 1, 1, tzinfo=ROME)).endswith(" fa")
    with translation.override("en"):
        assert km(4.26) == "4.3 km" and age(datetime(2020, 1, 1, tzinfo=ROME)).endswith(" ago")


@pytest.mark.parametrize(
    ("language", "typed", "read"),
    [
        ("it", "1.250", Decimal("1250")),
        ("it", "1.234,50", Decimal("1234.50")),
        ("it", "12,50", Decimal("12.50")),
        ("it", "12.50", Decimal("12.50")),  # a decimal point where dots cannot be thousands
        ("en", "1,234.50", Decimal("1234.50")),
        ("en", "1.25", Decimal("1.25")),
        ("en", "12,50", Decimal("12.50")),
    ],
)
def test_a_typed_price_is_read_the_way_the_language_writes_numbers(language, typed, read):
    with translation.override(language):
        assert PriceField(required=False, decimal_places=2).clean(typed) == read


def test_dots_group_thousands_only_where_the_language_writes_numbers_so():
    with translation.override("en"), pytest.raises(ValidationError):
        PriceField(required=False, decimal_places=2).clean("1.250")  # one and a quarter, with a third decimal


@pytest.mark.django_db
def test_the_browse_page_shows_prices_in_the_browsers_language(client):
    ListingFactory(title="Bike", price=Decimal("1250"))

    italian = html.unescape(client.get("/", HTTP_ACCEPT_LANGUAGE="it").content.decode())
    english = html.unescape(client.get("/").content.decode())

    assert "1.250 €" in italian and "€1,250" not in italian
    assert "€1,250" in english


@pytest.mark.django_db
def test_the_listing_page_shows_its_date_and_price_in_italian(client):
    listing = ListingFactory(seller=UserFactory(), price=Decimal("89.50"))
    Listing.objects.filter(pk=listing.pk).update(created_at=datetime(2026, 3, 7, 15, 4, tzinfo=ROME))

    italian = html.unescape(client.get(listing.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="it").content.decode())
    english = html.unescape(client.get(listing.get_absolute_url()).content.decode())

    assert "89,50 €" in italian and ">7 mar 2026</time>" in italian
    assert "€89.50" in english and ">7 Mar 2026</time>" in english


def test_the_price_limit_sentence_is_in_the_language_of_the_form():
    with translation.override("it"):
        assert str(PRICE_ERRORS["max_value"]) == "Il prezzo può essere al massimo 1.000.000 €."
    with translation.override("en"):
        assert str(PRICE_ERRORS["max_value"]) == "The price can be at most €1,000,000."


@pytest.mark.django_db
def test_the_edit_page_shows_the_price_the_languages_way_and_reads_it_back(client):
    seller = UserFactory()
    listing = ListingFactory(seller=seller, price=Decimal("1250.50"))
    client.force_login(seller)

    italian = client.get(f"/listings/{listing.pk}/edit/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    english = client.get(f"/listings/{listing.pk}/edit/").content.decode()

    assert 'name="price" value="1250,50"' in italian and 'name="price" value="1250.50"' in english
    with translation.override("it"):
        assert PriceField(decimal_places=2).clean("1250,50") == Decimal("1250.50")

"""Search in Italian (issue 15): listings written in English or Italian, found by words in either, on SQLite and
PostgreSQL (the suite runs on both)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from ai_prefill.comparables import comparables_lookup
from marketplace.models import Category, Listing
from marketplace.services.listings import ListingData, listing_update
from tests.factories import ListingFactory, UserFactory
from tests.marketplace.test_search import _api_titles, _page_titles

pytestmark = pytest.mark.django_db

MIGRATION = ("marketplace", "0015_search_english_and_italian")


@pytest.fixture
def italian_listings(seller) -> dict[str, Listing]:
    furniture = Category.objects.get(slug="furniture")
    listings = [
        ("Divani in pelle, tre posti", "Due divani color cuoio, pochi segni d'uso."),
        ("Divano letto matrimoniale", "Si apre in un attimo."),
        ("Sedia in legno massello", "Robusta, qualche graffio."),
        ("Quattro sedie da cucina", "Bianche, impilabili."),
        ("Bici da città, 28 pollici", "Sette marce, cestino."),
        ("Mappa della citta di Bologna", "Stampa del 1950."),
        ("Telefoni fissi da collezione", "Anni settanta, funzionanti."),
        ("Phone charger, USB-C", "Fast charging, as new."),
        ("Leather armchair", "Deep brown, some wear."),
    ]
    return {
        title: ListingFactory(seller=seller, title=title, description=text, category=furniture)
        for title, text in listings
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Another number of the same noun: the plural finds the singular and back.
        ("divano", {"Divani in pelle, tre posti", "Divano letto matrimoniale"}),
        ("divani", {"Divani in pelle, tre posti", "Divano letto matrimoniale"}),
        ("sedie", {"Sedia in legno massello", "Quattro sedie da cucina"}),
        ("sedia", {"Sedia in legno massello", "Quattro sedie da cucina"}),
        ("telefono", {"Telefoni fissi da collezione"}),
        # With or without its accent.
        ("città", {"Bici da città, 28 pollici", "Mappa della citta di Bologna"}),
        ("citta", {"Bici da città, 28 pollici", "Mappa della citta di Bologna"}),
        # Words found in the description, in Italian, and every word must match.
        ("divani cuoio", {"Divani in pelle, tre posti"}),
        ("sedie bianche", {"Quattro sedie da cucina"}),
        # English still works as before over the same listings.
        ("armchairs", {"Leather armchair"}),
        ("charg", {"Phone charger, USB-C"}),
    ],
)
def test_italian_words_find_their_other_forms_on_the_page_and_through_the_api(
    client, italian_listings, query, expected
):
    assert set(_api_titles(client, q=query)) == expected
    assert set(_page_titles(client, q=query)) == expected


def test_a_query_may_mix_languages_word_by_word(client, italian_listings, seller):
    ListingFactory(seller=seller, title="Divano a due posti", description="Real leather, barely used.")

    assert _api_titles(client, q="divani leather") == ["Divano a due posti"]


def test_an_english_word_is_not_cut_to_an_italian_stem(client, italian_listings):
    """The Italian stemmer makes "chair" "cha": as a prefix it would find the charger."""
    assert _api_titles(client, q="chair") == []
    assert _api_titles(client, q="armchair") == ["Leather armchair"]


def test_a_misspelt_italian_word_offers_the_word_listings_use(client, italian_listings):
    response = client.get("/api/listings", {"q": "divanno"}).json()

    assert response["count"] == 0
    assert response["did_you_mean"] == "divano"
    assert client.get("/api/listings", {"q": "seddia"}).json()["did_you_mean"] == "sedia"


def test_an_edited_listing_is_found_by_its_new_italian_words_and_not_its_old_ones(client, seller):
    listing = ListingFactory(seller=seller, title="Tavolo rotondo", description="Noce.")
    assert _api_titles(client, q="tavoli") == ["Tavolo rotondo"]

    data = ListingData(
        title="Lampade da comodino",
        description="Una coppia, ottone.",
        category=listing.category,
        price=listing.price,
        condition=listing.condition,
    )
    listing_update(listing=listing, actor=seller, data=data)

    assert _api_titles(client, q="lampada") == ["Lampade da comodino"]
    assert _api_titles(client, q="tavolo") == []


def test_comparables_are_found_for_an_italian_title(seller):
    furniture = Category.objects.get(slug="furniture")
    sold_at = timezone.now() - timedelta(days=2)
    sold = [
        ListingFactory(
            seller=UserFactory(),
            title=f"Sedie in legno, lotto {number}",
            category=furniture,
            price=Decimal(30 + number),
            status=Listing.Status.SOLD,
            sold_at=sold_at,
        )
        for number in range(6)
    ]

    lookup = comparables_lookup(category_slug="furniture", title="Sedia di legno")

    assert not lookup.skipped
    assert {comparable.listing_id for comparable in lookup.comparables} == {listing.pk for listing in sold}
    assert all(comparable.sold for comparable in lookup.comparables)


def _matched_before_italian(word: str) -> list[str]:
    """Titles the index as the migration before found for the word (the code now queries the new one)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT title FROM marketplace_listing WHERE search_vector @@ plainto_tsquery('english'::regconfig, %s) "
            "ORDER BY title"
        )
    else:
        sql = (
            "SELECT l.title FROM listing_fts JOIN marketplace_listing l ON l.id = listing_fts.rowid "
            "WHERE listing_fts MATCH %s ORDER BY l.title"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [word])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_english_only_and_forward_again(seller, seeded_categories):
    ListingFactory(seller=seller, title="Sedie da giardino", description="Ferro battuto.")
    executor = MigrationExecutor(connection)
    before = executor.loader.graph.node_map[MIGRATION].parents
    try:
        executor.migrate([parent.key for parent in before])
        # English only again: "sedia" is no form of "sedie" to the English stemmer (PostgreSQL), or to porter.
        assert _matched_before_italian("sedia") == []
        assert _matched_before_italian("sedie") == ["Sedie da giardino"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        # As `manage.py migrate` ends: on SQLite the search triggers are put back after a later migration
        # rebuilt the listings table (marketplace.search.sqlite.ensure_schema_after_migrate).
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    ListingFactory(seller=seller, title="Sedia a dondolo", description="Vimini.")

    assert sorted(_api_titles(Client(), q="sedia")) == ["Sedia a dondolo", "Sedie da giardino"]

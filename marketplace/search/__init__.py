"""Search and retrieval over listings, behind one small interface.

A backend indexes listings, matches a query (word forms, synonyms, a relevance rank), offers a spelling for a
word that matched nothing, and retrieves comparable listings within a time budget. SEARCH_BACKEND picks it:
"auto" (the database's own: PostgreSQL full-text search with pg_trgm, or SQLite FTS5), "postgresql" or
"sqlite". Both index every listing in English and in Italian (marketplace.search.stems), and keep their index in
the same transaction as the listing (a generated column, or FTS5 tables fed by triggers), so listing_indexed has
nothing to do; a search engine backend (OpenSearch) would be fed from it, on commit, by listing_changed.
"""

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from marketplace.search.synonyms import PIECE, query_terms

__all__ = [
    "Comparable",
    "SearchBackend",
    "SearchUnavailable",
    "closest_word",
    "did_you_mean",
    "listing_changed",
    "query_terms",
    "search_backend",
]


@dataclass(frozen=True)
class Comparable:
    listing_id: int
    title: str
    price: Decimal
    sold: bool
    at: datetime  # when it sold, or when it was listed


class SearchUnavailable(Exception):
    """The search did not answer within its budget (reason "timeout") or failed (reason "error")."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SearchBackend(Protocol):
    name: str

    def listing_indexed(self, *, listing_id: int) -> None:
        """The listing was created, changed or deleted (called on commit)."""

    def listing_match(self, listings: QuerySet, *, terms: list[tuple[str, ...]]) -> QuerySet:
        """The listings matching every term group, annotated with search_rank (higher is better)."""

    def spelling_candidates(self, *, word: str) -> list[str]:
        """Titles or words of listings among which the word's right spelling may be, likeliest first."""

    def listing_comparables(
        self, *, category_slug: str, words: list[str], exclude_ids: Iterable[int], limit: int, budget_ms: int
    ) -> list[Comparable]:
        """Sold, then active, listings of the category (by its slug) sharing words with the title, best first.

        Raises SearchUnavailable when it takes longer than budget_ms or fails.
        """


def search_backend() -> SearchBackend:
    name = settings.SEARCH_BACKEND
    if name == "auto":
        name = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    if name == "postgresql":
        from marketplace.search.postgres import PostgresSearch

        return PostgresSearch()
    from marketplace.search.sqlite import SqliteSearch

    return SqliteSearch()


def listing_changed(*, listing_id: int) -> None:
    """Tell the backend about a created, edited, sold, hidden or deleted listing once the transaction commits."""
    transaction.on_commit(lambda: search_backend().listing_indexed(listing_id=listing_id))


def closest_word(word: str, titles: Iterable[str]) -> str | None:
    """The word of the titles closest to the given one, if close enough to be what was meant."""
    words = {piece for title in titles for piece in PIECE.findall(title.lower()) if len(piece) > 1}
    matches = difflib.get_close_matches(word, words, n=1, cutoff=0.7)
    return matches[0] if matches else None


def did_you_mean(text: str) -> str | None:
    """The query with each misspelt word replaced by the closest word in active listings; None if none is."""
    backend = search_backend()
    words = [terms[0] for terms in query_terms(text)]
    corrected = [closest_word(word, backend.spelling_candidates(word=word)) or word for word in words]
    return " ".join(corrected) if corrected != words else None

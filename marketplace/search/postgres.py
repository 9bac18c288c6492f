"""PostgreSQL: full-text search (stemming, weights, ts_rank) over a stored, generated search_vector column with
a GIN index, and pg_trgm for typos. The column (migration 0015_search_english_and_italian) is computed by
PostgreSQL in the row's own write, so the index is always current; it holds the listing's words stemmed by each
configuration of LANGUAGES, and each query word is looked up stemmed by each of them (either may match).
"""

from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from marketplace.models import Listing
from marketplace.search import Comparable, SearchUnavailable
from marketplace.search.stems import LANGUAGES, word_forms
from marketplace.search.synonyms import PIECE

# Lowered from pg_trgm's 0.6: a swapped pair of letters ("chiar") shares only a third of its trigrams.
WORD_SIMILARITY_THRESHOLD = 0.3
SPELLING_CANDIDATES = 300


VECTOR = '"marketplace_listing"."search_vector"'


def tsquery_text(terms: list[tuple[str, ...]], *, language: str, prefix: bool = True, any_group: bool = False) -> str:
    """to_tsquery syntax for one configuration: the typed word as a prefix in English and in each of its forms in
    Italian (a prefix of an Italian stem is too wide: chair -> cha:* finds charger), each synonym as a phrase."""
    groups = []
    for alternatives in terms:
        options = []
        for position, alternative in enumerate(alternatives):
            pieces = PIECE.findall(alternative)
            if not pieces:
                continue
            if position == 0 and len(pieces) == 1 and language == "english":
                options.append(f"{pieces[0]}:*" if prefix else pieces[0])
            elif position == 0 and len(pieces) == 1:
                options.extend(word_forms(pieces[0], language))
            else:
                options.append(" <-> ".join(pieces))
        if options:
            groups.append("(" + " | ".join(options) + ")")
    return (" | " if any_group else " & ").join(groups)


def tsquery_sql(groups: list[list[tuple[str, ...]]], **options) -> tuple[str, list[str]]:
    """A tsquery needing every group of terms matched, each in any language (its configurations' tsqueries ORed,
    so one word may match in English and the next in Italian), and its parameters."""
    parts, params = [], []
    for terms in groups:
        texts = [tsquery_text(terms, language=language, **options) for language in LANGUAGES]
        if all(texts):
            parts.append("(" + " || ".join(f"to_tsquery('{language}'::regconfig, %s)" for language in LANGUAGES) + ")")
            params += texts
    return ("(" + " && ".join(parts) + ")" if parts else ""), params  # bracketed: @@ binds tighter than &&


class PostgresSearch:
    name = "postgresql"

    def __init__(self) -> None:
        self.vector = VECTOR

    def listing_indexed(self, *, listing_id: int) -> None:
        return None  # the expression index changes with the row, in its transaction

    def listing_match(self, listings: QuerySet, *, terms: list[tuple[str, ...]]) -> QuerySet:
        query, params = tsquery_sql([[group] for group in terms])
        return listings.annotate(
            search_rank=RawSQL(f"ts_rank({self.vector}, {query})", params, output_field=FloatField())
        ).filter(RawSQL(f"{self.vector} @@ {query}", params, output_field=BooleanField()))

    def spelling_candidates(self, *, word: str) -> list[str]:
        # Unordered with a limit: ranking every title that shares a trigram or two with the word would
        # recheck tens of thousands of rows; any few hundred that pass hold the common spellings.
        with transaction.atomic(), connection.cursor() as cursor:
            threshold = str(WORD_SIMILARITY_THRESHOLD)
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [threshold])
            cursor.execute(
                "SELECT DISTINCT title FROM (SELECT title FROM marketplace_listing "
                "WHERE status = %s AND %s <%% title LIMIT %s) AS candidates",
                [Listing.Status.ACTIVE, word, SPELLING_CANDIDATES],
            )
            return [row[0] for row in cursor.fetchall()]

    def listing_comparables(
        self, *, category_slug: str, words: list[str], exclude_ids: Iterable[int], limit: int, budget_ms: int
    ) -> list[Comparable]:
        query, query_params = tsquery_sql([[(word,) for word in words]], prefix=False, any_group=True)
        if not query:
            return []
        excluded = list(exclude_ids) or [0]
        sold, active = Listing.Status.SOLD.value, Listing.Status.ACTIVE.value
        # A transaction's own, or the caller's: then its timeout is set back before the caller goes on.
        nested = connection.in_atomic_block
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Local to this transaction (or savepoint): the connection goes back to the pool unchanged.
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(budget_ms, 1)}ms"])
                # Sold first, then active, in one statement (a lookup follows every analysis in the worker). The
                # outer LIMIT stops the Append before the active part when the sold ones are enough, so the many
                # active matches are ranked only when needed; the sort below keeps the order whatever the plan.
                part = (
                    f"(SELECT id, title, price, COALESCE(sold_at, created_at) AS at, status = %s AS sold, "
                    f"ts_rank({self.vector}, {query}) AS rank, created_at FROM marketplace_listing "
                    f"WHERE category_id = (SELECT id FROM marketplace_category WHERE slug = %s) AND status = %s "
                    f"AND NOT (id = ANY(%s)) AND {self.vector} @@ {query} ORDER BY rank DESC, created_at DESC LIMIT %s)"
                )
                cursor.execute(
                    f"{part} UNION ALL {part} LIMIT %s",
                    [
                        *(
                            value
                            for status in (sold, active)
                            for value in (sold, *query_params, category_slug, status, excluded, *query_params, limit)
                        ),
                        limit,
                    ],
                )
                rows = sorted(cursor.fetchall(), key=lambda row: (not row[4], -row[5], -row[6].timestamp()))
                found = [
                    Comparable(listing_id=row[0], title=row[1], price=row[2], sold=row[4], at=row[3]) for row in rows
                ]
                if nested:
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        except DatabaseError as error:
            reason = "timeout" if "statement timeout" in str(error) else "error"
            raise SearchUnavailable(reason, str(error).strip()[:200]) from None
        return found

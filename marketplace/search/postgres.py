"""PostgreSQL: full-text search (stemming, weights, ts_rank) over a stored, generated search_vector column with
a GIN index, and pg_trgm for typos. The column (migration 0012_search_english) is computed by PostgreSQL in
the row's own write, so the index is always current; its text search config is SEARCH_TEXT_CONFIG's, so
another language needs the column made again by a migration.
"""

from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from marketplace.models import Listing
from marketplace.search import Comparable, SearchUnavailable
from marketplace.search.synonyms import PIECE

# Lowered from pg_trgm's 0.6: a swapped pair of letters ("chiar") shares only a third of its trigrams.
WORD_SIMILARITY_THRESHOLD = 0.3
SPELLING_CANDIDATES = 300


VECTOR = '"marketplace_listing"."search_vector"'


def tsquery_text(terms: list[tuple[str, ...]], *, prefix: bool = True, any_group: bool = False) -> str:
    """to_tsquery syntax: the typed word as a prefix, each synonym as a phrase of its pieces."""
    groups = []
    for alternatives in terms:
        options = []
        for position, alternative in enumerate(alternatives):
            pieces = PIECE.findall(alternative)
            if not pieces:
                continue
            if position == 0 and prefix and len(pieces) == 1:
                options.append(f"{pieces[0]}:*")
            else:
                options.append(" <-> ".join(pieces))
        if options:
            groups.append("(" + " | ".join(options) + ")")
    return (" | " if any_group else " & ").join(groups)


class PostgresSearch:
    name = "postgresql"

    def __init__(self, *, config: str) -> None:
        self.config = config
        self.vector = VECTOR

    def listing_indexed(self, *, listing_id: int) -> None:
        return None  # the expression index changes with the row, in its transaction

    def listing_match(self, listings: QuerySet, *, terms: list[tuple[str, ...]]) -> QuerySet:
        query = f"to_tsquery('{self.config}'::regconfig, %s)"
        text = tsquery_text(terms)
        return listings.annotate(
            search_rank=RawSQL(f"ts_rank({self.vector}, {query})", [text], output_field=FloatField())
        ).filter(RawSQL(f"{self.vector} @@ {query}", [text], output_field=BooleanField()))

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
        self, *, category_id: int, words: list[str], exclude_ids: Iterable[int], limit: int, budget_ms: int
    ) -> list[Comparable]:
        text = tsquery_text([(word,) for word in words], prefix=False, any_group=True)
        if not text:
            return []
        excluded = list(exclude_ids) or [0]
        found: list[Comparable] = []
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Local to this transaction (or savepoint): the connection goes back to the pool unchanged.
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{max(budget_ms, 1)}ms"])
                for status in (Listing.Status.SOLD, Listing.Status.ACTIVE):
                    if len(found) >= limit:
                        break
                    cursor.execute(
                        f"SELECT id, title, price, COALESCE(sold_at, created_at) FROM marketplace_listing "
                        f"WHERE category_id = %s AND status = %s AND NOT (id = ANY(%s)) "
                        f"AND {self.vector} @@ to_tsquery('{self.config}'::regconfig, %s) "
                        f"ORDER BY ts_rank({self.vector}, to_tsquery('{self.config}'::regconfig, %s)) DESC, "
                        f"created_at DESC LIMIT %s",
                        [category_id, status, excluded, text, text, limit - len(found)],
                    )
                    found += [
                        Comparable(listing_id=row[0], title=row[1], price=row[2], sold=status == "sold", at=row[3])
                        for row in cursor.fetchall()
                    ]
                cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        except DatabaseError as error:
            reason = "timeout" if "statement timeout" in str(error) else "error"
            raise SearchUnavailable(reason, str(error).strip()[:200]) from None
        return found

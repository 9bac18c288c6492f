"""SQLite: FTS5 with the porter stemmer (title and description, bm25 with the title weighted), and an
unstemmed FTS5 table of titles whose vocabulary answers "did you mean". Both are external-content tables fed
by triggers on marketplace_listing, so they change in the listing's own transaction; ensure_schema puts back
triggers a table rebuild dropped.
"""

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marketplace.models import Listing
from marketplace.search import Comparable, SearchUnavailable
from marketplace.search.synonyms import PIECE

# Words of about the same length and the same first letter are compared with the typed one.
SPELLING_CANDIDATES = 5000
# The progress handler runs every this many SQLite virtual machine instructions (a few microseconds).
PROGRESS_INSTRUCTIONS = 1000

TABLES = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_fts USING fts5(title, description, content='marketplace_listing', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    # Titles' words as typed (not stemmed), for their vocabulary: what "did you mean" chooses from.
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_words USING fts5(title, content='marketplace_listing', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', detail='none')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_words_vocab USING fts5vocab(listing_words, 'row')",
]
TRIGGERS = {
    "listing_search_insert": """CREATE TRIGGER IF NOT EXISTS listing_search_insert AFTER INSERT ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
    "listing_search_delete": """CREATE TRIGGER IF NOT EXISTS listing_search_delete AFTER DELETE ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(listing_fts, rowid, title, description)
                VALUES ('delete', old.id, old.title, old.description);
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
        END""",
    "listing_search_update": """CREATE TRIGGER IF NOT EXISTS listing_search_update
        AFTER UPDATE OF title, description ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(listing_fts, rowid, title, description)
                VALUES ('delete', old.id, old.title, old.description);
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
            INSERT INTO listing_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
}
DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    "DROP TABLE IF EXISTS listing_fts",
    "DROP TABLE IF EXISTS listing_words_vocab",
    "DROP TABLE IF EXISTS listing_words",
]


def ensure_schema_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate: put the triggers back where the search tables exist (they are the migration's)."""
    from django.db import connections

    database = connections[using]
    if database.vendor != "sqlite":
        return
    with database.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'listing_fts'")
        if cursor.fetchone():
            ensure_schema(cursor)


def ensure_schema(cursor) -> None:
    """Create the FTS tables and triggers if missing, and rebuild the index when any trigger was missing.

    Django rebuilds a SQLite table for some schema changes (a new table, rows copied, the old one dropped
    with its triggers), so this runs after every migrate, not only in the migration that added search.
    """
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'marketplace_listing'")
    present = {row[0] for row in cursor.fetchall()}
    for statement in TABLES:
        cursor.execute(statement)
    if present >= set(TRIGGERS):
        return
    for statement in TRIGGERS.values():
        cursor.execute(statement)
    cursor.execute("INSERT INTO listing_fts(listing_fts) VALUES ('rebuild')")
    cursor.execute("INSERT INTO listing_words(listing_words) VALUES ('rebuild')")
    # bm25 with a match in the title worth ten in the description.
    cursor.execute("INSERT INTO listing_fts(listing_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)')")


def fts_query(terms: list[tuple[str, ...]], *, prefix: bool = True, any_group: bool = False) -> str:
    """FTS5 query syntax: the typed word as a prefix, each synonym as a phrase, every piece quoted."""
    groups = []
    for alternatives in terms:
        options = []
        for position, alternative in enumerate(alternatives):
            pieces = PIECE.findall(alternative)
            if not pieces:
                continue
            phrase = '"' + " ".join(pieces) + '"'
            options.append(phrase + "*" if position == 0 and prefix and len(pieces) == 1 else phrase)
        if options:
            groups.append("(" + " OR ".join(options) + ")")
    return (" OR " if any_group else " AND ").join(groups)


def _aware(value: str | datetime) -> datetime:
    # An expression's value has no declared type, so sqlite3 hands back the stored text.
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


class _Budget:
    """A progress handler that interrupts the statement once the budget is spent."""

    def __init__(self, budget_ms: int) -> None:
        self.deadline = time.monotonic() + budget_ms / 1000
        self.expired = False

    def __call__(self) -> int:
        self.expired = time.monotonic() >= self.deadline
        return int(self.expired)


class SqliteSearch:
    name = "sqlite"

    def listing_indexed(self, *, listing_id: int) -> None:
        return None  # the triggers changed the FTS tables in the listing's transaction

    def listing_match(self, listings: QuerySet, *, terms: list[tuple[str, ...]]) -> QuerySet:
        # A join (extra) rather than "id IN (...)": the FTS table's rank is wanted per row. The "+" keeps SQLite
        # from walking the listings and running the full-text query once for each (a second at 20,000 rows).
        return listings.extra(
            tables=["listing_fts"],
            where=["+listing_fts.rowid = marketplace_listing.id", "listing_fts MATCH %s"],
            params=[fts_query(terms)],
            select={"search_rank": "-listing_fts.rank"},
        )

    def spelling_candidates(self, *, word: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term FROM listing_words_vocab WHERE term >= %s AND term < %s "
                "AND length(term) BETWEEN %s AND %s ORDER BY doc DESC LIMIT %s",
                [word[0], chr(ord(word[0]) + 1), len(word) - 2, len(word) + 2, SPELLING_CANDIDATES],
            )
            return [row[0] for row in cursor.fetchall()]

    def listing_comparables(
        self, *, category_id: int, words: list[str], exclude_ids: Iterable[int], limit: int, budget_ms: int
    ) -> list[Comparable]:
        query = fts_query([(word,) for word in words], prefix=False, any_group=True)
        if not query:
            return []
        excluded = list(exclude_ids)
        placeholders = ", ".join("%s" for _ in excluded) or "-1"  # ids are positive: nothing excluded
        budget = _Budget(budget_ms)
        found: list[Comparable] = []
        connection.ensure_connection()
        connection.connection.set_progress_handler(budget, PROGRESS_INSTRUCTIONS)
        try:
            with connection.cursor() as cursor:
                for status in (Listing.Status.SOLD, Listing.Status.ACTIVE):
                    if len(found) >= limit:
                        break
                    cursor.execute(
                        "SELECT l.id, l.title, l.price, COALESCE(l.sold_at, l.created_at) FROM listing_fts "
                        "JOIN marketplace_listing l ON l.id = +listing_fts.rowid WHERE listing_fts MATCH %s "
                        f"AND l.category_id = %s AND l.status = %s AND l.id NOT IN ({placeholders}) "
                        "ORDER BY listing_fts.rank, l.created_at DESC LIMIT %s",
                        [query, category_id, status, *excluded, limit - len(found)],
                    )
                    found += [
                        Comparable(
                            listing_id=row[0],
                            title=row[1],
                            price=Decimal(str(row[2])),
                            sold=status == "sold",
                            at=_aware(row[3]),
                        )
                        for row in cursor.fetchall()
                    ]
        except DatabaseError as error:
            raise SearchUnavailable("timeout" if budget.expired else "error", str(error)[:200]) from None
        finally:
            connection.connection.set_progress_handler(None, 0)
        return found

"""SQLite: FTS5 over each listing's title and description stemmed in English and in Italian (bm25, the title
weighted), and an unstemmed FTS5 table of titles whose vocabulary answers "did you mean". FTS5 stems only English
(porter), so the stems are made in Python (marketplace.search.stems, the Snowball stemmers PostgreSQL uses) by a
function registered on every connection, search_stems, which the triggers on marketplace_listing call: the index
changes in the listing's own transaction. The stems table is contentless (it keeps no copy of the text); the
words table has the listing as its external content. ensure_schema puts back triggers a table rebuild dropped.
A write to marketplace_listing from outside Django (the sqlite3 shell) fails on the missing function.
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
from marketplace.search.stems import LANGUAGES, stems, word_forms

# Words of about the same length and the same first letter are compared with the typed one.
SPELLING_CANDIDATES = 5000
# The progress handler runs every this many SQLite virtual machine instructions (a few microseconds).
PROGRESS_INSTRUCTIONS = 1000

# Each language's stems of the title and of the description, in this order (the rank's weights follow it).
COLUMNS = {language: (f"title_{language[:2]}", f"description_{language[:2]}") for language in LANGUAGES}
_COLUMN_NAMES = [name for pair in COLUMNS.values() for name in pair]


def _stemmed_values(row: str) -> str:
    """The SQL of the stemmed columns' values, in _COLUMN_NAMES' order, for the listing row named `row`."""
    return ", ".join(
        f"search_stems({row}.{field}, '{language}')" for language in LANGUAGES for field in ("title", "description")
    )


TABLES = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS listing_fts USING fts5({', '.join(_COLUMN_NAMES)}, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    # Titles' words as typed (not stemmed), for their vocabulary: what "did you mean" chooses from.
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_words USING fts5(title, content='marketplace_listing', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', detail='none')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_words_vocab USING fts5vocab(listing_words, 'row')",
]
_INSERT = f"INSERT INTO listing_fts(rowid, {', '.join(_COLUMN_NAMES)}) VALUES (new.id, {_stemmed_values('new')});"
# A contentless table forgets a row by being given the stems it was indexed with.
_DELETE = (
    f"INSERT INTO listing_fts(listing_fts, rowid, {', '.join(_COLUMN_NAMES)}) "
    f"VALUES ('delete', old.id, {_stemmed_values('old')});"
)
TRIGGERS = {
    "listing_search_insert": f"""CREATE TRIGGER IF NOT EXISTS listing_search_insert AFTER INSERT ON marketplace_listing
        BEGIN
            {_INSERT}
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
    "listing_search_delete": f"""CREATE TRIGGER IF NOT EXISTS listing_search_delete AFTER DELETE ON marketplace_listing
        BEGIN
            {_DELETE}
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
        END""",
    "listing_search_update": f"""CREATE TRIGGER IF NOT EXISTS listing_search_update
        AFTER UPDATE OF title, description ON marketplace_listing
        BEGIN
            {_DELETE}
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
            {_INSERT}
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
}
DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    "DROP TABLE IF EXISTS listing_fts",
    "DROP TABLE IF EXISTS listing_words_vocab",
    "DROP TABLE IF EXISTS listing_words",
]


def register_functions(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection search_stems, which the search triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("search_stems", 2, stems, deterministic=True)


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
    rebuild(cursor)


def rebuild(cursor) -> None:
    """Index every listing again (a contentless table cannot 'rebuild' itself: it is emptied and refilled)."""
    cursor.execute("INSERT INTO listing_fts(listing_fts) VALUES ('delete-all')")
    cursor.execute(
        f"INSERT INTO listing_fts(rowid, {', '.join(_COLUMN_NAMES)}) "
        f"SELECT id, {_stemmed_values('marketplace_listing')} FROM marketplace_listing"
    )
    cursor.execute("INSERT INTO listing_words(listing_words) VALUES ('rebuild')")
    # bm25 with a match in the title worth ten in the description, in either language.
    weights = ", ".join("10.0" if name.startswith("title") else "1.0" for name in _COLUMN_NAMES)
    cursor.execute(f"INSERT INTO listing_fts(listing_fts, rank) VALUES ('rank', 'bm25({weights})')")


def fts_query(terms: list[tuple[str, ...]], *, prefix: bool = True, any_group: bool = False) -> str:
    """FTS5 query syntax: each group matches in either language's columns, its words stemmed in that language; the
    typed word as a prefix in English and in each of its forms in Italian (as on PostgreSQL: tsquery_text), each
    synonym as a phrase, every stem quoted."""
    groups = []
    for alternatives in terms:
        options = []
        for language, columns in COLUMNS.items():
            phrases = []
            for position, alternative in enumerate(alternatives):
                pieces = stems(alternative, language).split()
                if not pieces:
                    continue
                if position == 0 and len(pieces) == 1 and language == "english":
                    phrases.append(f'"{pieces[0]}"' + ("*" if prefix else ""))
                elif position == 0 and len(pieces) == 1:
                    forms = dict.fromkeys(stems(form, language) for form in word_forms(alternative, language))
                    phrases.extend(f'"{form}"' for form in forms)
                else:
                    phrases.append('"' + " ".join(pieces) + '"')
            if phrases:
                options.append("{" + " ".join(columns) + "} : (" + " OR ".join(phrases) + ")")
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
        self, *, category_slug: str, words: list[str], exclude_ids: Iterable[int], limit: int, budget_ms: int
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
                # Sold first; the active ones only when the sold are too few (SQLite has no round trip to save).
                for status in (Listing.Status.SOLD, Listing.Status.ACTIVE):
                    if len(found) >= limit:
                        break
                    cursor.execute(
                        "SELECT l.id, l.title, l.price, COALESCE(l.sold_at, l.created_at) FROM listing_fts "
                        "JOIN marketplace_listing l ON l.id = +listing_fts.rowid WHERE listing_fts MATCH %s "
                        "AND l.category_id = (SELECT id FROM marketplace_category WHERE slug = %s) AND l.status = %s "
                        f"AND l.id NOT IN ({placeholders}) ORDER BY listing_fts.rank, l.created_at DESC LIMIT %s",
                        [query, category_slug, status, *excluded, limit - len(found)],
                    )
                    found += [
                        Comparable(
                            listing_id=row[0],
                            title=row[1],
                            price=Decimal(str(row[2])),
                            sold=status == Listing.Status.SOLD,
                            at=_aware(row[3]),
                        )
                        for row in cursor.fetchall()
                    ]
        except DatabaseError as error:
            raise SearchUnavailable("timeout" if budget.expired else "error", str(error)[:200]) from None
        finally:
            connection.connection.set_progress_handler(None, 0)
        return found

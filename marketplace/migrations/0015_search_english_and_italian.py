from django.conf import settings
from django.db import migrations

# A listing is written in English or in Italian and a buyer searches in either, so every listing's words are
# indexed in both languages and each query word matches in either (marketplace.search.stems).
# PostgreSQL: the generated search_vector column made again as the english vector followed by the italian one (the
# positions of the second follow the first, so a phrase still matches within one language), title weighted above
# description, with its GIN index. A generated column cannot pick its configuration from another column, and the
# listing's language is not known when it is saved; the README's search benchmark has what the second vector costs.
# SQLite: the FTS5 table of porter stems made again as a contentless table of English and Italian stems
# (marketplace.search.sqlite), fed by the same triggers.


def _vector(configs: tuple[str, ...]) -> str:
    parts = [
        f"setweight(to_tsvector('{config}'::regconfig, COALESCE(\"{field}\", '')), '{weight}')"
        for field, weight in (("title", "A"), ("description", "B"))
        for config in configs
    ]
    return "(" + " || ".join(parts) + ")"


def _postgres(configs: tuple[str, ...]) -> list[str]:
    return [
        "DROP INDEX IF EXISTS listing_search_vector",
        "ALTER TABLE marketplace_listing DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE marketplace_listing ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_vector(configs)}) "
        "STORED",
        # fastupdate off, as in 0012: no pending list for every search to scan after a bulk of new listings.
        "CREATE INDEX listing_search_vector ON marketplace_listing USING gin (search_vector) WITH (fastupdate = off)",
    ]


# What 0012 made, to go back to: one configuration, and on SQLite the porter table kept by the same triggers.
SQLITE_0012 = [
    "CREATE VIRTUAL TABLE listing_fts USING fts5(title, description, content='marketplace_listing', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    """CREATE TRIGGER listing_search_insert AFTER INSERT ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
    """CREATE TRIGGER listing_search_delete AFTER DELETE ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(listing_fts, rowid, title, description)
                VALUES ('delete', old.id, old.title, old.description);
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
        END""",
    """CREATE TRIGGER listing_search_update AFTER UPDATE OF title, description ON marketplace_listing
        BEGIN
            INSERT INTO listing_fts(listing_fts, rowid, title, description)
                VALUES ('delete', old.id, old.title, old.description);
            INSERT INTO listing_words(listing_words, rowid, title) VALUES ('delete', old.id, old.title);
            INSERT INTO listing_fts(rowid, title, description) VALUES (new.id, new.title, new.description);
            INSERT INTO listing_words(rowid, title) VALUES (new.id, new.title);
        END""",
    "INSERT INTO listing_fts(listing_fts) VALUES ('rebuild')",
    "INSERT INTO listing_fts(listing_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS listing_search_insert",
    "DROP TRIGGER IF EXISTS listing_search_delete",
    "DROP TRIGGER IF EXISTS listing_search_update",
    "DROP TABLE IF EXISTS listing_fts",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _postgres(("english", "italian")):
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        from marketplace.search.sqlite import ensure_schema

        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
        with schema_editor.connection.cursor() as cursor:
            ensure_schema(cursor)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in _postgres((settings.SEARCH_TEXT_CONFIG,)):
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in [*SQLITE_DROP, *SQLITE_0012]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0014_category_attributes")]

    operations = [migrations.RunPython(forwards, backwards)]

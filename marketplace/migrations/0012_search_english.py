from django.conf import settings
from django.db import migrations

# PostgreSQL: a stored generated column with the listing's search vector (title weighted above description, in
# SEARCH_TEXT_CONFIG) and its GIN index, and a trigram index on titles for "did you mean". A stored vector, not
# an expression index: ranking and rechecking thousands of matches would otherwise stem every one of them again.
# While the column exists, changing the type of title or description needs it dropped and added again.
# SQLite: FTS5 tables kept by triggers (marketplace.search.sqlite). Both change in the listing's transaction.
CONFIG = settings.SEARCH_TEXT_CONFIG
VECTOR = (
    f"(setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE(\"title\", '')), 'A') || "
    f"setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE(\"description\", '')), 'B'))"
)
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"ALTER TABLE marketplace_listing ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED",
    # fastupdate off: a new listing goes straight into the index instead of a pending list that every search
    # scans in full until the next vacuum (a bulk of new listings made searches several times slower).
    "CREATE INDEX IF NOT EXISTS listing_search_vector ON marketplace_listing USING gin (search_vector) "
    "WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS listing_title_trigram ON marketplace_listing USING gin (title gin_trgm_ops) "
    "WITH (fastupdate = off)",
    # The sold comparables of a category are few; this finds them without walking the active ones.
    "CREATE INDEX IF NOT EXISTS listing_category_sold ON marketplace_listing (category_id) WHERE status = 'sold'",
    "DROP INDEX IF EXISTS listing_search_simple",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS listing_search_vector",
    "ALTER TABLE marketplace_listing DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS listing_title_trigram",
    "DROP INDEX IF EXISTS listing_category_sold",
    "CREATE INDEX IF NOT EXISTS listing_search_simple ON marketplace_listing USING gin "
    "(to_tsvector('simple'::regconfig, COALESCE(\"title\", '') || ' ' || COALESCE(\"description\", '')))",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        from marketplace.search.sqlite import ensure_schema

        with schema_editor.connection.cursor() as cursor:
            ensure_schema(cursor)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement)
    elif schema_editor.connection.vendor == "sqlite":
        from marketplace.search.sqlite import DROP

        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_ratings")]

    operations = [migrations.RunPython(create, drop)]

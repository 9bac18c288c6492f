from django.db import migrations

# A GIN index over the same expression marketplace.selectors.SEARCH_VECTOR builds, on PostgreSQL only
# (SQLite has no such index; there the search falls back to LIKE).
CREATE = """
CREATE INDEX IF NOT EXISTS listing_search_simple ON marketplace_listing
USING gin (to_tsvector('simple'::regconfig, COALESCE("title", '') || ' ' || COALESCE("description", '')))
"""
DROP = "DROP INDEX IF EXISTS listing_search_simple"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_seed_categories")]

    operations = [migrations.RunPython(create, drop)]

from django.db import migrations, models

# Containment (attributes_search @> '{"brand": "sony"}') is what jsonb_path_ops serves, in a smaller index
# than the default jsonb_ops; PostgreSQL only (SQLite filters the same key by key, without an index).
CREATE = """
CREATE INDEX IF NOT EXISTS listing_attributes_search ON marketplace_listing
USING gin ("attributes_search" jsonb_path_ops)
"""
DROP = "DROP INDEX IF EXISTS listing_attributes_search"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def fill(apps, schema_editor):
    # The rule of marketplace.attributes.attribute_search_key, copied: a migration must not import app code.
    Listing = apps.get_model("marketplace", "Listing")
    for listing in Listing.objects.exclude(attributes={}).only("pk", "attributes").iterator():
        keys = {slug: " ".join(str(value).split()).casefold() for slug, value in listing.attributes.items()}
        Listing.objects.filter(pk=listing.pk).update(attributes_search=keys)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0015_search_english_and_italian")]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="attributes_search",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]

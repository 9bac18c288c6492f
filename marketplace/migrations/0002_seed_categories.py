from django.db import migrations

CATEGORIES = [
    ("electronics", "Electronics"),
    ("furniture", "Furniture"),
    ("clothing", "Clothing"),
    ("vehicles", "Vehicles"),
    ("sports", "Sports"),
    ("home-garden", "Home & Garden"),
    ("books", "Books"),
    ("toys-kids", "Toys & Kids"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

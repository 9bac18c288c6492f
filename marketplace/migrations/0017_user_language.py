from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0016_listing_attributes_search")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(blank=True, default="", max_length=10),
        ),
    ]

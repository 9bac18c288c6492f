"""Reports outlive their listing (issue 12): the listing becomes optional, and the seller and title are kept."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_seller_and_title(apps, schema_editor):
    Report = apps.get_model("marketplace", "Report")
    for report in Report.objects.select_related("listing").filter(listing__isnull=False).iterator():
        report.seller_id, report.listing_title = report.listing.seller_id, report.listing.title
        report.save(update_fields=["seller", "listing_title"])


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0004_photo_medium"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="report",
            name="listing",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reports",
                to="marketplace.listing",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="seller",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reports_received",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="listing_title",
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.RunPython(copy_seller_and_title, migrations.RunPython.noop),
    ]

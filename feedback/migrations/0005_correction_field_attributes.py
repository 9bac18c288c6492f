from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_posting_facts_from_outcomes")]

    operations = [
        migrations.AlterField(
            model_name="correction",
            name="field",
            field=models.CharField(max_length=40),
        ),
    ]

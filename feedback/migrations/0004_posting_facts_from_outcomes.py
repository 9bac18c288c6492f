"""The posting facts now live on the analysis (ai_prefill 0006): fill them in for analyses posted before, from
what feedback had recorded (the outcome's posting time and regenerate count, the initial corrections' posted
values), then drop the outcome's own regenerate count."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def _facts_from_outcomes(apps, schema_editor):
    Analysis = apps.get_model("ai_prefill", "Analysis")
    Outcome = apps.get_model("feedback", "Outcome")
    Correction = apps.get_model("feedback", "Correction")
    outcomes = Outcome.objects.filter(analysis=OuterRef("pk"))
    Analysis.objects.filter(outcome__isnull=False).update(
        posted_at=Subquery(outcomes.values("posted_at")[:1]),
        regenerate_count=Subquery(outcomes.values("regenerate_count")[:1]),
    )
    posted = Analysis.objects.filter(posted_at__isnull=False, posted_values__isnull=True)
    for analysis in posted.iterator():
        values = dict(
            Correction.objects.filter(analysis=analysis, kind="initial").order_by("created_at", "id").values_list(
                "field", "final"
            )
        )
        if values:
            Analysis.objects.filter(pk=analysis.pk).update(posted_values=values)


def _outcomes_from_facts(apps, schema_editor):
    Analysis = apps.get_model("ai_prefill", "Analysis")
    Outcome = apps.get_model("feedback", "Outcome")
    for analysis_id, count in Analysis.objects.filter(regenerate_count__gt=0).values_list("pk", "regenerate_count"):
        Outcome.objects.filter(analysis_id=analysis_id).update(regenerate_count=count)


class Migration(migrations.Migration):
    dependencies = [
        ("ai_prefill", "0006_analysis_posting_facts"),
        ("feedback", "0003_eval_models_to_evals"),
    ]

    operations = [
        migrations.RunPython(_facts_from_outcomes, _outcomes_from_facts),
        migrations.RemoveField(model_name="outcome", name="regenerate_count"),
    ]

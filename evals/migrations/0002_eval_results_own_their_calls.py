"""An eval result owns a real relation to its model calls (it kept their ids in a JSON list), and those calls are
marked as made for an evaluation, so that no production figure counts them."""

from django.db import migrations, models


def _relation_from_ids(apps, schema_editor):
    EvalResult = apps.get_model("evals", "EvalResult")
    LLMCall = apps.get_model("ai_prefill", "LLMCall")
    Through = EvalResult.llm_calls.through
    for result in EvalResult.objects.exclude(llm_call_ids=[]).only("pk", "llm_call_ids").iterator():
        existing = set(LLMCall.objects.filter(pk__in=result.llm_call_ids).values_list("pk", flat=True))
        Through.objects.bulk_create([Through(evalresult_id=result.pk, llmcall_id=pk) for pk in sorted(existing)])
        LLMCall.objects.filter(pk__in=existing).update(purpose="eval")


def _ids_from_relation(apps, schema_editor):
    EvalResult = apps.get_model("evals", "EvalResult")
    for result in EvalResult.objects.all().iterator():
        result.llm_call_ids = sorted(result.llm_calls.values_list("pk", flat=True))
        result.save(update_fields=["llm_call_ids"])


class Migration(migrations.Migration):
    dependencies = [
        ("ai_prefill", "0007_llm_call_purpose"),
        ("evals", "0001_eval_models_from_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="evalresult",
            name="llm_calls",
            field=models.ManyToManyField(blank=True, related_name="eval_results", to="ai_prefill.llmcall"),
        ),
        migrations.RunPython(_relation_from_ids, _ids_from_relation),
        migrations.RemoveField(model_name="evalresult", name="llm_call_ids"),
    ]

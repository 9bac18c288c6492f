"""An evaluation run calls the model for real, and none of it counts as production: /metrics, the dashboard's
volume, errors, latency and spend, and the budget alert read the same before and after it."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ai_prefill.models import LLMCall
from ai_prefill.services import analysis_run, analysis_start
from insights.alerts import alerts_due
from tests.evals.eval_cases import make_case
from tests.factories import jpeg_bytes, photo_upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_categories")]


def metric_samples(client) -> dict:
    cache.clear()  # /metrics keeps its database part for a few seconds
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name.startswith(("trova_llm", "trova_ai"))
    }


def dashboard_figures(client) -> dict:
    context = client.get("/staff/ai/?window=24h").context
    current, data = context["current"], context["data"]
    return {
        "spend today": current.spend_today.value,
        "failed last hour": current.failed_last_hour.value,
        "analyses": data.analyses.value,
        "failed": data.failed.value,
        "error rate": data.error_rate.value,
        "errors by type": [(name, figure.value) for name, figure, _ in data.errors_by_type],
        "latency": data.latency_ms,
        "tokens": (data.input_tokens, data.output_tokens),
        "cost": (data.cost, data.spend.value),
        "variants": [(row.variant, row.calls, row.tokens, row.cost, row.latency_p95_ms) for row in data.variants],
    }


def test_an_eval_run_leaves_the_production_figures_unchanged(client, settings, seller, staff, fake_openai):
    settings.DEBUG = True  # /metrics without a token
    settings.AI_DAILY_BUDGET = 0.000001  # any production spend passes it
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=jpeg_bytes(320, 240))])
    analysis_run(analysis_id=analysis.pk)
    client.force_login(staff)
    before = (metric_samples(client), dashboard_figures(client), [a.key for a in alerts_due(now=timezone.now())])
    assert before[0][("trova_llm_calls_total", (("error_type", ""), ("model", "gpt-4o-mini")))] == 1
    assert any(key.startswith("budget:") for key in before[2])
    make_case("isolation", "red", "electronics", price=(20, 80), words=["headphones"])
    make_case("isolation", "blue", "clothing", words=["jeans"])
    fake_openai.script(["ok", "500", "500", "500"])  # one answer, one case failing on server errors

    call_command("eval", "--dataset", "isolation", "--model", "gpt-4o-mini", "--concurrency", "1", stdout=io.StringIO())

    eval_calls = LLMCall.objects.filter(purpose=LLMCall.Purpose.EVAL)
    assert eval_calls.count() == 4 and eval_calls.filter(error_type="server_error").count() == 3
    after = (metric_samples(client), dashboard_figures(client), [a.key for a in alerts_due(now=timezone.now())])
    assert after == before

"""/metrics in Prometheus text format: real analyses through the lifecycle, and who may scrape."""

import pytest
from django.core.cache import cache
from prometheus_client.parser import text_string_to_metric_families

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import analysis_run, analysis_start
from tests.factories import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def start(user) -> Analysis:
    return analysis_start(user=user, uploads=[photo_upload(data=jpeg_bytes(320, 240))])


def test_it_reports_real_analyses_llm_calls_tokens_and_cost(client, settings, seller, fake_openai, published_tasks):
    settings.DEBUG = True
    fake_openai.script(["ok", "500", "500", "500"])
    succeeded, failed = start(seller), start(seller)
    analysis_run(analysis_id=succeeded.pk)
    analysis_run(analysis_id=failed.pk)
    start(seller)  # stays pending: the queue
    calls = LLMCall.objects.all()
    model = calls[0].model
    failed.refresh_from_db()

    metrics = samples(client.get("/metrics"))

    assert metrics[("trova_ai_analyses", (("status", "succeeded"), ("variant", "")))] == 1
    assert metrics[("trova_ai_analyses", (("status", "failed"), ("variant", "")))] == 1
    assert metrics[("trova_ai_queue_depth", ())] == 1
    assert metrics[("trova_ai_oldest_pending_age_seconds", ())] >= 0
    assert metrics[("trova_llm_calls_total", (("error_type", ""), ("model", model)))] == 1
    assert (
        metrics[
            ("trova_llm_calls_total", (("error_type", calls.filter(error_type__gt="")[0].error_type), ("model", model)))
        ]
        == 3
    )
    assert metrics[("trova_llm_input_tokens_total", (("model", model),))] == sum(c.input_tokens for c in calls)
    assert metrics[("trova_llm_input_tokens_total", (("model", model),))] > 0
    assert metrics[("trova_llm_output_tokens_total", (("model", model),))] == sum(c.output_tokens for c in calls)
    assert metrics[("trova_llm_cost_total", (("model", model),))] == pytest.approx(float(sum(c.cost for c in calls)))
    assert metrics[("trova_llm_call_duration_seconds_count", (("model", model),))] == 4
    assert metrics[("trova_llm_call_duration_seconds_bucket", (("le", "+Inf"), ("model", model)))] == 4
    assert metrics[("trova_llm_call_duration_seconds_sum", (("model", model),))] == pytest.approx(
        sum(c.latency_ms for c in calls) / 1000
    )
    assert metrics[("trova_ai_metrics_database_up", ())] == 1


def test_it_builds_the_latency_histogram_from_the_calls(client, settings, rows):
    settings.DEBUG = True
    for latency_ms in (400, 900, 2500, 45_000):
        rows.call(latency_ms=latency_ms, model="m")

    metrics = samples(client.get("/metrics"))

    def bucket(le: str) -> float:
        return metrics[("trova_llm_call_duration_seconds_bucket", (("le", le), ("model", "m")))]

    assert (bucket("0.5"), bucket("1.0"), bucket("2.0"), bucket("3.0"), bucket("30.0"), bucket("60.0")) == (
        1,
        2,
        2,
        3,
        3,
        4,
    )


def test_it_counts_http_requests_by_route_name(client, settings, staff):
    settings.DEBUG = True
    client.force_login(staff)
    before = samples(client.get("/metrics"))
    key = ("trova_http_requests_total", (("method", "GET"), ("route", "ai_monitoring:dashboard"), ("status", "200")))

    client.get("/staff/ai/")
    client.get("/no-such-page/")
    after = samples(client.get("/metrics"))

    assert after[key] - before.get(key, 0) == 1
    assert (
        "trova_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "ai_monitoring:dashboard")),
    ) in after
    assert any(name == "trova_http_requests_total" and ("route", "unmatched") in labels for name, labels in after)


def test_it_refuses_scrapers_without_the_token_when_debug_is_off(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_IPS = []

    refused = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    assert refused.status_code == 403
    assert "METRICS_TOKEN" in refused.content.decode()
    assert wrong.status_code == 403
    assert allowed.status_code == 200
    assert b"trova_ai_queue_depth" in allowed.content


def test_it_lets_allowed_addresses_scrape_without_a_token(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 403


def test_it_is_closed_when_debug_is_off_and_nothing_is_configured(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code == 403

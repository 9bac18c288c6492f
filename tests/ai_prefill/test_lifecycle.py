"""The model lifecycle watch: shutdown dates from GET /v1/models/{id}, shown, scraped, listed and mailed once."""

import datetime
import io

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from ai_prefill.lifecycle import configs_check, lifecycle_alerts_send, model_lifecycle_check, models_in_use
from ai_prefill.models import LLMCall, ModelLifecycle
from ai_prefill.tasks import model_lifecycle_task
from tests.ai_prefill.rollout_helpers import experiment, variant
from tests.factories import UserFactory
from tests.insights.test_metrics import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(fake_openai, settings):
    settings.AI_MODEL = "gpt-4o-mini"
    return fake_openai


def test_it_stores_the_shutdown_date_of_every_model_in_use(watched):
    candidate = variant("luna", model="gpt-6-luna", prompt_version="prefill-v3")
    experiment((variant("current"), 90), (candidate, 10))
    for _ in range(2):  # two cases of one eval run
        LLMCall.objects.create(provider="openai", model="gpt-5-mini", api_style="responses", purpose="eval",
                               prompt_version="prefill-v1", started_at=timezone.now())  # fmt: skip

    model_lifecycle_check()

    assert [(use.model, use.uses) for use in models_in_use()] == [
        ("gpt-4o-mini", ("default", "variant current")),
        ("gpt-5-mini", ("eval runs",)),
        ("gpt-6-luna", ("variant luna",)),
    ]
    stored = {row.model: (row.status, row.shutdown_date) for row in ModelLifecycle.objects.all()}
    assert stored == {
        "gpt-4o-mini": ("retiring", datetime.date(2027, 1, 14)),
        "gpt-5-mini": ("retiring", datetime.date(2026, 12, 11)),
        "gpt-6-luna": ("active", None),
    }
    assert [request.path for request in watched.requests] == [
        "/v1/models/gpt-4o-mini", "/v1/models/gpt-5-mini", "/v1/models/gpt-6-luna"
    ]  # fmt: skip


def test_a_server_without_a_models_endpoint_is_unknown_not_an_error(watched, settings):
    settings.AI_MODEL = "llava:13b"
    watched.models_endpoint = False

    (row,) = model_lifecycle_check()

    assert (row.status, row.shutdown_date) == ("unknown", None)
    assert row.detail == "The provider has no models endpoint (a local server?)."


def test_the_command_lists_the_models_with_their_dates(watched):
    out = io.StringIO()

    call_command("models", stdout=out)

    left = (datetime.date(2027, 1, 14) - timezone.localdate()).days
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["model", "shutdown", "days", "left", "used", "by"]
    assert lines[1].split()[:4] == ["gpt-4o-mini", "2027-01-14", str(left), "default"]
    assert lines[1].endswith(f"gpt-4o-mini shuts down on 14 Jan 2027: {left} days left.")


def test_staff_are_mailed_once_per_threshold(watched):
    UserFactory(username="lead", email="lead@example.com", is_staff=True)
    model_lifecycle_check()

    first = lifecycle_alerts_send(today=datetime.date(2026, 11, 15))  # 60 days before
    again = lifecycle_alerts_send(today=datetime.date(2026, 11, 16))
    thirty = lifecycle_alerts_send(today=datetime.date(2026, 12, 15))
    late = lifecycle_alerts_send(today=datetime.date(2027, 1, 10))  # 4 days: the 14 and 7 days at once, in one mail

    assert first == ["gpt-4o-mini shuts down on 14 Jan 2027: 60 days left."]
    assert again == [] and len(thirty) == 1 and len(late) == 1
    assert [message.to for message in mail.outbox] == [["lead@example.com"]] * 3
    assert "Run the upgrade path" in mail.outbox[0].body and "(default)" in mail.outbox[0].body
    assert ModelLifecycle.objects.get(model="gpt-4o-mini").alerted_days == [60, 30, 14, 7]


def test_the_daily_task_checks_and_alerts(watched):
    UserFactory(username="lead", email="lead@example.com", is_staff=True)

    model_lifecycle_task()

    # 2 December 2026 or later: gpt-4o-mini's 14 January is 60 days or less away.
    assert ModelLifecycle.objects.get(model="gpt-4o-mini").shutdown_date == datetime.date(2027, 1, 14)
    assert len(mail.outbox) == 1 and "gpt-4o-mini shut" in mail.outbox[0].subject


def test_metrics_and_the_dashboard_show_the_days_left(watched, client, settings, staff):
    settings.DEBUG = True
    settings.AI_MODEL = "llava:13b"
    watched.models_endpoint = False
    model_lifecycle_check()
    settings.AI_MODEL = "gpt-4o-mini"
    watched.models_endpoint = True
    model_lifecycle_check()
    cache.clear()

    metrics = samples(client.get("/metrics"))
    client.force_login(staff)
    page = client.get("/staff/ai/").content.decode()

    left = (datetime.date(2027, 1, 14) - timezone.localdate()).days
    assert metrics[("trova_model_days_left", (("model", "gpt-4o-mini"),))] == left
    assert metrics[("trova_model_shutdown_unknown", (("model", "llava:13b"),))] == 1
    assert f"gpt-4o-mini shuts down on 14 Jan 2027: {left} days left. Run the upgrade path" in page


def test_a_running_variant_the_model_refuses_is_named_at_worker_start(settings):
    settings.AI_PROVIDER = "openai"
    bad = variant("luna-warm", model="gpt-6-luna", prompt_version="prefill-v1", params={"temperature": 0.5})
    experiment((variant("current"), 90), (bad, 10))

    assert configs_check() == [
        "Variant 'luna-warm' (gpt-6-luna): gpt-6-luna is a reasoning model: it takes temperature only with "
        'reasoning_effort "none". Leave temperature out.'
    ]

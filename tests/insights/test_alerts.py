"""The periodic alert: error rate over the last 15 minutes (with a minimum sample) and today's spend."""

import logging
import os
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from ai_prefill.models import Analysis
from insights.alerts import alerts_check
from insights.tasks import check_alerts_task

pytestmark = pytest.mark.django_db
S = Analysis.Status


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    cache.clear()
    settings.ADMINS = [("On call", "oncall@example.com")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AI_ALERT_ERROR_RATE = 0.5
    settings.AI_ALERT_MIN_SAMPLE = 10
    settings.AI_ALERT_WINDOW_MINUTES = 15
    settings.AI_DAILY_BUDGET = 1
    yield
    cache.clear()


def finished(rows, *, succeeded: int, failed: int, minutes_ago: int = 5) -> None:
    created_at = timezone.now() - timedelta(minutes=minutes_ago)
    for _ in range(succeeded):
        rows.analysis(created_at=created_at)
    for _ in range(failed):
        rows.analysis(status=S.FAILED, created_at=created_at, error_type="server_error")


def alert_records(caplog) -> list[logging.LogRecord]:
    return [
        record for record in caplog.records if record.levelno == logging.ERROR and "AI alert" in record.getMessage()
    ]


def test_it_alerts_once_when_the_error_rate_passes_its_limit(rows, caplog):
    finished(rows, succeeded=4, failed=6)

    check_alerts_task()
    check_alerts_task()  # the next run a minute later finds the same incident

    records = alert_records(caplog)
    assert len(records) == 1
    assert "error rate 60%" in records[0].getMessage()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["oncall@example.com"]
    assert "6 of the 10 analyses uploaded in the last 15 minutes" in mail.outbox[0].body


def test_it_alerts_again_after_the_silence_period(rows, settings):
    finished(rows, succeeded=0, failed=10)
    now = timezone.now()

    first = alerts_check(now=now)
    cache.delete("monitoring:alert:error-rate")  # what expiry after AI_ALERT_REPEAT_MINUTES does
    second = alerts_check(now=now)

    assert [alert.key for alert in first] == ["error-rate"]
    assert [alert.key for alert in second] == ["error-rate"]


def test_it_waits_for_the_minimum_sample(rows, caplog):
    finished(rows, succeeded=0, failed=9)  # 100% failed, but only 9 finished

    check_alerts_task()

    assert alert_records(caplog) == []
    assert mail.outbox == []


def test_it_stays_quiet_below_the_error_rate(rows, caplog):
    finished(rows, succeeded=6, failed=4)

    check_alerts_task()

    assert alert_records(caplog) == []


def test_it_ignores_failures_older_than_the_window(rows, caplog):
    finished(rows, succeeded=0, failed=20, minutes_ago=20)
    finished(rows, succeeded=10, failed=0)

    check_alerts_task()

    assert alert_records(caplog) == []


def test_it_alerts_once_a_day_when_spend_passes_the_budget(rows, caplog):
    rows.call(cost="0.6")
    check_alerts_task()
    assert alert_records(caplog) == []

    rows.call(cost="0.5")
    check_alerts_task()
    check_alerts_task()

    records = alert_records(caplog)
    assert len(records) == 1
    assert "spend today 1.10 passed the daily budget 1.00" in records[0].getMessage()
    assert [message.subject for message in mail.outbox] == [
        "[Trova] AI pre-fill spend today 1.10 passed the daily budget 1.00"
    ]


def test_the_budget_alert_says_whose_spend_it_cannot_count(rows, caplog):
    rows.call(cost="1.2")
    rows.call(cost=None, model="llava:13b")

    check_alerts_task()
    check_alerts_task()

    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "[Trova] AI pre-fill budget cannot count the spend of llava:13b",
        "[Trova] AI pre-fill spend today 1.20 passed the daily budget 1.00",
    ]
    assert "It cannot count the spend of llava:13b: no price is known (set AI_PRICES)." in mail.outbox[1].body


def test_the_dashboard_shows_an_unknown_price_rather_than_zero(rows, client, staff):
    rows.call(cost="0.5")
    rows.call(cost=None, model="llava:13b")
    client.force_login(staff)

    page = client.get("/staff/ai/").content.decode()

    assert "plus unknown price: llava:13b" in page


def test_it_logs_without_mailing_when_no_admins_are_configured(rows, caplog, settings):
    settings.ADMINS = []
    rows.call(cost="2")

    check_alerts_task()

    assert len(alert_records(caplog)) == 1
    assert mail.outbox == []


def test_the_worker_registers_the_alert_task_that_beat_schedules(settings):
    """In a fresh process, as a worker starts: only Celery's own imports may bring the task in."""
    import subprocess
    import sys

    code = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print(sorted(name for name in app.tasks if name.startswith('insights.')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout

    assert settings.CELERY_BEAT_SCHEDULE["check-ai-alerts"]["task"] == "insights.check_alerts"
    assert "'insights.check_alerts'" in output

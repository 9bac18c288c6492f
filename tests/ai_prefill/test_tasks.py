"""The Celery tasks, run by Celery itself in this process; the model is the fake server."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from ai_prefill.models import Analysis
from ai_prefill.services import (
    LEASE_MARGIN_SECONDS,
    analysis_enqueue,
    analysis_start,
    analysis_time_budget_seconds,
)
from ai_prefill.tasks import analyze_task, sweep_stale_analyses_task
from config.celery import app
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysis(seller):
    return analysis_start(user=seller, uploads=[photo_upload()])


def test_the_task_message_is_json_with_the_id_only(analysis, published_tasks):
    analysis_enqueue(analysis_id=analysis.pk)

    assert published_tasks() == [("ai_prefill.tasks.analyze_task", [str(analysis.pk)])]


def test_the_task_runs_the_analysis_to_its_end(analysis, fake_openai):
    analyze_task.apply(args=[str(analysis.pk)]).get()

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert len(fake_openai.requests) == 1


def test_a_second_delivery_does_not_pay_again(analysis, fake_openai):
    analyze_task.apply(args=[str(analysis.pk)]).get()
    analyze_task.apply(args=[str(analysis.pk)]).get()

    assert len(fake_openai.requests) == 1


def test_a_delivery_blocked_by_a_live_lease_looks_again_when_it_expires(analysis, fake_openai, published_tasks):
    now = timezone.now()
    Analysis.objects.filter(pk=analysis.pk).update(
        status=Analysis.Status.RUNNING, started_at=now, lease_expires_at=now + timedelta(seconds=40)
    )

    # As a worker runs it (apply() would retry eagerly, at once): a retry is published with a countdown.
    analyze_task.push_request(
        id="delivery-2", args=[str(analysis.pk)], kwargs={}, retries=0, called_directly=False, is_eager=False
    )
    try:
        with pytest.raises(Retry) as retry:
            analyze_task.run(str(analysis.pk))
    finally:
        analyze_task.pop_request()

    assert 39 <= retry.value.when <= 41  # the lease's remaining seconds, plus one
    assert published_tasks() == [("ai_prefill.tasks.analyze_task", [str(analysis.pk)])]
    assert fake_openai.requests == []


def test_the_task_is_acked_late_and_stopped_before_its_lease_runs_out():
    assert analyze_task.acks_late is True
    assert analyze_task.reject_on_worker_lost is True
    # The time limits (prefork) stop a delivery before its lease lets another one take over.
    budget = analysis_time_budget_seconds()
    assert budget <= analyze_task.soft_time_limit < analyze_task.time_limit < budget + LEASE_MARGIN_SECONDS
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_the_sweep_runs_on_beat_and_fails_stale_analyses(analysis):
    Analysis.objects.filter(pk=analysis.pk).update(created_at=timezone.now() - timedelta(days=1))
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]

    assert sweep_stale_analyses_task.name in scheduled
    assert sweep_stale_analyses_task.apply().get() == {"timed_out": 1, "requeued": 0}
    assert Analysis.objects.get(pk=analysis.pk).error_type == "timed_out"

"""Periodic checks across analyses and feedback: the alerts and the rollout guardrail."""

from celery import shared_task
from django.utils import timezone

from insights.alerts import alerts_check
from insights.guardrail import guardrail_check


@shared_task(name="insights.check_alerts", ignore_result=True)
def check_alerts_task() -> None:
    alerts_check(now=timezone.now())


@shared_task(ignore_result=True)
def rollout_guardrail_task() -> list[str]:
    trip = guardrail_check()
    return trip.reasons if trip else []

"""Periodic monitoring tasks. The worker imports this module through CELERY_IMPORTS (see settings)."""

from celery import shared_task
from django.utils import timezone

from ai_prefill.monitoring.alerts import alerts_check


@shared_task(name="ai_prefill.monitoring.check_alerts", ignore_result=True)
def check_alerts_task() -> None:
    alerts_check(now=timezone.now())

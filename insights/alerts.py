"""Budget and error-rate alerts: logged as errors and mailed to ADMINS, once per incident."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.mail import mail_admins
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.selectors import unpriced_models

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    key: str  # alerts with the same key are sent once per silence period
    silence_seconds: int
    subject: str
    message: str


def alerts_due(*, now: datetime) -> list[Alert]:
    """The limits passed right now, whether or not they were already reported."""
    alerts = []
    minutes = settings.AI_ALERT_WINDOW_MINUTES
    # Analyses created in the window that have finished: the (status, created_at) index serves this.
    outcome = Analysis.objects.filter(
        created_at__gte=now - timedelta(minutes=minutes), status__in=(Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)
    ).aggregate(finished=Count("pk"), failed=Count("pk", filter=Q(status=Analysis.Status.FAILED)))
    finished, failed = outcome["finished"], outcome["failed"]
    # A minimum sample, so that one failure among the night's two analyses pages nobody.
    if finished >= settings.AI_ALERT_MIN_SAMPLE and failed / finished >= settings.AI_ALERT_ERROR_RATE:
        alerts.append(
            Alert(
                key="error-rate",
                silence_seconds=settings.AI_ALERT_REPEAT_MINUTES * 60,
                subject=f"AI pre-fill error rate {failed / finished:.0%} over the last {minutes} minutes",
                message=(
                    f"{failed} of the {finished} analyses uploaded in the last {minutes} minutes that have "
                    f"finished failed (alert threshold {settings.AI_ALERT_ERROR_RATE:.0%}, "
                    f"minimum sample {settings.AI_ALERT_MIN_SAMPLE}). The failures by type are on /staff/ai/."
                ),
            )
        )

    budget = Decimal(str(settings.AI_DAILY_BUDGET))
    if budget > 0:
        local_now = timezone.localtime(now)
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        spend = LLMCall.objects.production().filter(started_at__gte=midnight).aggregate(total=Sum("cost"))[
            "total"
        ] or Decimal(0)
        unpriced = unpriced_models(since=midnight)
        uncounted = (
            f" It cannot count the spend of {', '.join(unpriced)}: no price is known (set AI_PRICES)."
            if unpriced
            else ""
        )
        if unpriced:
            alerts.append(
                Alert(
                    key=f"budget-unpriced:{local_now.date().isoformat()}:{','.join(unpriced)}",
                    silence_seconds=36 * 3600,
                    subject=f"AI pre-fill budget cannot count the spend of {', '.join(unpriced)}",
                    message=f"Spend today is at least {spend:.4f} of AI_DAILY_BUDGET={budget}.{uncounted}",
                )
            )
        if spend >= budget:
            alerts.append(
                Alert(
                    # Once per day: a new day starts a new budget.
                    key=f"budget:{local_now.date().isoformat()}",
                    silence_seconds=36 * 3600,
                    subject=f"AI pre-fill spend today {spend:.2f} passed the daily budget {budget:.2f}",
                    message=(
                        f"LLM spend since midnight is {spend:.4f}, at or above AI_DAILY_BUDGET={budget}. "
                        f"Spend by day and variant is on /staff/ai/.{uncounted}"
                    ),
                )
            )
    return alerts


def alerts_check(*, now: datetime) -> list[Alert]:
    """Report each due alert that was not reported within its silence period; return those reported."""
    sent = []
    for alert in alerts_due(now=now):
        # cache.add is atomic: of two overlapping runs only one reports. Across processes this needs a
        # shared cache (CACHES pointing at Redis or the database) rather than the per-process default.
        if not cache.add(f"monitoring:alert:{alert.key}", now.isoformat(), alert.silence_seconds):
            continue
        logger.error("AI alert: %s. %s", alert.subject, alert.message, extra={"alert": alert.key})
        if settings.ADMINS:
            try:
                mail_admins(alert.subject, alert.message)
            except Exception:
                logger.exception("Could not mail the admins about the AI alert %s.", alert.key)
        sent.append(alert)
    return sent

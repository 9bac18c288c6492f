"""The staff AI dashboard, /metrics, /healthz and /readyz. Thin: the numbers come from selectors."""

import hmac
import ipaddress
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from ai_prefill.monitoring import health, metrics, selectors
from ai_prefill.monitoring.charts import dashboard_charts


def staff_required(view):
    """Anonymous visitors are sent to the admin login (staff log in there); other users get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.is_staff:
            raise PermissionDenied("This page is for staff.")
        return view(request, *args, **kwargs)

    return wrapped


@require_safe
@never_cache
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    window_key = request.GET.get("window", selectors.DEFAULT_WINDOW)
    window = selectors.WINDOWS.get(window_key)
    if window is None:
        choices = ", ".join(selectors.WINDOWS)
        return HttpResponseBadRequest(
            f"There is no window called “{window_key[:20]}”: choose one of {choices}.", content_type="text/plain"
        )
    now = timezone.now()
    current = selectors.dashboard_now(now=now)
    data = selectors.dashboard_window(window=window, now=now)
    feedback = selectors.feedback_window(since=data.since, now=now)
    budget = Decimal(str(settings.AI_DAILY_BUDGET))
    context = {
        **admin.site.each_context(request),
        "title": "AI pre-fill monitoring",
        "windows": selectors.WINDOWS.values(),
        "window": window,
        "now": now,
        "current": current,
        "budget": budget,
        "budget_used": selectors.Rate(current.spend_today.value, budget),
        "data": data,
        "feedback": feedback,
        "charts": dashboard_charts(data=data, feedback=feedback, now=now),
    }
    return render(request, "ai_prefill/monitoring/dashboard.html", context)


def _metrics_allowed(request: HttpRequest) -> bool:
    if settings.DEBUG:
        return True
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if settings.METRICS_ALLOWED_IPS:
        try:
            client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(client in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)
    return False


@require_safe
@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        return HttpResponse(
            "Metrics need Authorization: Bearer <METRICS_TOKEN>, or a client address in METRICS_ALLOWED_IPS.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(metrics.render(cache_seconds=settings.METRICS_CACHE_SECONDS), content_type=CONTENT_TYPE_LATEST)


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers; nothing else is checked, so a database outage does not restart every web process."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    problems = {
        "database": health.database_problem(),
        "broker": health.broker_problem(timeout=settings.HEALTH_BROKER_TIMEOUT_SECONDS),
    }
    failing = [part for part, problem in problems.items() if problem]
    return JsonResponse(
        {
            "status": "unavailable" if failing else "ok",
            "failing": failing,
            "checks": {part: problem or "ok" for part, problem in problems.items()},
        },
        status=503 if failing else 200,
    )

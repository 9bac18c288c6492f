"""/metrics, /healthz and /readyz: the probes every process answers, whatever app it serves."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from core import health, metrics


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

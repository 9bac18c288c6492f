"""The staff AI dashboard. Thin: the numbers come from selectors."""

from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ai_prefill.lifecycle import UPGRADE_HINT, retiring_models, shutdown_sentence
from ai_prefill.models import Analysis
from ai_prefill.selectors import unpriced_models
from insights import selectors
from insights.calibration import CALIBRATION_MIN_SAMPLE, calibration_by, calibration_total
from insights.charts import dashboard_charts
from insights.languages import language_rows
from insights.stats import Proportion


@require_safe
@never_cache
@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    window_key = request.GET.get("window", selectors.DEFAULT_WINDOW)
    window = selectors.WINDOWS.get(window_key)
    if window is None:
        choices = ", ".join(selectors.WINDOWS)
        return HttpResponseBadRequest(
            gettext("There is no window called “%(window)s”: choose one of %(choices)s.")
            % {"window": window_key[:20], "choices": choices},
            content_type="text/plain",
        )
    now = timezone.now()
    current = selectors.dashboard_now(now=now)
    data = selectors.dashboard_window(window=window, now=now)
    feedback = selectors.feedback_window(since=data.since, now=now)
    budget = Decimal(str(settings.AI_DAILY_BUDGET))
    in_window = Analysis.objects.filter(created_at__gte=data.since)
    calibration_by_language = calibration_by(analyses=in_window, group="language")
    context = {
        **admin.site.each_context(request),
        "title": gettext("AI pre-fill monitoring"),
        "windows": selectors.WINDOWS.values(),
        "window": window,
        "now": now,
        "current": current,
        "budget": budget,
        "budget_used": Proportion(current.spend_today.value, budget),
        "data": data,
        "feedback": feedback,
        "charts": dashboard_charts(data=data, feedback=feedback, now=now),
        "model_banners": [f"{shutdown_sentence(row)} {UPGRADE_HINT}" for row in retiring_models()],
        "unpriced_models": unpriced_models(since=data.since),
        "calibration": calibration_total(calibration_by_language),
        # Split only when the window holds more than one language: one would repeat the table above.
        "calibration_by_language": calibration_by_language if len(calibration_by_language) > 1 else {},
        "calibration_min_sample": CALIBRATION_MIN_SAMPLE,
        "languages": language_rows(since=data.since),
    }
    return render(request, "insights/dashboard.html", context)

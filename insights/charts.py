"""The dashboard's chart data, shaped for static/insights/dashboard.js (read with json_script)."""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ai_prefill.models import Analysis
from insights.selectors import FeedbackWindow, WindowData


def _label(moment: datetime, unit: str) -> str:
    # In the active language's words: "03 Dec 14:00", "Thu 03 Dec"; "03 Dic 14:00", "Gio 03 Dic" in Italian.
    local = timezone.localtime(moment)
    return date_format(local, "d M H:00") if unit == "hour" else date_format(local, "D d M")


def _rounded(values, digits: int) -> list[float | None]:
    return [None if value is None else round(float(value), digits) for value in values]


def dashboard_charts(*, data: WindowData, feedback: FeedbackWindow, now: datetime) -> dict:
    unit = data.window.bucket
    labels = [_label(start, unit) for start in data.buckets]
    starts = [timezone.localtime(start).isoformat(timespec="seconds") for start in data.buckets]
    # The last bucket ends at the next one's start; a bucket's list in admin is [start, end).
    ends = [*starts[1:], timezone.localtime(now).isoformat(timespec="seconds")]
    return {
        "activity": {
            "labels": labels,
            "series": data.analyses_by_status,
            "names": {status: str(label) for status, label in Analysis.Status.choices},
            "link": {"url": reverse("admin:ai_prefill_analysis_changelist"), "starts": starts, "ends": ends},
        },
        "errorRate": {
            "labels": labels,
            "series": {error_type: _rounded(rates, 4) for error_type, rates in data.error_rate_by_type.items()},
        },
        "latency": {
            "labels": labels,
            "series": {
                f"p{round(fraction * 100)}": _rounded(values, 0) for fraction, values in data.latency_ms.items()
            },
        },
        "usage": {
            "labels": [_label(start, data.window.cost_bucket) for start in data.cost_buckets],
            "inputTokens": data.input_tokens,
            "outputTokens": data.output_tokens,
            "cost": _rounded(data.cost, 6),
        },
        "feedback": {
            "labels": [date_format(day, "D d M") for day in feedback.days],
            "thumbsUp": _rounded((row.thumbs_up_rate for row in feedback.by_day), 4),
            "acceptance": {
                name: _rounded((row.acceptance[name] for row in feedback.by_day), 4) for name in feedback.total.kept
            },
            "hasData": feedback.total.shown > 0,
        },
    }

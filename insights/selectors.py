"""Reads behind the AI dashboard and /metrics. Everything is aggregated by the database (GROUP BY over an
indexed time range); Python only walks the grouped rows, whose number depends on the window, not on the
number of analyses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ai_prefill.lifecycle import lifecycle_rows
from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis, LLMCall
from feedback.selectors import suggestion_stats
from insights.percentiles import percentiles_by_group
from insights.stats import Proportion

Status = Analysis.Status
FRACTIONS = (0.5, 0.95)
UNTYPED = "(no type)"
# Upper bounds (seconds) of the LLM latency histogram: a vision call takes a few seconds, the timeout 30.
LLM_LATENCY_BUCKETS = (0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60)


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    span: timedelta
    bucket: str  # "hour" or "day": the step of the activity charts
    cost_bucket: str  # the step of the tokens and cost chart

    @property
    def bucket_label(self) -> str:
        return BUCKET_LABELS[self.bucket]

    @property
    def cost_bucket_label(self) -> str:
        return BUCKET_LABELS[self.cost_bucket]


# "Analyses per hour", "per day": the step's name as the dashboard's captions read it.
BUCKET_LABELS = {"hour": pgettext_lazy("per", "hour"), "day": pgettext_lazy("per", "day")}

WINDOWS = {
    window.key: window
    for window in (
        Window("24h", _("24 hours"), timedelta(hours=24), "hour", "hour"),
        Window("7d", _("7 days"), timedelta(days=7), "hour", "day"),
        Window("30d", _("30 days"), timedelta(days=30), "day", "day"),
    )
}
DEFAULT_WINDOW = "24h"


@dataclass(frozen=True)
class Figure:
    """A number and the admin changelist lookups that list the rows behind it."""

    value: object
    model: str  # "analysis" or "llmcall"
    lookups: dict

    @property
    def admin_url(self) -> str:
        return reverse(f"admin:ai_prefill_{self.model}_changelist") + "?" + urlencode(self.lookups)


@dataclass(frozen=True)
class NowFigures:
    queue_depth: Figure
    oldest_pending_at: datetime | None
    running: Figure
    failed_last_hour: Figure
    spend_today: Figure


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def dashboard_now(*, now: datetime) -> NowFigures:
    """The state right now: queue, running, recent failures, today's spend."""
    hour_ago = now - timedelta(hours=1)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    # Both parts are ranges of the (status, created_at) index. Failures count by upload time, like the
    # windows and the alert, so the number and its admin list agree with the rest of the page.
    state = Analysis.objects.filter(
        Q(status__in=(Status.PENDING, Status.RUNNING)) | Q(status=Status.FAILED, created_at__gte=hour_ago)
    ).aggregate(
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        oldest_pending=Min("created_at", filter=Q(status=Status.PENDING)),
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
    )
    spend = LLMCall.objects.production().filter(started_at__gte=midnight).aggregate(total=Sum("cost"))[
        "total"
    ] or Decimal(0)
    return NowFigures(
        queue_depth=Figure(state["pending"], "analysis", {"status__exact": Status.PENDING}),
        oldest_pending_at=state["oldest_pending"],
        running=Figure(state["running"], "analysis", {"status__exact": Status.RUNNING}),
        failed_last_hour=Figure(
            state["failed"], "analysis", {"status__exact": Status.FAILED, "created_at__gte": _iso(hour_ago)}
        ),
        spend_today=Figure(spend, "llmcall", {"started_at__gte": _iso(midnight)}),
    )


@dataclass
class VariantRow:
    variant: str
    analyses: Figure
    succeeded: int = 0
    failed: Figure | None = None
    success_rate: Proportion = field(default_factory=lambda: Proportion(0, 0))
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    calls: int = 0
    tokens: int = 0
    cost: Decimal | None = Decimal(0)  # None: some calls have no known price
    cost_per_analysis: Decimal | None = None


@dataclass
class WindowData:
    window: Window
    since: datetime
    buckets: list[datetime]
    analyses: Figure
    failed: Figure
    finished: int
    error_rate: Proportion
    analyses_by_status: dict[str, list[int]]
    error_rate_by_type: dict[str, list[float | None]]
    errors_by_type: list[tuple[str, Figure, Proportion]]
    latency_ms: dict[float, list[float | None]]
    cost_buckets: list[datetime]
    input_tokens: list[int]
    output_tokens: list[int]
    cost: list[Decimal]
    spend: Figure
    variants: list[VariantRow] = field(default_factory=list)


def _trunc(unit: str, field_name: str):
    return TruncHour(field_name) if unit == "hour" else TruncDay(field_name)


def bucket_starts(*, since: datetime, now: datetime, unit: str) -> list[datetime]:
    """The local-time bucket starts from the one holding `since` to the one holding `now`."""
    start = timezone.localtime(since).replace(minute=0, second=0, microsecond=0)
    if unit == "day":
        start = start.replace(hour=0)
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    starts = []
    while start <= now:
        starts.append(start)
        # Wall-clock arithmetic then re-localised, so a day stays midnight to midnight across DST changes.
        start = timezone.localtime(timezone.make_aware(timezone.make_naive(start) + step))
    return starts


def bucket_key(moment: datetime, unit: str) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d")


def dashboard_window(*, window: Window, now: datetime) -> WindowData:
    """Activity, errors, latency, tokens and cost over the window, per time bucket and per variant."""
    since = now - window.span
    window_lookups = {"created_at__gte": _iso(since)}
    buckets = bucket_starts(since=since, now=now, unit=window.bucket)
    index = {bucket_key(start, window.bucket): position for position, start in enumerate(buckets)}

    counts = (
        Analysis.objects.filter(created_at__gte=since)
        .annotate(bucket=_trunc(window.bucket, "created_at"))
        .values_list("bucket", "status", "error_type", "variant")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status: dict[str, list[int]] = {status: [0] * len(buckets) for status in Status.values}
    finished = [0] * len(buckets)
    failed_by_type: dict[str, list[int]] = defaultdict(lambda: [0] * len(buckets))
    per_variant: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for bucket, status, error_type, variant, n in counts:
        position = index.get(bucket_key(bucket, window.bucket))
        if position is None:
            continue
        by_status[status][position] += n
        if status in (Status.SUCCEEDED, Status.FAILED):
            finished[position] += n
        if status == Status.FAILED:
            failed_by_type[error_type or UNTYPED][position] += n
        per_variant[variant]["total"] += n
        per_variant[variant][status] += n

    total = sum(sum(series) for series in by_status.values())
    failed_total = sum(by_status[Status.FAILED])
    finished_total = sum(finished)
    error_rate_by_type = {
        error_type: [failures / done if done else None for failures, done in zip(series, finished, strict=True)]
        for error_type, series in sorted(failed_by_type.items())
    }
    errors_by_type = sorted(
        (
            (
                error_type,
                Figure(
                    sum(series),
                    "analysis",
                    {
                        "status__exact": Status.FAILED,
                        "error_type__exact": "" if error_type == UNTYPED else error_type,
                        **window_lookups,
                    },
                ),
                Proportion(sum(series), finished_total),
            )
            for error_type, series in failed_by_type.items()
        ),
        key=lambda item: -item[1].value,
    )

    successful_calls = LLMCall.objects.production().filter(started_at__gte=since, error_type="")
    latency = percentiles_by_group(
        successful_calls.annotate(bucket=_trunc(window.bucket, "started_at")),
        value="latency_ms",
        group="bucket",
        fractions=FRACTIONS,
    )
    latency_ms: dict[float, list[float | None]] = {fraction: [None] * len(buckets) for fraction in FRACTIONS}
    for bucket, values in latency.items():
        position = index.get(bucket_key(bucket, window.bucket))
        if position is not None:
            for fraction in FRACTIONS:
                latency_ms[fraction][position] = values[fraction]

    cost_buckets = bucket_starts(since=since, now=now, unit=window.cost_bucket)
    cost_index = {bucket_key(start, window.cost_bucket): position for position, start in enumerate(cost_buckets)}
    calls_in_window = LLMCall.objects.production().filter(started_at__gte=since)
    usage = (
        calls_in_window.annotate(bucket=_trunc(window.cost_bucket, "started_at"))
        .values_list("bucket")
        .annotate(input_tokens=Sum("input_tokens"), output_tokens=Sum("output_tokens"), cost=Sum("cost"))
        .order_by()
    )
    input_tokens = [0] * len(cost_buckets)
    output_tokens = [0] * len(cost_buckets)
    cost = [Decimal(0)] * len(cost_buckets)
    for bucket, bucket_input, bucket_output, bucket_cost in usage:
        position = cost_index.get(bucket_key(bucket, window.cost_bucket))
        if position is not None:
            input_tokens[position] += bucket_input
            output_tokens[position] += bucket_output
            cost[position] += bucket_cost or 0  # None: only calls without a known price

    return WindowData(
        window=window,
        since=since,
        buckets=buckets,
        analyses=Figure(total, "analysis", window_lookups),
        failed=Figure(failed_total, "analysis", {"status__exact": Status.FAILED, **window_lookups}),
        finished=finished_total,
        error_rate=Proportion(failed_total, finished_total),
        analyses_by_status=by_status,
        error_rate_by_type=error_rate_by_type,
        errors_by_type=errors_by_type,
        latency_ms=latency_ms,
        cost_buckets=cost_buckets,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=cost,
        spend=Figure(sum(cost, Decimal(0)), "llmcall", {"started_at__gte": _iso(since)}),
        variants=_variant_rows(per_variant, calls_in_window, window_lookups),
    )


def _variant_rows(per_variant, calls_in_window, window_lookups) -> list[VariantRow]:
    """One row per variant, only while an experiment runs (some analysis in the window has a variant).
    The calls' variant is their analysis's: these are the two queries that join, so they run only then."""
    if not any(per_variant.keys()):
        return []
    by_variant = calls_in_window.annotate(group=Coalesce(F("analysis__variant"), Value("")))
    usage_per_variant = {
        row["group"]: row
        for row in by_variant.values("group")
        .annotate(
            # Before cost=Sum("cost"), whose name would otherwise stand for the field in this filter.
            unpriced=Count("pk", filter=Q(cost__isnull=True)),
            calls=Count("pk"),
            tokens=Sum(F("input_tokens") + F("output_tokens")),
            cost=Sum("cost"),
        )
        .order_by()
    }
    latency = percentiles_by_group(
        by_variant.filter(error_type=""), value="latency_ms", group="group", fractions=FRACTIONS
    )
    rows = []
    for variant, counts in sorted(per_variant.items()):
        lookups = {"variant__exact": variant, **window_lookups}
        done = counts[Status.SUCCEEDED] + counts[Status.FAILED]
        usage = usage_per_variant.get(variant, {"calls": 0, "tokens": 0, "cost": Decimal(0), "unpriced": 0})
        if usage["unpriced"]:
            usage = {**usage, "cost": None}  # "unknown price": a sum without those calls would pass for the whole
        rows.append(
            VariantRow(
                variant=variant,
                analyses=Figure(counts["total"], "analysis", lookups),
                succeeded=counts[Status.SUCCEEDED],
                failed=Figure(counts[Status.FAILED], "analysis", {"status__exact": Status.FAILED, **lookups}),
                success_rate=Proportion(counts[Status.SUCCEEDED], done),
                latency_p50_ms=latency.get(variant, {}).get(0.5),
                latency_p95_ms=latency.get(variant, {}).get(0.95),
                calls=usage["calls"],
                tokens=usage["tokens"],
                cost=usage["cost"],
                cost_per_analysis=usage["cost"] / counts["total"]
                if counts["total"] and usage["cost"] is not None
                else None,
            )
        )
    return rows


@dataclass(frozen=True)
class LLMCallTotals:
    model: str
    error_type: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost: float | None  # None: no known price


@dataclass(frozen=True)
class LatencyHistogram:
    cumulative_counts: list[tuple[float, int]]
    count: int
    sum_seconds: float


@dataclass(frozen=True)
class MetricsSnapshot:
    analyses_by_status_variant: dict[tuple[str, str], int]
    queue_depth: int
    oldest_pending_age_seconds: float
    llm_calls: list[LLMCallTotals]
    llm_latency: dict[str, LatencyHistogram]
    # (model, lifecycle status, days left or None) per model the lifecycle watch checked.
    model_lifecycles: list[tuple[str, str, int | None]] = field(default_factory=list)


def metrics_snapshot() -> MetricsSnapshot:
    """Totals for /metrics: three grouped queries, whatever the number of rows."""
    analyses = {
        (status, variant): n
        for status, variant, n in Analysis.objects.values_list("status", "variant").annotate(n=Count("pk")).order_by()
    }
    pending = Analysis.objects.filter(status=Status.PENDING).aggregate(n=Count("pk"), oldest=Min("created_at"))
    oldest_age = (timezone.now() - pending["oldest"]).total_seconds() if pending["oldest"] else 0.0

    bucket_counts = {
        f"le_{position}": Count("pk", filter=Q(latency_ms__lte=bound * 1000))
        for position, bound in enumerate(LLM_LATENCY_BUCKETS)
    }
    rows = (
        LLMCall.objects.production()
        .values("model", "error_type")
        .annotate(
            calls=Count("pk"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost=Sum("cost"),
            latency_ms_sum=Sum("latency_ms"),
            **bucket_counts,
        )
        .order_by()
    )
    calls = []
    histograms: dict[str, dict] = defaultdict(lambda: {"buckets": [0] * len(LLM_LATENCY_BUCKETS), "count": 0, "ms": 0})
    for row in rows:
        calls.append(
            LLMCallTotals(
                model=row["model"],
                error_type=row["error_type"],
                calls=row["calls"],
                input_tokens=row["input_tokens"],
                output_tokens=row["output_tokens"],
                cost=None if row["cost"] is None else float(row["cost"]),
            )
        )
        histogram = histograms[row["model"]]
        histogram["count"] += row["calls"]
        histogram["ms"] += row["latency_ms_sum"]
        for position in range(len(LLM_LATENCY_BUCKETS)):
            histogram["buckets"][position] += row[f"le_{position}"]
    return MetricsSnapshot(
        analyses_by_status_variant=analyses,
        queue_depth=pending["n"],
        oldest_pending_age_seconds=max(oldest_age, 0.0),
        llm_calls=calls,
        model_lifecycles=lifecycle_rows(),
        llm_latency={
            model: LatencyHistogram(
                cumulative_counts=list(zip(LLM_LATENCY_BUCKETS, histogram["buckets"], strict=True)),
                count=histogram["count"],
                sum_seconds=histogram["ms"] / 1000,
            )
            for model, histogram in histograms.items()
        },
    )


@dataclass
class FeedbackRow:
    label: str
    shown: int = 0
    votes: int = 0
    thumbs_up: int = 0
    corrections: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUGGESTED_FIELDS, 0))
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUGGESTED_FIELDS, 0))

    @property
    def thumbs_up_rate(self) -> float | None:
        return self.thumbs_up / self.votes if self.votes else None

    @property
    def thumbs_up_share(self) -> Proportion:
        return Proportion(self.thumbs_up, self.votes)

    @property
    def fields(self) -> list[tuple[str, Proportion]]:
        """Each suggested field with the share of posted suggestions that kept it unchanged."""
        return [(name, Proportion(self.kept[name], self.corrections[name])) for name in SUGGESTED_FIELDS]

    @property
    def acceptance(self) -> dict[str, float | None]:
        return {name: self.kept[name] / n if (n := self.corrections[name]) else None for name in SUGGESTED_FIELDS}


@dataclass
class FeedbackWindow:
    days: list[date]
    by_day: list[FeedbackRow]
    by_model_prompt: list[FeedbackRow]
    total: FeedbackRow


def feedback_window(*, since: datetime, now: datetime) -> FeedbackWindow:
    """Thumbs-up and per-field acceptance per day and per model and prompt version (what a variant
    chooses), from the feedback app's daily numbers."""
    first_day, last_day = timezone.localdate(since), timezone.localdate(now)
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    by_day = {day: FeedbackRow(label=day.isoformat()) for day in days}
    by_model_prompt: dict[tuple[str, str], FeedbackRow] = {}
    total = FeedbackRow(label="all")
    for stats in suggestion_stats(since=first_day, until=last_day):
        key = (stats.model, stats.prompt_version)
        group = by_model_prompt.setdefault(key, FeedbackRow(label=f"{stats.model} · {stats.prompt_version or '-'}"))
        for row in (by_day.get(stats.day), group, total):
            if row is None:
                continue
            row.shown += stats.shown
            row.votes += stats.votes
            row.thumbs_up += stats.thumbs_up
            for name, field_stats in stats.fields.items():
                row.corrections[name] += field_stats.corrections
                row.kept[name] += field_stats.kept
    return FeedbackWindow(
        days=days,
        by_day=[by_day[day] for day in days],
        by_model_prompt=[by_model_prompt[key] for key in sorted(by_model_prompt)],
        total=total,
    )

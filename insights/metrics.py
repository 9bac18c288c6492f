"""The AI figures of /metrics, read from the database at scrape time (core.metrics serves the page)."""

import logging
from collections import defaultdict

from django.core.cache import cache
from django.db import DatabaseError
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from insights import selectors

logger = logging.getLogger(__name__)


class DatabaseCollector:
    """Reads the pre-fill's state at scrape time; the result is cached briefly so that several
    Prometheus servers scraping every few seconds cost one set of queries."""

    cache_key = "monitoring:metrics-snapshot"

    def __init__(self, *, cache_seconds: float) -> None:
        self.cache_seconds = cache_seconds

    def collect(self):
        database_up = GaugeMetricFamily("trova_ai_metrics_database_up", "1 when the database answered this scrape.")
        snapshot = self._cached(cache.get, self.cache_key)
        if snapshot is None:
            try:
                snapshot = selectors.metrics_snapshot()
            except DatabaseError:
                logger.exception("Metrics: the database part of the scrape failed")
                database_up.add_metric([], 0)
                yield database_up
                return
            if self.cache_seconds:
                self._cached(cache.set, self.cache_key, snapshot, self.cache_seconds)
        database_up.add_metric([], 1)
        yield database_up
        yield from _families(snapshot)

    @staticmethod
    def _cached(operation, *args):
        # With CACHE_URL the cache is Redis: while it is down, every scrape queries instead of failing.
        try:
            return operation(*args)
        except Exception:
            logger.warning("Metrics: the cache is unavailable, scraping without it", exc_info=True)
            return None


def _families(snapshot: selectors.MetricsSnapshot):
    analyses = GaugeMetricFamily(
        "trova_ai_analyses", "Analyses in the database, by status and variant.", labels=["status", "variant"]
    )
    for (status, variant), count in sorted(snapshot.analyses_by_status_variant.items()):
        analyses.add_metric([status, variant], count)
    yield analyses
    yield GaugeMetricFamily("trova_ai_queue_depth", "Analyses waiting for a worker.", value=snapshot.queue_depth)
    yield GaugeMetricFamily(
        "trova_ai_oldest_pending_age_seconds",
        "Age of the oldest analysis waiting for a worker (0 when none waits).",
        value=snapshot.oldest_pending_age_seconds,
    )

    calls = CounterMetricFamily(
        "trova_llm_calls", "LLM calls made, by model and error type.", labels=["model", "error_type"]
    )
    input_tokens = CounterMetricFamily("trova_llm_input_tokens", "Input tokens sent to the LLM.", labels=["model"])
    output_tokens = CounterMetricFamily(
        "trova_llm_output_tokens", "Output tokens returned by the LLM.", labels=["model"]
    )
    cost = CounterMetricFamily("trova_llm_cost", "Estimated LLM cost (price table currency).", labels=["model"])
    latency = HistogramMetricFamily(
        "trova_llm_call_duration_seconds", "Latency of LLM calls, all outcomes, by model.", labels=["model"]
    )
    by_model: dict[str, dict] = defaultdict(lambda: {"input": 0, "output": 0, "cost": None})
    for row in snapshot.llm_calls:
        calls.add_metric([row.model, row.error_type], row.calls)
        totals = by_model[row.model]
        totals["input"] += row.input_tokens
        totals["output"] += row.output_tokens
        if row.cost is not None:  # a model with no known price gets no cost series rather than a false 0
            totals["cost"] = (totals["cost"] or 0.0) + row.cost
    for model, totals in sorted(by_model.items()):
        input_tokens.add_metric([model], totals["input"])
        output_tokens.add_metric([model], totals["output"])
        if totals["cost"] is not None:
            cost.add_metric([model], totals["cost"])
    for model, histogram in sorted(snapshot.llm_latency.items()):
        buckets = [(_le(bound), count) for bound, count in histogram.cumulative_counts]
        latency.add_metric([model], buckets=[*buckets, ("+Inf", histogram.count)], sum_value=histogram.sum_seconds)
    yield from (calls, input_tokens, output_tokens, cost, latency)
    days_left = GaugeMetricFamily(
        "trova_model_days_left",
        "Days until the provider shuts the model down (announced dates only).",
        labels=["model"],
    )
    unknown = GaugeMetricFamily(
        "trova_model_shutdown_unknown",
        "1 when the provider could not say whether the model shuts down.",
        labels=["model"],
    )
    for model, status, left in snapshot.model_lifecycles:
        if left is not None:
            days_left.add_metric([model], left)
        elif status == "unknown":
            unknown.add_metric([model], 1)
    yield from (days_left, unknown)


def _le(seconds: float) -> str:
    return repr(float(seconds))

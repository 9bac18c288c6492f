"""Prometheus metrics for /metrics.

Two kinds:
- What lives in the database (analyses by status and variant, queue depth, LLM calls, tokens, cost and
  latency) is read at scrape time by insights.metrics.DatabaseCollector, registered here by insights, so it
  is right however many web and worker processes there are and nobody has to feed it.
- HTTP request counts and latencies are per process (RequestMetricsMiddleware). Under a multi-process
  server (gunicorn workers) set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by those processes
  (prometheus_client's multiprocess mode) and /metrics adds them up.
"""

import logging
import os
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

logger = logging.getLogger(__name__)
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REGISTRY = CollectorRegistry()
if not MULTIPROCESS:
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)
    GCCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "trova_http_requests",
    "HTTP requests answered, by method, route name and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "trova_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route name.",
    ["method", "route"],
    registry=REGISTRY,
)


def observe_http_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _KNOWN_METHODS else "other"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)


# Collectors that read what higher layers own (insights registers the AI figures in its AppConfig.ready()):
# core serves /metrics and knows none of them.
_scrape_collectors: list[Callable[[float], object]] = []


def scrape_collector_register(factory: Callable[[float], object]) -> None:
    """Add a collector, made per scrape from the cache lifetime in seconds, to every /metrics answer."""
    if factory not in _scrape_collectors:
        _scrape_collectors.append(factory)


def render(*, cache_seconds: float) -> bytes:
    """The Prometheus text exposition of this process (or all of them) and of every registered collector."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    for factory in _scrape_collectors:
        registry.register(factory(cache_seconds))
    return generate_latest(registry)


class _ProcessMetrics:
    """This process's own registry, merged into the scrape registry."""

    def collect(self):
        return REGISTRY.collect()

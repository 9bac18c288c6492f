"""Search and the comparables lookup at 100,000 listings, beside a bare view, all in this one process.

The listings are seed_demo's (--count BENCH_SEARCH_LISTINGS, default 100,000) in a database of the
benchmark's own: a scratch SQLite file by default, or a new PostgreSQL database with DATABASE_URL=postgres://…
Each round asks, in turn: the bare view (/healthz), a search page, the same search through the API, and a
comparables lookup as the worker makes it after the model answered. Goals (PostgreSQL): search p95 under
100 ms, comparables under 50 ms.
"""

import io
import os
import time

from django.core.management import call_command
from django.db import connection
from django.test import Client

from ai_prefill.comparables import comparables_lookup
from bench.report import percentile, report

LISTINGS = int(os.environ.get("BENCH_SEARCH_LISTINGS", "100000"))
ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "200"))
WARMUP = 5
QUERIES = [
    "chair", "chairs", "bicycle", "couch", "tshirt", "iphone", "wooden chair", "red sofa", "lamp",
    "vintage camera", "chiar", "zzzz",
]  # fmt: skip
SUGGESTIONS = [
    ("furniture", "Sturdy wooden chair"),
    ("electronics", "Black smartphone 128 GB"),
    ("vehicles", "Blue city bike"),
    ("clothing", "Grey cotton T-shirt"),
    ("furniture", "Modern grey sofa"),
    ("sports", "Tennis racket"),
]


def run() -> None:
    original_database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        call_command("seed_demo", "--count", str(LISTINGS), "--allow-without-debug", stdout=io.StringIO())
        print(f"search: {LISTINGS:,} listings seeded on {connection.vendor} in {time.monotonic() - started:.0f} s")
        _measure()
    finally:
        connection.creation.destroy_test_db(original_database, verbosity=0)


def _measure() -> None:
    client = Client()
    timings: dict[str, list[float]] = {"bare": [], "page": [], "api": [], "comparables": []}

    def timed(name: str, call) -> None:
        started = time.perf_counter()
        call()
        timings[name].append((time.perf_counter() - started) * 1000)

    def get(path: str, params: dict | None = None) -> None:
        response = client.get(path, params, secure=True)
        assert response.status_code == 200, (path, params, response.status_code)

    for number in range(WARMUP + ROUNDS):
        query = QUERIES[number % len(QUERIES)]
        category, title = SUGGESTIONS[number % len(SUGGESTIONS)]
        timed("bare", lambda: get("/healthz"))
        timed("page", lambda query=query: get("/", {"q": query}))
        timed("api", lambda query=query: get("/api/listings", {"q": query}))
        timed("comparables", lambda c=category, t=title: _lookup(c, t))
        if number < WARMUP:
            for values in timings.values():
                values.clear()
    bare = percentile(timings["bare"], 0.95)
    goals = {"page": "< 100 ms", "api": "< 100 ms", "comparables": "< 50 ms"}
    report(f"search_bare_view_p95_{connection.vendor}", bare, "ms")
    for name, label in (("page", "search_page"), ("api", "search_api"), ("comparables", "comparables_lookup")):
        p95 = percentile(timings[name], 0.95)
        report(f"{label}_p95_{connection.vendor}", p95, "ms", goals[name])
        report(f"{label}_p95_over_bare_view", p95 / bare, "x")


def _lookup(category: str, title: str) -> None:
    lookup = comparables_lookup(category_slug=category, title=title)
    assert not lookup.skipped, lookup.skipped
    assert lookup.comparables, (category, title)

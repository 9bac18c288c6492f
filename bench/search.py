"""Search, the comparables lookup and nearest first at 100,000 listings, beside a bare view, all in this one process.

The listings are seed_demo's (--count BENCH_SEARCH_LISTINGS, default 100,000) in a database of the
benchmark's own: a scratch SQLite file by default, or a new PostgreSQL database with DATABASE_URL=postgres://…
Each round asks, in turn: the bare view (/healthz), a search page, the same search through the API (English and
Italian words), a comparables lookup as the worker makes it after the model answered, and the page of the nearest
listings at any distance from a town. Goals (PostgreSQL): search p95 under 100 ms, comparables under 50 ms,
nearest first under 250 ms (the browse filters' goal). On PostgreSQL it also prints the search index's size.
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
    "vintage camera", "chiar", "zzzz", "divano", "sedie in legno", "bicicletta",
]  # fmt: skip
# Towns far apart, in turn: a big city, a small town, the far south.
NEAREST_FROM = ["Milan", "Budrio", "Siracusa"]
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
        if connection.vendor == "postgresql":
            _sizes()
    finally:
        connection.creation.destroy_test_db(original_database, verbosity=0)


def _measure() -> None:
    client = Client()
    timings: dict[str, list[float]] = {"bare": [], "page": [], "api": [], "comparables": [], "nearest": []}

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
        town = NEAREST_FROM[number % len(NEAREST_FROM)]
        timed("nearest", lambda town=town: get("/", {"near": town, "sort": "distance"}))
        if number < WARMUP:
            for values in timings.values():
                values.clear()
    bare = percentile(timings["bare"], 0.95)
    goals = {"page": "< 100 ms", "api": "< 100 ms", "comparables": "< 50 ms", "nearest": "< 250 ms"}
    report(f"search_bare_view_p95_{connection.vendor}", bare, "ms")
    labels = {"page": "search_page", "api": "search_api", "comparables": "comparables_lookup"}
    labels["nearest"] = "nearest_any_distance_page"
    for name, label in labels.items():
        p95 = percentile(timings[name], 0.95)
        report(f"{label}_p95_{connection.vendor}", p95, "ms", goals[name])
        report(f"{label}_p95_over_bare_view", p95 / bare, "x")


def _lookup(category: str, title: str) -> None:
    lookup = comparables_lookup(category_slug=category, title=title)
    assert not lookup.skipped, lookup.skipped
    assert lookup.comparables, (category, title)


def _sizes() -> None:
    """What the index costs on disk: the stored vectors (in the table and its TOAST) and their GIN index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(pg_column_size(search_vector)) FROM marketplace_listing")
        report("search_vector_column_size", cursor.fetchone()[0] / 2**20, "MiB")
        cursor.execute("SELECT pg_relation_size('listing_search_vector')")
        report("search_vector_index_size", cursor.fetchone()[0] / 2**20, "MiB")

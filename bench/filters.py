"""The browse filters at 100,000 listings: p95 of each filtered page (and the API), beside bare views.

On PostgreSQL only (SQLite is the embedded default, not what a site of this size runs on), in a throwaway
database seeded by `seed_demo --count 100000` (towns spread by population). Every case is requested in
turn, round after round, in this one process, so the ratios to the bare views hold on a busy machine:
`healthz` is the framework's floor, `browse_newest` the unfiltered home page every filter is compared with.
"""

import os
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.report import percentile, report, skipped

LISTINGS = int(os.environ.get("BENCH_FILTER_LISTINGS", "100000"))
ROUNDS = int(os.environ.get("BENCH_FILTER_ROUNDS", "40"))
WARMUP = 3
BASELINE = "browse_newest"
CASES = {
    "healthz": "/healthz",
    BASELINE: "/",
    "browse_within_10km": "/?near=Bologna&within=10",
    "browse_within_25km": "/?near=Bologna&within=25",
    "browse_within_50km": "/?near=Bologna&within=50",
    "browse_within_50km_nearest": "/?near=Bologna&within=50&sort=distance",
    "browse_within_25km_category_price": "/?near=Bologna&within=25&category=electronics&min_price=20&max_price=400",
    "browse_within_25km_words": "/?near=Bologna&within=25&q=chair",
    "browse_nearest_any_distance": "/?near=Milan&sort=distance",
    "api_within_25km_nearest": "/api/listings?near=Bologna&within_km=25&sort=distance",
}


def run() -> None:
    if connection.vendor != "postgresql":
        skipped("filters_p95", "needs DATABASE_URL=postgres://…")
        return
    # The demo conversation's e-mail task goes to the broker (no worker takes it here): the embedded
    # filesystem broker's folders must exist, in this run's scratch directory.
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_filters"
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", count=LISTINGS, allow_without_debug=True, stdout=quiet)
        print(f"filters: seeded {LISTINGS} listings in {time.monotonic() - started:.0f} s", flush=True)
        _measure()
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


def _measure() -> None:
    client = Client()
    for path in CASES.values():
        for _ in range(WARMUP):
            assert client.get(path, secure=True).status_code == 200, path
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(ROUNDS):
        for name, path in CASES.items():
            begun = time.perf_counter()
            response = client.get(path, secure=True)  # DEBUG is off: plain HTTP would be redirected
            samples[name].append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, path
    baseline = percentile(samples[BASELINE], 0.95)
    for name, values in samples.items():
        p95 = percentile(values, 0.95)
        if name in ("healthz", BASELINE):
            report(f"filters_{name}_p95", p95, "ms", f"none; bare view, {ROUNDS} requests at {LISTINGS} listings")
            continue
        report(f"filters_{name}_p95", p95, "ms", f"<= 250 ms; {CASES[name]}")
        report(f"filters_{name}_vs_newest", p95 / baseline, "x", "the unfiltered page's p95 = 1")

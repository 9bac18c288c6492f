"""The item-detail filters at 100,000 listings: p95 of each filtered page and API call, beside an unfiltered one.

The listings are seed_demo's (--count BENCH_ATTRIBUTE_LISTINGS, default 100,000: every listing whose category
has them gets a colour and one of 40 brands) in a database of the benchmark's own: a scratch SQLite file by
default, or a new PostgreSQL database with DATABASE_URL=postgres://… Every case is requested in turn, round
after round, in this one process, so the ratios to the baseline (the same page without the detail filters)
hold on a busy machine. On PostgreSQL it prints the plan of each filter's query: the GIN index on
attributes_search (listing_attributes_search) should be in it. Goal: no filtered page slower than the unfiltered
one (ratio at most 1), since the detail filters only narrow what the page already shows.
"""

import os
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.report import percentile, report
from marketplace.selectors import ListingFilters, listing_search

LISTINGS = int(os.environ.get("BENCH_ATTRIBUTE_LISTINGS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ATTRIBUTE_ROUNDS", "60"))
WARMUP = 3
BASELINE = "browse_newest"
# name: (path, the filters' selector arguments, for the plan)
CASES = {
    BASELINE: ("/", None),
    "browse_brand": ("/?brand=sony", {"attributes": {"brand": "sony"}}),
    "browse_brand_colour": ("/?brand=SONY&colour=black", {"attributes": {"brand": "SONY", "colour": "black"}}),
    "browse_category_brand_colour_price": (
        "/?category=electronics&brand=Sony&colour=black&max_price=300",
        {"category": "electronics", "attributes": {"brand": "Sony", "colour": "black"}},
    ),
    "browse_brand_nobody_has": ("/?brand=Zenith", {"attributes": {"brand": "Zenith"}}),
    "api_brand_colour": ("/api/listings?brand=bose&colour=white", {"attributes": {"brand": "bose", "colour": "white"}}),
}


def run() -> None:
    # seed_demo's demo conversation sends its e-mail task to the embedded filesystem broker: its folders must exist.
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        if key in settings.CELERY_BROKER_TRANSPORT_OPTIONS:
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)
    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_attributes"
    original = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", count=LISTINGS, allow_without_debug=True, stdout=quiet)
        print(f"attributes: seeded {LISTINGS:,} listings on {connection.vendor} in {time.monotonic() - started:.0f} s")
        _check_results()
        _measure()
        if connection.vendor == "postgresql":
            _plans()
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


def _check_results() -> None:
    """A filter that is fast but wrong is no use: every listing found has the details asked for."""
    found = list(listing_search(filters=ListingFilters(attributes={"brand": "SONY", "colour": "black"}))[:200])
    assert found and all(
        (listing.attributes.get("brand"), listing.attributes.get("colour")) == ("Sony", "black") for listing in found
    ), "the brand and colour filter found listings without them"


def _measure() -> None:
    client = Client()
    for path, _ in CASES.values():
        for _ in range(WARMUP):
            assert client.get(path, secure=True).status_code == 200, path
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(ROUNDS):
        for name, (path, _) in CASES.items():
            begun = time.perf_counter()
            response = client.get(path, secure=True)  # DEBUG is off: plain HTTP would be redirected
            samples[name].append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200, path
    baseline = percentile(samples[BASELINE], 0.95)
    vendor = connection.vendor
    report(f"attributes_{BASELINE}_p95_{vendor}", baseline, "ms", f"none; the unfiltered page at {LISTINGS:,}")
    for name, values in samples.items():
        if name == BASELINE:
            continue
        p95 = percentile(values, 0.95)
        report(f"attributes_{name}_p95_{vendor}", p95, "ms", CASES[name][0])
        report(f"attributes_{name}_vs_newest", p95 / baseline, "x", "<= 1, the unfiltered page's p95 = 1")


def _plans() -> None:
    """Two plans per filter: the first page, and all the matches as the page's count reads them.

    For a value many listings have (a brand on 2% of them) PostgreSQL rightly walks the newest-first index and
    keeps the matches until it has 24; for a rarer one, and for the count, it reads the GIN index.
    """
    for name, (_, arguments) in CASES.items():
        if arguments is None:
            continue
        listings = listing_search(filters=ListingFilters(**arguments))
        for part, plan in (("page", listings[:24].explain()), ("count", listings.order_by().values("pk").explain())):
            verdict = "uses" if "listing_attributes_search" in plan else "does not use"
            print(f"attributes_{name}_{part}_plan: {verdict} listing_attributes_search")
            print("  " + plan.replace("\n", "\n  "))

"""The staff AI dashboard: who may see it, its numbers against a known set of analyses, its links into
admin, and a query count that does not grow with the number of analyses."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import Analysis
from ai_prefill.posting import listing_values
from feedback.services import corrections_derive, vote_record
from insights.stats import Proportion
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/staff/ai/"
S = Analysis.Status


def today_recently():
    """A moment in the last hour that is also today, whatever the time the test runs."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(midnight, now - timedelta(minutes=20))


@pytest.fixture
def known(rows):
    """A known history: today, 3 days ago, 10 days ago and 40 days ago."""
    now = timezone.now()
    recent = today_recently()
    for variant, latencies in (("a", (1000, 2000, 3000)), ("b", (4000, 5000, 6000))):
        for latency in latencies:
            rows.call(rows.analysis(created_at=recent, variant=variant), latency_ms=latency, cost="0.01")
    for error_type, n in (("timeout", 2), ("invalid_output", 1)):
        for _ in range(n):
            failed = rows.analysis(
                status=S.FAILED, created_at=recent, finished_at=now - timedelta(minutes=1), error_type=error_type
            )
            rows.call(failed, latency_ms=30_000, cost="0.01", error_type=error_type)
    rows.analysis(status=S.PENDING, created_at=recent)
    rows.analysis(status=S.RUNNING, created_at=recent)

    three_days_ago = now - timedelta(days=3)
    for _ in range(4):
        rows.call(rows.analysis(created_at=three_days_ago), latency_ms=10_000, cost="0.01")
        failed = rows.analysis(status=S.FAILED, created_at=three_days_ago, error_type="timeout")
        rows.call(failed, latency_ms=30_000, cost="0.01", error_type="timeout")
    for _ in range(2):
        rows.analysis(created_at=now - timedelta(days=10))
    for _ in range(5):
        rows.analysis(status=S.FAILED, created_at=now - timedelta(days=40), error_type="timeout")
    return recent


# Who may look


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:login") + "?next=/staff/ai/"


def test_it_sends_users_who_are_not_staff_to_the_admin_login_which_says_why(client, seller):
    # As /admin/ and /staff/annotate/ do (Django's staff_member_required): log in there with a staff account.
    client.force_login(seller)

    response = client.get(DASHBOARD, follow=True)

    assert response.redirect_chain == [(reverse("admin:login") + "?next=/staff/ai/", 302)]
    assert "but are not authorized to access this page" in " ".join(response.content.decode().split())


def test_it_shows_staff_the_dashboard(client, staff):
    client.force_login(staff)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert b"AI pre-fill monitoring" in response.content


def test_it_answers_an_unknown_window_with_a_sentence(client, staff):
    client.force_login(staff)

    response = client.get(DASHBOARD, {"window": "1y"})

    assert response.status_code == 400
    assert "choose one of 24h, 7d, 30d" in response.content.decode()


# The numbers


def test_it_shows_what_is_happening_now(client, staff, known, settings):
    settings.AI_DAILY_BUDGET = 0.2
    client.force_login(staff)

    response = client.get(DASHBOARD)

    current = response.context["current"]
    assert current.queue_depth.value == 1
    assert current.oldest_pending_at == known
    assert current.running.value == 1
    assert current.failed_last_hour.value == 3
    # Today: 6 successful and 3 failed calls at 0.01 each.
    assert current.spend_today.value == Decimal("0.09")
    assert response.context["budget_used"].value == pytest.approx(0.45)
    assert "45% of the daily budget" in response.content.decode()


@pytest.mark.parametrize(
    ("window", "analyses", "failed", "finished", "timeouts", "spend"),
    [
        ("24h", 11, 3, 9, 2, "0.09"),
        ("7d", 19, 7, 17, 6, "0.17"),
        ("30d", 21, 7, 19, 6, "0.17"),
    ],
)
def test_it_counts_analyses_failures_and_spend_per_window(
    client, staff, known, window, analyses, failed, finished, timeouts, spend
):
    client.force_login(staff)

    data = client.get(DASHBOARD, {"window": window}).context["data"]

    assert data.analyses.value == analyses
    assert sum(sum(series) for series in data.analyses_by_status.values()) == analyses
    assert data.failed.value == failed
    assert data.finished == finished
    assert data.error_rate.value == pytest.approx(failed / finished)
    errors = {error_type: (figure.value, share.value) for error_type, figure, share in data.errors_by_type}
    assert errors["timeout"] == (timeouts, pytest.approx(timeouts / finished))
    assert data.spend.value == Decimal(spend)


def test_it_puts_analyses_in_the_hour_they_were_created(client, staff, known):
    client.force_login(staff)

    data = client.get(DASHBOARD, {"window": "24h"}).context["data"]

    hour = timezone.localtime(known).replace(minute=0, second=0, microsecond=0)
    position = data.buckets.index(hour)
    assert data.analyses_by_status[S.SUCCEEDED][position] == 6
    assert data.analyses_by_status[S.FAILED][position] == 3
    assert data.analyses_by_status[S.PENDING][position] == 1
    assert data.error_rate_by_type["timeout"][position] == pytest.approx(2 / 9)
    assert data.error_rate_by_type["invalid_output"][position] == pytest.approx(1 / 9)
    # p50 and p95 of the successful calls' latencies 1000 ... 6000 ms, interpolated like percentile_cont.
    assert data.latency_ms[0.5][position] == pytest.approx(3500)
    assert data.latency_ms[0.95][position] == pytest.approx(5750)
    assert sum(1 for value in data.latency_ms[0.5] if value is not None) == 1


def test_it_compares_variants_while_an_experiment_runs(client, staff, known):
    client.force_login(staff)

    variants = {row.variant: row for row in client.get(DASHBOARD).context["data"].variants}

    assert set(variants) == {"", "a", "b"}
    assert (variants["a"].analyses.value, variants["a"].succeeded, variants["a"].success_rate.value) == (3, 3, 1.0)
    assert (variants["a"].latency_p50_ms, variants["a"].latency_p95_ms) == (pytest.approx(2000), pytest.approx(2900))
    assert (variants["b"].latency_p50_ms, variants["b"].latency_p95_ms) == (pytest.approx(5000), pytest.approx(5900))
    assert (variants["b"].calls, variants["b"].tokens) == (3, 450)
    assert variants["b"].cost_per_analysis == Decimal("0.01")
    assert variants[""].failed.value == 3
    assert variants[""].success_rate.value == 0.0


@pytest.mark.parametrize(
    ("part", "whole", "shown"), [(1, 287, "0.3%"), (0, 5, "0%"), (45, 100, "45%"), (3, 3, "100%"), (1, 0, "–")]
)
def test_it_shows_small_rates_with_a_decimal(part, whole, shown):
    assert str(Proportion(part, whole)) == shown


def test_it_has_no_variant_table_without_an_experiment(client, staff, rows):
    rows.analysis()
    client.force_login(staff)

    response = client.get(DASHBOARD)

    assert response.context["data"].variants == []
    assert "No experiment in this window" in response.content.decode()


def test_it_sums_tokens_and_cost_per_day(client, staff, rows):
    now = timezone.now()
    two_days_ago = now - timedelta(days=2)
    rows.call(
        rows.analysis(created_at=two_days_ago), started_at=two_days_ago, input_tokens=300, output_tokens=40, cost="0.5"
    )
    rows.call(
        rows.analysis(created_at=two_days_ago), started_at=two_days_ago, input_tokens=200, output_tokens=60, cost="0.25"
    )
    client.force_login(staff)

    data = client.get(DASHBOARD, {"window": "7d"}).context["data"]

    day = timezone.localtime(two_days_ago).replace(hour=0, minute=0, second=0, microsecond=0)
    position = data.cost_buckets.index(day)
    assert (data.input_tokens[position], data.output_tokens[position], data.cost[position]) == (
        500,
        100,
        Decimal("0.75"),
    )
    assert sum(data.input_tokens) == 500


SUGGESTION = {
    "title": "Wired headphones",
    "description": "Used a few times, work fine.",
    "category": "electronics",
    "price": "20.00",
    "condition": "good",
}


def test_it_shows_thumbs_up_and_field_acceptance_from_feedback(client, staff, rows):
    suggested = [rows.analysis(created_at=today_recently(), suggestion=SUGGESTION) for _ in range(4)]
    for analysis, value in zip(suggested, ("up", "up", "up", "down"), strict=True):
        vote_record(analysis=analysis, user=rows.owner, value=value)
    description = SUGGESTION["description"]
    kept_all = ListingFactory(seller=rows.owner, title="Wired headphones", description=description, price=20)
    changed = ListingFactory(seller=rows.owner, title="Sony wired headphones", description=description, price=15)
    for analysis, listing in ((suggested[0], kept_all), (suggested[1], changed)):
        # The posting facts as ai_prefill.posting writes them, then feedback's derivation of the corrections.
        Analysis.objects.filter(pk=analysis.pk).update(
            listing=listing, posted_at=timezone.now(), posted_values=listing_values(listing)
        )
        corrections_derive(analysis_id=analysis.pk)
    client.force_login(staff)

    response = client.get(DASHBOARD)

    feedback = response.context["feedback"]
    assert feedback.total.shown == 4
    assert feedback.total.thumbs_up_share.value == 0.75
    assert {name: rate.value for name, rate in feedback.total.fields} == {
        "title": 0.5,
        "description": 1.0,
        "category": 1.0,
        "price": 0.5,
        "condition": 1.0,
    }
    (group,) = feedback.by_model_prompt
    assert group.label == "gpt-4o-mini · v1"
    chart = response.context["charts"]["feedback"]
    assert chart["thumbsUp"][-1] == 0.75
    assert chart["acceptance"]["title"][-1] == 0.5


def test_it_draws_charts_from_embedded_json_with_the_vendored_library(client, staff, known):
    client.force_login(staff)

    page = client.get(DASHBOARD).content.decode()

    assert '<script id="ai-dashboard-data" type="application/json">' in page
    assert "/static/insights/vendor/chartjs/chart.umd.min.js" in page
    assert "/static/insights/dashboard.js" in page
    # No inline code: the only script elements without src carry data.
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page) == []


# Links into admin


def admin_links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="(/admin/ai_prefill/[^"]+\?[^"]*)"', page)]


def test_every_number_links_to_the_admin_list_of_its_records(client, staff, known):
    client.force_login(staff)
    response = client.get(DASHBOARD)
    links = admin_links(response.content.decode())

    assert len(links) >= 12
    for link in links:
        listed = client.get(link)
        # Django admin redirects to ?e=1 when it refuses a lookup; every link must be a valid filter.
        assert listed.status_code == 200, link
        assert "?e=1" not in listed.get("Location", "")

    current = response.context["current"]
    assert client.get(current.failed_last_hour.admin_url).context["cl"].result_count == 3
    assert client.get(current.queue_depth.admin_url).context["cl"].result_count == 1
    assert client.get(current.spend_today.admin_url).context["cl"].result_count == 9
    data = response.context["data"]
    assert client.get(data.analyses.admin_url).context["cl"].result_count == data.analyses.value
    for _, figure, _ in data.errors_by_type:
        assert client.get(figure.admin_url).context["cl"].result_count == figure.value
    for row in data.variants:
        assert client.get(row.analyses.admin_url).context["cl"].result_count == row.analyses.value


# Speed


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD, {"window": "30d"}).status_code == 200
    return len(queries)


def test_its_query_count_does_not_grow_with_the_number_of_analyses(client, staff, rows):
    client.force_login(staff)
    now = timezone.now()

    def add(n: int) -> None:
        for index in range(n):
            analysis = rows.analysis(
                status=(S.SUCCEEDED, S.FAILED, S.PENDING)[index % 3],
                created_at=now - timedelta(hours=index * 7),
                variant=("a", "b")[index % 2],
                error_type="timeout" if index % 3 == 1 else "",
            )
            rows.call(analysis, latency_ms=1000 + index)

    add(6)
    few = dashboard_queries(client)
    add(60)
    many = dashboard_queries(client)

    assert many == few
    assert few <= 18  # the calibration takes two (field names, one UNION ALL), the language split two

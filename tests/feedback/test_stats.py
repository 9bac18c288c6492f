from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ai_prefill.models import Analysis
from feedback.selectors import suggestion_stats
from feedback.services import outcomes_mark_abandoned, text_similarity, vote_record
from tests.factories import category, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_set(seller):
    kept, _ = post_from_suggestion(seller)
    vote_record(analysis=kept, user=seller, value="up")
    edited, _ = post_from_suggestion(seller, title="Wired headphones, used", price=Decimal("25.00"))
    vote_record(analysis=edited, user=seller, value="up")
    vote_record(analysis=edited, user=seller, value="down", reasons=["price_off"])  # the current vote
    suggested_analysis(user=seller)  # walked away
    suggested_analysis(user=seller, status="failed")  # no suggestion shown: not counted
    post_from_suggestion(seller, category=category("other"), analysis={"model": "gpt-4o", "prompt_version": "v2"})
    yesterday, _ = post_from_suggestion(seller)
    Analysis.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    outcomes_mark_abandoned(now=timezone.now() + timedelta(hours=25))


def test_the_daily_numbers_per_model_and_prompt_version(known_set):
    today = timezone.localdate()

    stats = {(row.day, row.model, row.prompt_version): row for row in suggestion_stats()}

    assert set(stats) == {
        (today, "gpt-4o-mini", "v1"),
        (today, "gpt-4o", "v2"),
        (today - timedelta(days=1), "gpt-4o-mini", "v1"),
    }
    mini = stats[(today, "gpt-4o-mini", "v1")]
    assert (mini.shown, mini.votes, mini.thumbs_up, mini.posted, mini.abandoned) == (3, 2, 1, 2, 1)
    assert mini.thumbs_up_rate == 0.5
    assert mini.abandon_rate == pytest.approx(1 / 3)
    title, price, category_stats = mini.fields["title"], mini.fields["price"], mini.fields["category"]
    assert (title.corrections, title.kept, title.acceptance_rate) == (2, 1, 0.5)
    expected_title_similarity = (1 + text_similarity("Wired headphones", "Wired headphones, used")) / 2
    assert title.mean_similarity == pytest.approx(expected_title_similarity)
    assert (price.acceptance_rate, price.mean_similarity) == (0.5, pytest.approx(0.9))
    assert (category_stats.acceptance_rate, category_stats.mean_similarity) == (1.0, 1.0)

    gpt4o = stats[(today, "gpt-4o", "v2")]
    assert (gpt4o.shown, gpt4o.thumbs_up_rate, gpt4o.abandon_rate) == (1, None, 0.0)
    assert (gpt4o.fields["category"].acceptance_rate, gpt4o.fields["title"].acceptance_rate) == (0.0, 1.0)


def test_the_numbers_can_be_limited_to_a_date_range(known_set):
    today = timezone.localdate()

    only_yesterday = suggestion_stats(since=today - timedelta(days=1), until=today - timedelta(days=1))

    assert [(row.day, row.shown, row.fields["title"].corrections) for row in only_yesterday] == [
        (today - timedelta(days=1), 1, 1)
    ]
    assert {row.day for row in suggestion_stats(since=today)} == {today}


def test_the_numbers_come_from_a_fixed_number_of_queries(known_set, django_assert_num_queries):
    with django_assert_num_queries(2):
        suggestion_stats()

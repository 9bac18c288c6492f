from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from feedback.models import Correction, Outcome, Review
from feedback.tasks import mark_abandoned_task, record_late_corrections_task
from marketplace.models import Listing
from marketplace.services.listings import ListingData, listing_update
from tests.factories import suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db


def test_the_sweeps_are_on_the_beat_schedule_under_their_registered_names():
    from config.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    for name in ("feedback.tasks.record_late_corrections_task", "feedback.tasks.mark_abandoned_task"):
        assert name in scheduled and name in app.tasks


def test_the_late_corrections_task_records_edits(seller):
    _, listing = post_from_suggestion(seller)
    listing = Listing.objects.get(pk=listing.pk)
    data = ListingData(listing.title, listing.description, listing.category, Decimal("99"), listing.condition)
    listing_update(listing=listing, actor=seller, data=data)

    assert record_late_corrections_task() == 1
    assert record_late_corrections_task() == 0
    assert Correction.objects.filter(kind="late", field="price").count() == 1


def test_the_abandon_task_marks_and_gives_new_suggestions_their_sample_key(seller):
    old = suggested_analysis(user=seller, finished_at=timezone.now() - timedelta(days=2))
    fresh = suggested_analysis(user=seller)

    assert mark_abandoned_task() == 1

    assert Outcome.objects.get(analysis=old).abandoned_at is not None
    assert set(Review.objects.values_list("analysis_id", flat=True)) == {old.pk, fresh.pk}

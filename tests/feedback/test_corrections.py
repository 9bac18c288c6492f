from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ai_prefill.services import analysis_regenerate
from feedback.models import Correction, Outcome
from feedback.selectors import outcome_for_analysis
from feedback.services import (
    compare_field,
    corrections_derive,
    corrections_derive_missing,
    corrections_record_late,
    outcomes_mark_abandoned,
)
from marketplace.models import Listing
from marketplace.services.listings import ListingData, listing_update
from tests.factories import category, committed_and_worked, suggested_analysis
from tests.feedback.helpers import post_from_suggestion


def regenerate(analysis):
    """The seller asks for another suggestion instead of this one (the sell page's button)."""
    analysis_regenerate(user=analysis.user, analysis_id=analysis.pk)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "suggested", "final", "changed", "similarity"),
    [
        ("title", "Wired headphones", "Wired headphones", False, 1.0),
        # difflib ratio: 2 * 3 matching characters / 8 characters in all.
        ("title", "abcd", "abce", True, 0.75),
        ("title", "abc", "xyz", True, 0.0),
        ("description", "", "", False, 1.0),
        ("category", "electronics", "electronics", False, 1.0),
        ("category", "electronics", "other", True, 0.0),
        ("condition", "good", "fair", True, 0.0),
    ],
)
def test_it_scores_text_and_choice_fields(field, suggested, final, changed, similarity):
    comparison = compare_field(field, suggested, final)

    assert (comparison.changed, comparison.similarity) == (changed, pytest.approx(similarity))
    assert comparison.relative_error is None


@pytest.mark.parametrize(
    ("suggested", "final", "relative_error", "similarity"),
    [
        ("20.00", Decimal("20.00"), 0.0, 1.0),
        ("20", Decimal("25.00"), 0.2, 0.8),
        ("60.00", Decimal("20.00"), 2.0, 0.0),
        ("0", Decimal("0"), 0.0, 1.0),
        ("5.00", Decimal("0"), None, 0.0),
        ("not a price", Decimal("10"), None, 0.0),
    ],
)
def test_it_scores_price_by_relative_error(suggested, final, relative_error, similarity):
    comparison = compare_field("price", suggested, final)

    assert comparison.relative_error == (None if relative_error is None else pytest.approx(relative_error))
    assert comparison.similarity == pytest.approx(similarity)


def edit(listing: Listing, **changes) -> None:
    listing = Listing.objects.get(pk=listing.pk)
    values = {f: getattr(listing, f) for f in ("title", "description", "category", "price", "condition")}
    listing_update(listing=listing, actor=listing.seller, data=ListingData(**{**values, **changes}))


def test_it_records_a_late_correction_for_each_field_edited_after_posting(seller):
    analysis, listing = post_from_suggestion(seller)
    edit(listing, price=Decimal("30.00"), title="Wired headphones, like new")

    recorded = corrections_record_late()

    late = {c.field: c for c in Correction.objects.filter(kind="late")}
    assert recorded == 2 and set(late) == {"price", "title"}
    assert (late["price"].suggested, late["price"].final, late["price"].changed) == ("20.00", "30.00", True)
    assert late["price"].relative_error == pytest.approx(1 / 3)
    assert late["title"].listing == listing and late["title"].analysis == analysis


def test_the_late_sweep_is_idempotent(seller):
    _, listing = post_from_suggestion(seller)
    edit(listing, price=Decimal("30.00"))

    assert corrections_record_late() == 1
    assert corrections_record_late() == 0
    assert Correction.objects.filter(kind="late").count() == 1


def test_it_compares_a_new_edit_with_the_last_recorded_value(seller):
    _, listing = post_from_suggestion(seller)
    edit(listing, price=Decimal("30.00"))
    corrections_record_late()
    edit(listing, price=Decimal("30.00"), title="Headphones")  # price unchanged since the last sweep
    edit(listing, price=Decimal("20.00"), title="Headphones")  # back to the suggested price

    corrections_record_late()

    late = list(Correction.objects.filter(kind="late").order_by("id").values_list("field", "final", "changed"))
    assert late == [("price", "30.00", True), ("title", "Headphones", True), ("price", "20.00", False)]


def test_it_ignores_edits_that_change_no_suggested_field(seller):
    _, listing = post_from_suggestion(seller)
    edit(listing)  # saved as it was

    assert corrections_record_late() == 0


def test_it_ignores_edits_after_the_first_seven_days(seller):
    _, listing = post_from_suggestion(seller)
    Listing.objects.filter(pk=listing.pk).update(created_at=timezone.now() - timedelta(days=7, hours=1))
    edit(listing, price=Decimal("30.00"))

    assert corrections_record_late() == 0


def test_it_records_no_late_corrections_for_listings_posted_by_hand(seller):
    from tests.factories import ListingFactory

    ListingFactory(seller=seller)
    assert corrections_record_late() == 0


def test_it_marks_suggestions_without_a_listing_after_24_hours_as_abandoned(seller):
    now = timezone.now()
    old = suggested_analysis(user=seller, finished_at=now - timedelta(hours=25))
    recent = suggested_analysis(user=seller, finished_at=now - timedelta(hours=23))
    failed_old = suggested_analysis(user=seller, status="failed", finished_at=now - timedelta(hours=30))
    posted, _ = post_from_suggestion(seller, analysis={"finished_at": now - timedelta(hours=48)})

    assert outcomes_mark_abandoned(now=now) == 2

    abandoned = set(Outcome.objects.filter(abandoned_at__isnull=False).values_list("analysis_id", flat=True))
    assert abandoned == {old.pk, failed_old.pk}
    assert recent.pk not in abandoned and posted.pk not in abandoned


def test_marking_abandoned_is_idempotent(seller):
    now = timezone.now()
    suggested_analysis(user=seller, finished_at=now - timedelta(hours=25))
    regenerate(suggested_analysis(user=seller, finished_at=now - timedelta(hours=26)))

    assert outcomes_mark_abandoned(now=now) == 2
    assert outcomes_mark_abandoned(now=now + timedelta(minutes=15)) == 0


def test_posting_late_clears_the_abandoned_mark(seller):
    from ai_prefill.posting import listing_post_from_analysis

    now = timezone.now()
    analysis = suggested_analysis(user=seller, finished_at=now - timedelta(hours=30))
    outcomes_mark_abandoned(now=now)
    data = ListingData("Headphones", "", category("electronics"), Decimal("20"), "good")

    with committed_and_worked():
        listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=data)

    outcome = Outcome.objects.get(analysis=analysis)
    assert outcome.posted_at is not None and outcome.abandoned_at is None


def test_it_counts_regenerate_clicks(seller):
    analysis = suggested_analysis(user=seller)

    regenerate(analysis)
    regenerate(analysis)
    analysis.refresh_from_db()

    assert outcome_for_analysis(analysis=analysis).regenerate_count == 2


def test_the_outcome_tells_posting_time_sale_and_messages_received(seller, buyer):
    from feedback.selectors import outcome_for_analysis
    from marketplace.models import Conversation, Message

    analysis, listing = post_from_suggestion(seller, regenerated=1)
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.SOLD)
    conversation = Conversation.objects.create(listing=listing, buyer=buyer)
    Message.objects.create(conversation=conversation, sender=buyer, body="Still available?")
    Message.objects.create(conversation=conversation, sender=buyer, body="Hello?")
    Message.objects.create(conversation=conversation, sender=seller, body="Yes")

    outcome = outcome_for_analysis(analysis=analysis)

    assert outcome.state == "posted" and outcome.sold and outcome.seconds_to_post >= 0
    assert (outcome.messages_received, outcome.regenerate_count) == (2, 1)


def test_deriving_a_posting_twice_gives_the_same_corrections_and_keeps_the_outcome(seller):
    analysis, _ = post_from_suggestion(seller, title="Wired Sony headphones")
    first = sorted(Correction.objects.filter(analysis=analysis).values_list("field", "final", "changed", "similarity"))
    checked_at = Outcome.objects.get(analysis=analysis).corrections_checked_at
    Outcome.objects.filter(analysis=analysis).update(corrections_checked_at=checked_at + timedelta(days=1))

    corrections_derive(analysis_id=analysis.pk)

    again = sorted(Correction.objects.filter(analysis=analysis).values_list("field", "final", "changed", "similarity"))
    assert again == first and len(again) == 5
    assert Outcome.objects.get(analysis=analysis).corrections_checked_at == checked_at + timedelta(days=1)


def test_the_sweep_derives_a_posting_whose_task_never_ran(seller):
    from ai_prefill.posting import listing_post_from_analysis

    analysis = suggested_analysis(user=seller)
    data = ListingData("Headphones", "", category("electronics"), Decimal("20"), "good")
    listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=data)  # no commit: no task
    assert not Outcome.objects.filter(analysis=analysis).exists()

    assert corrections_derive_missing() == 1

    assert Outcome.objects.get(analysis=analysis).posted_at is not None
    assert Correction.objects.filter(analysis=analysis, kind="initial").count() == 5
    assert corrections_derive_missing() == 0


def test_the_derive_command_recomputes_corrections_from_the_posting_facts(seller):
    import io

    from django.core.management import call_command

    analysis, _ = post_from_suggestion(seller, title="Wired Sony headphones")
    # As if the similarity metric had changed since: the stored figures are stale.
    Correction.objects.filter(analysis=analysis).update(similarity=0.123)
    out = io.StringIO()

    call_command("derive_corrections", stdout=out)

    title = Correction.objects.get(analysis=analysis, field="title")
    assert title.similarity == pytest.approx(
        compare_field("title", "Wired headphones", "Wired Sony headphones").similarity
    )
    assert Correction.objects.filter(analysis=analysis, similarity=0.123).count() == 0
    assert "Derived 1 posting." in out.getvalue()

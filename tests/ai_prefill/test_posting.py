from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import TestCase

from ai_prefill.models import Analysis
from ai_prefill.posting import AlreadyPosted, listing_post_from_analysis
from core.errors import NotFound, PhotoRejected
from feedback.models import Correction, Outcome
from marketplace.models import Listing, Photo
from marketplace.services.listings import ListingData
from tests.factories import UserFactory, category, committed_and_worked, photo_upload, suggested_analysis

pytestmark = pytest.mark.django_db


def posted_data(**changes) -> ListingData:
    values = {
        "title": "Wired headphones",
        "description": "Used a few times, work fine.",
        "category": category("electronics"),
        "price": Decimal("20.00"),
        "condition": "good",
    }
    return ListingData(**{**values, **changes})


def post(**arguments):
    """Post, commit, and let the worker run what the commit enqueued (feedback derives the corrections)."""
    with committed_and_worked():
        return listing_post_from_analysis(**arguments)


class FailingStorage(FileSystemStorage):
    """A disk that refuses every write, as a full or read-only volume would."""

    def _save(self, name, content):
        raise OSError("No space left on device")


def test_it_posts_with_the_analysed_photo_and_links_the_analysis(seller):
    analysis = suggested_analysis(user=seller)

    listing = post(seller=seller, analysis_id=str(analysis.pk), data=posted_data())

    analysis.refresh_from_db()
    assert analysis.listing == listing
    assert list(listing.photos.values_list("pk", "is_main")) == [(analysis.photo_id, True)]


def test_it_records_one_correction_per_suggested_field_with_the_listing(seller):
    analysis = suggested_analysis(user=seller)

    listing = post(
        seller=seller,
        analysis_id=analysis.pk,
        data=posted_data(title="Wired Sony headphones", price=Decimal("25.00"), category=category("other")),
    )

    corrections = {c.field: c for c in Correction.objects.filter(analysis=analysis)}
    assert set(corrections) == {"title", "description", "category", "price", "condition"}
    assert all(c.kind == "initial" and c.listing == listing for c in corrections.values())
    assert (corrections["title"].suggested, corrections["title"].final) == ("Wired headphones", "Wired Sony headphones")
    assert corrections["title"].changed and 0.8 < corrections["title"].similarity < 1
    assert (corrections["category"].final, corrections["category"].changed, corrections["category"].similarity) == (
        "other",
        True,
        0.0,
    )
    assert corrections["price"].relative_error == pytest.approx(0.2)
    assert not corrections["description"].changed and corrections["description"].similarity == 1.0
    assert Outcome.objects.get(analysis=analysis).posted_at is not None


def test_it_records_nothing_when_an_extra_photo_is_rejected(seller):
    analysis = suggested_analysis(user=seller)

    with pytest.raises(PhotoRejected):
        post(seller=seller, analysis_id=analysis.pk, data=posted_data(), uploads=[photo_upload(data=b"not a photo")])

    assert not Listing.objects.exists()
    assert not Correction.objects.exists()
    assert not Outcome.objects.exists()
    analysis.refresh_from_db()
    assert analysis.listing is None


def test_it_rolls_back_listing_and_corrections_when_storing_a_photo_fails(seller, settings):
    analysis = suggested_analysis(user=seller)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.FailingStorage"}}

    with pytest.raises(OSError):
        post(seller=seller, analysis_id=analysis.pk, data=posted_data(), uploads=[photo_upload()])

    assert not Listing.objects.exists()
    assert not Correction.objects.exists()
    assert not Outcome.objects.exists()
    assert Photo.objects.get(pk=analysis.photo_id).listing_id is None
    assert Analysis.objects.get(pk=analysis.pk).listing_id is None


def test_it_posts_without_corrections_when_the_analysis_failed(seller):
    analysis = suggested_analysis(user=seller, status="failed", error_type="timeout")

    listing = post(seller=seller, analysis_id=analysis.pk, data=posted_data())

    assert Analysis.objects.get(pk=analysis.pk).listing == listing
    assert not Correction.objects.exists()
    assert Outcome.objects.get(analysis=analysis).posted_at is not None


def test_it_posts_without_corrections_before_the_suggestion_arrives(seller):
    analysis = suggested_analysis(user=seller, status="running", finished_at=None)

    post(seller=seller, analysis_id=analysis.pk, data=posted_data())

    assert not Correction.objects.exists()


@pytest.mark.parametrize("analysis_id", ["not-a-uuid", "3f2b8a9e-0000-4000-8000-000000000000"])
def test_it_refuses_unknown_analysis_ids(seller, analysis_id):
    with pytest.raises(NotFound):
        post(seller=seller, analysis_id=analysis_id, data=posted_data())


def test_it_refuses_someone_elses_analysis(seller):
    analysis = suggested_analysis(user=UserFactory(username="other"))

    with pytest.raises(NotFound):
        post(seller=seller, analysis_id=analysis.pk, data=posted_data())

    assert not Listing.objects.exists()


def test_it_refuses_to_post_the_same_analysis_twice(seller):
    analysis = suggested_analysis(user=seller)
    post(seller=seller, analysis_id=analysis.pk, data=posted_data())

    with pytest.raises(AlreadyPosted):
        post(seller=seller, analysis_id=analysis.pk, data=posted_data())

    assert Listing.objects.count() == 1
    assert Correction.objects.count() == 5


def test_posting_records_the_facts_and_enqueues_their_derivation_after_commit(seller, published_tasks):
    analysis = suggested_analysis(user=seller)

    with TestCase.captureOnCommitCallbacks(execute=True):
        listing = listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=posted_data(title="Sony"))
        assert not published_tasks()  # nothing reaches the broker before the commit

    analysis.refresh_from_db()
    assert analysis.listing == listing and analysis.posted_at is not None
    assert analysis.posted_values == {
        "title": "Sony",
        "description": "Used a few times, work fine.",
        "category": "electronics",
        "price": "20.00",
        "condition": "good",
        # The category's item details, flat beside the fields; "" where the seller gave none.
        "brand": "",
        "model": "",
        "colour": "",
    }
    assert published_tasks() == [("feedback.tasks.derive_corrections_task", [str(analysis.pk)])]
    assert not Correction.objects.exists()  # ai_prefill records facts; deriving them is feedback's task

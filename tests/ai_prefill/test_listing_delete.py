"""A seller may delete a listing posted from a suggestion: its photos go, the analysis stays as a record."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from ai_prefill.models import Analysis
from ai_prefill.posting import listing_post_from_analysis
from marketplace.models import Listing, Photo
from marketplace.services.listings import ListingData, listing_delete
from tests.factories import category, suggested_analysis

pytestmark = pytest.mark.django_db


def test_deleting_a_listing_posted_from_an_analysis_keeps_the_analysis(
    seller, client, staff, django_capture_on_commit_callbacks
):
    analysis = suggested_analysis(user=seller)
    data = ListingData(
        title="Lamp", description="Works.", category=category("home-garden"), price=Decimal("10"), condition="good"
    )
    listing = listing_post_from_analysis(seller=seller, analysis_id=analysis.pk, data=data)
    photo_name = analysis.photo.image.name
    assert default_storage.exists(photo_name)

    with django_capture_on_commit_callbacks(execute=True):
        listing_delete(listing=listing, actor=seller)

    analysis.refresh_from_db()
    assert not Listing.objects.filter(pk=listing.pk).exists()
    assert not Photo.objects.exists()
    assert not default_storage.exists(photo_name)
    assert analysis.photo is None and analysis.listing is None
    assert analysis.status == Analysis.Status.SUCCEEDED
    client.force_login(staff)
    for url in (
        "/admin/ai_prefill/analysis/",
        f"/admin/ai_prefill/analysis/{analysis.pk}/change/",
        "/admin/feedback/suggestionreview/",
        f"/admin/feedback/suggestionreview/{analysis.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url

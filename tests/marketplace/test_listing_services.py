import pytest

from core.errors import NotAllowed
from marketplace.models import Listing
from marketplace.services.listings import listing_hide, listing_mark_sold
from tests.factories import ListingFactory


@pytest.mark.django_db
def test_it_keeps_a_listing_staff_hid_hidden_when_the_seller_marks_it_sold():
    listing = listing_hide(listing=ListingFactory())
    with pytest.raises(NotAllowed):
        listing_mark_sold(listing=listing, actor=listing.seller)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.HIDDEN


@pytest.mark.django_db
def test_it_refuses_to_mark_somebody_elses_listing_sold():
    listing = ListingFactory()
    other = ListingFactory().seller
    with pytest.raises(NotAllowed):
        listing_mark_sold(listing=listing, actor=other)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE

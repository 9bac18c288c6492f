"""A listing's state, set by its owner: available -> reserved -> sold, and back to available from either."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError, NotAllowed
from marketplace.models import Conversation, Listing, User
from marketplace.search import listing_changed
from marketplace.services.favourites import favourites_notify_sold

STATES = ("available", "reserved", "sold")


class StateInvalid(DomainError):
    pass


def listing_buyer_candidates(*, listing: Listing) -> QuerySet[User]:
    """The people who wrote to the seller about this listing: the buyers a sale can name."""
    return User.objects.filter(
        pk__in=Conversation.objects.filter(listing=listing).values("buyer_id"), is_active=True
    ).order_by("display_name", "username")


@transaction.atomic
def listing_state_set(*, listing: Listing, actor, state: str, buyer_id: int | None = None) -> Listing:
    """Move the owner's listing to available, reserved or sold (naming the buyer, one who wrote about it)."""
    # Locked, so a double click or two tabs see each other's change instead of both applying theirs.
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.seller_id != getattr(actor, "pk", None):
        raise NotAllowed(gettext("Only the seller can change this listing."))
    if listing.status == Listing.Status.HIDDEN:
        raise NotAllowed(gettext("This listing was taken down by our staff and cannot be changed."))
    if state not in STATES:
        raise StateInvalid(
            gettext("A listing can be %(states)s; '%(state)s' is none of them.")
            % {"states": ", ".join(STATES), "state": state[:20]}
        )
    buyer = None
    if buyer_id is not None:
        if state != "sold":
            raise StateInvalid(gettext("A buyer can only be named when the listing is sold."))
        buyer = listing_buyer_candidates(listing=listing).filter(pk=buyer_id).first()
        if buyer is None:
            raise StateInvalid(gettext("The buyer must be someone who wrote to you about this listing."))
    was_sold = listing.status == Listing.Status.SOLD
    now = timezone.now()
    if state == "available":
        listing.status, listing.reserved_at, listing.sold_at, listing.sold_to = Listing.Status.ACTIVE, None, None, None
    elif state == "reserved":
        listing.status, listing.sold_at, listing.sold_to = Listing.Status.ACTIVE, None, None
        listing.reserved_at = listing.reserved_at or now
    else:
        listing.status, listing.reserved_at = Listing.Status.SOLD, None
        listing.sold_at = listing.sold_at if was_sold else now
        listing.sold_to = buyer if buyer is not None else (listing.sold_to if was_sold else None)
    listing.save(update_fields=["status", "reserved_at", "sold_at", "sold_to", "updated_at"])
    listing_changed(listing_id=listing.pk)
    if state == "sold" and not was_sold:
        favourites_notify_sold(listing=listing)
    return listing

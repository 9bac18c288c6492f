"""Favourites (a buyer's saved listings) and the notices they bring: the price dropped, or it was sold."""

from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.errors import NotAllowed
from marketplace.languages import language_of
from marketplace.models import Favourite, Listing, Notice, Photo
from marketplace.templatetags.trova import euro


def favourite_add(*, user, listing: Listing) -> bool:
    """Save a listing for the user; False when it was already saved (a second click changes nothing)."""
    if listing.seller_id == user.pk:
        raise NotAllowed(gettext("This is your own listing: it is on your My listings page."))
    if listing.status == Listing.Status.HIDDEN:
        raise NotAllowed(gettext("This listing is not on the site any more."))
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, listing=listing)
    except IntegrityError:
        return False
    return True


def favourite_remove(*, user, listing: Listing) -> None:
    """Forget a saved listing (nothing happens when it was not saved)."""
    Favourite.objects.filter(user=user, listing=listing).delete()


def favourite_ids(*, user, listing_ids) -> set[int]:
    """Which of these listings the user saved: for the hearts on a page of cards, in one query."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Favourite.objects.filter(user=user, listing_id__in=list(listing_ids)).values_list("listing_id", flat=True)
    )


def favourite_listings(*, user) -> QuerySet[Listing]:
    """The user's saved listings, the latest saved first, sold ones included (with their badge), hidden ones not."""
    thumbnail = Photo.objects.filter(listing=OuterRef("pk")).order_by("-is_main", "position", "id")
    return (
        Listing.objects.filter(favourites__user=user)
        .exclude(status=Listing.Status.HIDDEN)
        .select_related("category", "seller")
        .annotate(main_thumbnail=Subquery(thumbnail.values("thumbnail")[:1]))
        .order_by("-favourites__created_at", "-id")
    )


def _notify(*, listing: Listing, kind: str, text: Callable[[], str]) -> None:
    """`text()` is written once per person, in their language (the notice is stored, and e-mailed, as it is)."""
    # Written in the change's own transaction, so a rollback takes the notices with it; e-mailed after commit.
    favourites = Favourite.objects.filter(listing=listing).exclude(user_id=listing.seller_id).select_related("user")
    texts: dict[str, str] = {}
    notices = []
    for favourite in favourites:
        language = language_of(favourite.user)
        if language not in texts:
            with translation.override(language):
                texts[language] = text()
        notices.append(Notice(user_id=favourite.user_id, kind=kind, listing=listing, text=texts[language]))
    notices = Notice.objects.bulk_create(notices)
    if notices:
        from marketplace.services.notifications import enqueue_email
        from marketplace.tasks import notices_email_task

        ids = [notice.pk for notice in notices]
        transaction.on_commit(lambda: enqueue_email(notices_email_task, ids))


def favourites_notify_price_drop(*, listing: Listing, old_price: Decimal) -> None:
    """Tell the people who saved the listing that its price went down."""
    if listing.price < old_price and listing.status == Listing.Status.ACTIVE:

        def text() -> str:
            prices = {"title": listing.title, "price": euro(listing.price), "old_price": euro(old_price)}
            return gettext("“%(title)s” is now %(price)s (was %(old_price)s).") % prices

        _notify(listing=listing, kind=Notice.Kind.PRICE_DROP, text=text)


def favourites_notify_sold(*, listing: Listing) -> None:
    """Tell the people who saved the listing that it was sold."""

    def text() -> str:
        return gettext("“%(title)s”, which you saved, has been sold.") % {"title": listing.title}

    _notify(listing=listing, kind=Notice.Kind.SOLD, text=text)


def notices_for_user(*, user) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user).select_related("listing")


def notices_mark_read(*, user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())

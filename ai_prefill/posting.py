"""Posting a listing from an analysed photo: the one way the pages and the API turn a suggestion into a listing."""

import uuid
from collections.abc import Callable, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from ai_prefill.services import analysis_photos
from core.errors import DomainError, NotFound

# Against the app arrows (feedback knows ai_prefill, not the reverse): the corrections must be written in
# the listing's own transaction, and this is the one place that does it.
from marketplace.models import Listing, Photo
from marketplace.services.listings import ListingData, ListingInvalid, listing_create
from marketplace.services.photos import photo_delete_files


class AlreadyPosted(DomainError):
    status_code = 409


# Called once the posting has committed, with the analysis id: feedback registers its derivation of the
# corrections and the outcome here (FeedbackConfig.ready), since ai_prefill must not know feedback.
_posted_hooks: list[Callable[[str], None]] = []


def on_analysis_posted(hook: Callable[[str], None]) -> None:
    """Register a callable run after commit with the id of every analysis posted as a listing."""
    if hook not in _posted_hooks:
        _posted_hooks.append(hook)


def _posted_hooks_run(analysis_id: str) -> None:
    for hook in _posted_hooks:
        hook(analysis_id)


def listing_post_from_analysis(
    *,
    seller,
    analysis_id,
    data: ListingData,
    uploads: Sequence = (),
    main_index: int = 0,
    photos: Sequence[Photo] | None = None,
) -> Listing:
    """Create the listing with the analysed photos, link it to the analysis and record the posting facts.

    The listing's photos are `photos` (the sell page's, in the seller's order; the seller's own, not in a listing)
    or by default every photo of the analysis in its order, then the uploads. One transaction: if anything fails
    (a bad extra photo, storage) there is no listing and no posting fact. A failed or unfinished analysis still
    posts; it just has no suggestion to compare with.
    """
    try:
        analysis_uuid = uuid.UUID(str(analysis_id))
    except ValueError:
        raise NotFound(_("We could not find that photo analysis.")) from None
    new_photos: list[Photo] = []
    try:
        with transaction.atomic():
            # The row lock makes a double submit wait, then see the listing and refuse.
            analysis = (
                # of=self: the photo is joined outer (it may be gone), and PostgreSQL cannot lock that side.
                Analysis.objects.select_for_update(of=("self",))
                .select_related("photo")
                .filter(pk=analysis_uuid, user_id=getattr(seller, "pk", None), user__isnull=False)
                .first()
            )
            if analysis is None:
                raise NotFound(_("We could not find that photo analysis."))
            if analysis.listing_id is not None:
                raise AlreadyPosted(_("This photo has already been posted as a listing."))
            existing = list(photos) if photos is not None else analysis_photos(analysis)
            total = len(existing) + len(uploads)
            if total and not 0 <= main_index < total:
                raise ListingInvalid(
                    _("main_image must be a photo's number, from 0 to %(last)d; it was %(given)d.")
                    % {"last": total - 1, "given": main_index}
                )
            listing = listing_create(
                seller=seller, data=data, uploads=uploads, existing_photos=existing, main_index=main_index
            )
            new_photos = list(listing.photos.exclude(pk__in=[photo.pk for photo in existing]))
            values = listing_values(listing)
            Analysis.objects.filter(pk=analysis.pk).update(
                listing=listing, posted_at=timezone.now(), posted_values=values
            )
            analysis.listing = listing
            analysis_id_text = str(analysis.pk)
            transaction.on_commit(lambda: _posted_hooks_run(analysis_id_text))
    except Exception:
        # listing_create cleans up after its own failures; files of photos it stored before a later step
        # failed would outlive the rolled-back rows.
        for photo in new_photos:
            photo_delete_files(photo)
        raise
    return listing


def listing_values(listing: Listing) -> dict[str, str]:
    """A listing's fields in the suggestion's terms (SUGGESTED_FIELDS): category slug, price as text with cents.

    Its item details follow, flat by slug as everywhere: each of its category's, "" when the seller left it empty.
    """
    values = {
        "title": listing.title,
        "description": listing.description,
        "category": listing.category.slug,
        "price": f"{listing.price:.2f}",
        "condition": listing.condition,
    }
    details = {
        slug: listing.attributes.get(slug, "") for slug in listing.category.attributes.values_list("slug", flat=True)
    }
    return {**{name: values[name] for name in SUGGESTED_FIELDS}, **details}

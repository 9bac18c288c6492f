"""Writing listings: create, edit, photos, sell, delete, hide. Only the owner changes a listing."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotAllowed
from marketplace.attributes import (
    ATTRIBUTE_VALUE_MAX_LENGTH,
    attribute_search_key,
    attribute_value_normalise,
    attributes_search_keys,
)
from marketplace.models import Category, Listing, Photo, User
from marketplace.places import Place, place_get
from marketplace.search import listing_changed
from marketplace.services.favourites import favourites_notify_price_drop, favourites_notify_sold
from marketplace.services.photos import Renditions, make_renditions, photo_create, photo_delete_files
from marketplace.text import text_clean


class ListingInvalid(DomainError):
    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class ListingData:
    title: str
    description: str
    category: Category
    price: Decimal
    condition: str
    # None: the seller's last place for a new listing, the listing's own place on an edit.
    place: Place | None = None
    # The item details by slug (listing_attributes_clean checks them). None: none for a new listing; on an edit,
    # the listing's own, less those its (new) category does not have.
    attributes: Mapping[str, object] | None = None

    def fields(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if name not in ("place", "attributes")}


def _attribute_invalid(slug: str, message: str) -> ListingInvalid:
    return ListingInvalid(message, {slug: [message]})


def listing_attributes_clean(*, category: Category, attributes: Mapping[str, object]) -> dict[str, str]:
    """The category's item details that have a value, normalised; ListingInvalid naming the first wrong one.

    A closed-list value is matched whatever its case and stored as the list spells it ("Black" is "black").
    """
    known = {attribute.slug: attribute for attribute in category.attributes.all()}
    unknown = [slug for slug in attributes if slug not in known]
    if unknown:
        slug = str(unknown[0])[:40]
        details = ", ".join(known) or "none"
        message = f"{category.name_translated} listings have no detail called '{slug}'. Their details are: {details}."
        raise _attribute_invalid(slug, message)
    cleaned: dict[str, str] = {}
    for slug, attribute in known.items():
        raw = attributes.get(slug)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise _attribute_invalid(slug, f"{attribute.name_translated} must be text.")
        value = attribute_value_normalise(raw)
        if not value:
            continue
        if len(value) > ATTRIBUTE_VALUE_MAX_LENGTH:
            limit = ATTRIBUTE_VALUE_MAX_LENGTH
            message = f"{attribute.name_translated} can be at most {limit} characters long (it has {len(value)})."
            raise _attribute_invalid(slug, message)
        if attribute.choices:
            by_key = {attribute_search_key(choice): choice for choice in attribute.choices}
            if attribute_search_key(value) not in by_key:
                message = f"{attribute.name_translated} must be one of: {', '.join(attribute.choices)}."
                raise _attribute_invalid(slug, message)
            value = by_key[attribute_search_key(value)]
        cleaned[slug] = value
    return cleaned


def _set_attributes(listing: Listing, attributes: Mapping[str, object] | None) -> None:
    if attributes is None:
        # Only what the category still has: a move to another category drops the details it has not.
        slugs = set(listing.category.attributes.values_list("slug", flat=True))
        listing.attributes = {slug: value for slug, value in listing.attributes.items() if slug in slugs}
    else:
        listing.attributes = listing_attributes_clean(category=listing.category, attributes=attributes)
    listing.attributes_search = attributes_search_keys(listing.attributes)


def _set_place(listing: Listing, place: Place | None) -> None:
    if place is None:
        return
    listing.place_geonameid, listing.place_name = place.geonameid, place.label
    listing.latitude, listing.longitude = place.latitude, place.longitude


def _remember_place(seller, place: Place | None) -> None:
    if place is not None and seller.last_place_geonameid != place.geonameid:
        User.objects.filter(pk=seller.pk).update(last_place_geonameid=place.geonameid)
        seller.last_place_geonameid = place.geonameid


HIDDEN_SENTENCE = _("This listing was taken down by our staff and cannot be changed. You can still delete it.")


def _ensure_owner(listing: Listing, actor) -> None:
    if listing.seller_id != getattr(actor, "pk", None):
        raise NotAllowed(gettext("Only the seller can change this listing."))


def _ensure_changeable(listing: Listing, actor) -> None:
    """The owner may change the listing, unless staff hid it: then it stays as it was reported (deletion aside)."""
    _ensure_owner(listing, actor)
    if listing.status == Listing.Status.HIDDEN:
        raise NotAllowed(str(HIDDEN_SENTENCE))


def _validate(listing: Listing) -> None:
    listing.title, listing.description = text_clean(listing.title).strip(), text_clean(listing.description).strip()
    try:
        listing.full_clean(exclude=["seller"])
    except ValidationError as exc:
        errors = exc.message_dict
        first = next(iter(errors.items()))
        raise ListingInvalid(f"{first[0].replace('_', ' ').capitalize()}: {first[1][0]}", errors) from None


def _check_photo_count(count: int) -> None:
    limit = settings.PHOTOS_PER_LISTING
    if count < 1:
        sentence = gettext("Please add at least one photo.")
        raise ListingInvalid(sentence, {"photos": [sentence]})
    if count > limit:
        message = ngettext(
            "A listing can have at most %(limit)d photo.", "A listing can have at most %(limit)d photos.", limit
        ) % {"limit": limit}
        raise ListingInvalid(message, {"photos": [message]})


def _store_photos(*, owner, listing: Listing, renditions: Sequence[Renditions], first_position: int) -> list[Photo]:
    stored: list[Photo] = []
    try:
        for offset, rendition in enumerate(renditions):
            position = first_position + offset
            stored.append(photo_create(owner=owner, renditions=rendition, listing=listing, position=position))
    except Exception:
        _delete_files(stored)
        raise
    return stored


def _delete_files(photos: Sequence[Photo]) -> None:
    for photo in photos:
        photo_delete_files(photo)


# How a listing is posted from a photo analysis. POST /api/listings takes an analysis_id and django-ninja cannot
# split one path between two routers, so the endpoint is marketplace's; the posting itself is ai_prefill's,
# which registers it here (AiPrefillConfig.ready). Marketplace knows no AI.
_analysis_poster: Callable[..., Listing] | None = None


def analysis_poster_register(poster: Callable[..., Listing]) -> None:
    """Register the callable that posts a listing from an analysis (seller, analysis_id, data, uploads, main_index)."""
    global _analysis_poster
    _analysis_poster = poster


def listing_post_from_analysis_id(
    *, seller, analysis_id, data: "ListingData", uploads: Sequence = (), main_index: int = 0
) -> Listing:
    """A listing made from an analysed photo, through the registered poster."""
    if _analysis_poster is None:
        raise ListingInvalid(
            gettext("This site does not post listings from photo analyses: send the photos as images.")
        )
    return _analysis_poster(seller=seller, analysis_id=analysis_id, data=data, uploads=uploads, main_index=main_index)


def listing_create(
    *,
    seller,
    data: ListingData,
    uploads: Sequence = (),
    existing_photos: Sequence[Photo] = (),
    main_index: int = 0,
) -> Listing:
    """Create a listing from new uploads and/or photos the seller already uploaded (e.g. the analysed one)."""
    _check_photo_count(len(uploads) + len(existing_photos))
    for photo in existing_photos:
        if photo.owner_id != seller.pk or photo.listing_id is not None:
            raise ListingInvalid(gettext("That photo cannot be used for this listing."))
    listing = Listing(seller=seller, **data.fields())
    place = data.place or place_get(seller.last_place_geonameid)
    _set_place(listing, place)
    _set_attributes(listing, data.attributes or {})
    _validate(listing)
    # Every upload is checked before anything is stored, so a bad third photo leaves no file behind.
    renditions = [make_renditions(upload) for upload in uploads]
    stored: list[Photo] = []
    try:
        with transaction.atomic():
            listing.save()
            for position, photo in enumerate(existing_photos):
                photo.listing, photo.position = listing, position
                photo.save(update_fields=["listing", "position"])
            stored = _store_photos(
                owner=seller, listing=listing, renditions=renditions, first_position=len(existing_photos)
            )
            photos = [*existing_photos, *stored]
            main = photos[main_index] if 0 <= main_index < len(photos) else photos[0]
            Photo.objects.filter(pk=main.pk).update(is_main=True)
            _remember_place(seller, place)
    except Exception:
        _delete_files(stored)
        raise
    listing_changed(listing_id=listing.pk)
    return listing


def listing_update(*, listing: Listing, actor, data: ListingData) -> Listing:
    """Change a listing's fields."""
    _ensure_changeable(listing, actor)
    old_price = listing.price
    for field, value in data.fields().items():
        setattr(listing, field, value)
    _set_place(listing, data.place)
    _set_attributes(listing, data.attributes)
    _validate(listing)
    with transaction.atomic():
        listing.save()
        listing_changed(listing_id=listing.pk)
        _remember_place(actor, data.place)
        favourites_notify_price_drop(listing=listing, old_price=old_price)
    return listing


def listing_photos_add(*, listing: Listing, actor, uploads: Sequence) -> list[Photo]:
    """Add photos to a listing, up to the limit."""
    _ensure_changeable(listing, actor)
    existing = listing.photos.count()
    _check_photo_count(existing + len(uploads))
    renditions = [make_renditions(upload) for upload in uploads]
    stored: list[Photo] = []
    try:
        with transaction.atomic():
            stored = _store_photos(owner=actor, listing=listing, renditions=renditions, first_position=existing)
            if existing == 0 and stored:
                Photo.objects.filter(pk=stored[0].pk).update(is_main=True)
    except Exception:
        _delete_files(stored)
        raise
    return stored


def listing_photo_remove(*, photo: Photo, actor) -> None:
    """Remove one photo; the last one cannot go, and the next becomes main when the main one goes."""
    listing = photo.listing
    _ensure_changeable(listing, actor)
    with transaction.atomic():
        if listing.photos.count() <= 1:
            raise ListingInvalid(gettext("A listing needs at least one photo."))
        photo.delete()
        if photo.is_main:
            successor = listing.photos.order_by("position", "id").first()
            Photo.objects.filter(pk=successor.pk).update(is_main=True)
    transaction.on_commit(lambda: _delete_files([photo]))


def listing_photo_set_main(*, photo: Photo, actor) -> None:
    """Mark one photo as the main one."""
    _ensure_changeable(photo.listing, actor)
    with transaction.atomic():
        photo.listing.photos.update(is_main=False)
        Photo.objects.filter(pk=photo.pk).update(is_main=True)


def listing_mark_sold(*, listing: Listing, actor) -> Listing:
    """Mark a listing as sold; it leaves the browse page."""
    # A hidden listing stays hidden: otherwise a seller could bring back a listing staff took down by "selling" it.
    _ensure_changeable(listing, actor)
    was_sold = listing.status == Listing.Status.SOLD
    listing.status, listing.sold_at = Listing.Status.SOLD, timezone.now()
    listing.save(update_fields=["status", "sold_at", "updated_at"])
    if not was_sold:
        favourites_notify_sold(listing=listing)
    listing_changed(listing_id=listing.pk)
    return listing


def listing_delete(*, listing: Listing, actor) -> None:
    """Delete a listing and its photo files; its reports stay, for staff (Report keeps the seller and title)."""
    _ensure_owner(listing, actor)
    photos = list(listing.photos.all())
    listing_changed(listing_id=listing.pk)
    listing.delete()
    transaction.on_commit(lambda: _delete_files(photos))


def listing_hide(*, listing: Listing) -> Listing:
    """Staff: take a listing off the site (after a report)."""
    listing.status = Listing.Status.HIDDEN
    listing.save(update_fields=["status", "updated_at"])
    listing_changed(listing_id=listing.pk)
    return listing

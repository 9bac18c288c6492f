"""A listing's page and the seller's own pages (edit, photos, sold, delete); selling is ai_prefill's sell page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from marketplace.forms import ListingFieldsForm, MessageForm, PhotosAddForm, add_domain_error
from marketplace.models import Conversation, Listing, Photo, Report
from marketplace.places import distance_km, place_find
from marketplace.selectors import listing_details
from marketplace.services.favourites import favourite_ids
from marketplace.services.listings import (
    HIDDEN_SENTENCE,
    listing_delete,
    listing_mark_sold,
    listing_photo_remove,
    listing_photo_set_main,
    listing_photos_add,
    listing_update,
)
from marketplace.services.profiles import rating_can_rate

MY_LISTINGS_PER_PAGE = 24


def visible_listing(request, pk: int) -> Listing:
    """A listing as the current user may see it: hidden ones exist only for their seller and staff."""
    listing = get_object_or_404(Listing.objects.select_related("seller", "category"), pk=pk)
    if listing.status == Listing.Status.HIDDEN and not (request.user.is_staff or request.user.pk == listing.seller_id):
        raise Http404(gettext("No such listing."))
    return listing


def own_listing(request, pk: int) -> Listing:
    """The user's own listing; for anyone else it does not exist (404), so ids are not confirmed."""
    return get_object_or_404(Listing.objects.select_related("category"), pk=pk, seller=request.user)


def render_detail(request, listing: Listing, *, contact_form: MessageForm | None = None, status: int = 200):
    user = request.user
    is_seller = user.pk == listing.seller_id
    conversation = reported = None
    if user.is_authenticated and not is_seller:
        conversation = Conversation.objects.filter(listing=listing, buyer=user).first()
        reported = Report.objects.filter(listing=listing, reporter=user).exists()
    # The buyer's chosen town comes along from the search (?near=<GeoNames id>), to show how far the item is.
    near = place_find(request.GET.get("near", "")[:20]) if listing.latitude is not None else None
    context = {
        "listing": listing,
        "distance_from": near,
        "saved": bool(favourite_ids(user=user, listing_ids=[listing.pk])),
        "can_rate": not is_seller and rating_can_rate(user=user, listing=listing),
        "distance": distance_km(near.latitude, near.longitude, listing.latitude, listing.longitude) if near else None,
        "photos": list(listing.photos.all()),
        "details": listing_details(listing=listing),
        "is_seller": is_seller,
        "conversation": conversation,
        "reported": reported,
        "contact_form": contact_form or MessageForm(),
        "can_contact": not is_seller and (listing.status == Listing.Status.ACTIVE or conversation is not None),
    }
    return render(request, "marketplace/listing_detail.html", context, status=status)


def detail(request, pk: int):
    return render_detail(request, visible_listing(request, pk))


@login_required
def my_listings(request):
    thumbnail = Photo.objects.filter(listing=OuterRef("pk")).order_by("-is_main", "position", "id")
    listings = (
        Listing.objects.filter(seller=request.user)
        .select_related("category")
        .annotate(main_thumbnail=Subquery(thumbnail.values("thumbnail")[:1]))
        .order_by("-created_at", "-id")
    )
    page = Paginator(listings, MY_LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "marketplace/my_listings.html", {"page": page})


def render_edit(request, listing: Listing, *, form=None, photos_form=None, status: int = 200):
    photos = list(listing.photos.all())
    context = {
        "listing": listing,
        "form": form or ListingFieldsForm(initial=_initial(listing)),
        "photos": photos,
        "photos_form": photos_form or PhotosAddForm(),
        "photo_slots_left": max(0, PhotosAddForm.base_fields["photos"].maximum - len(photos)),
    }
    return render(request, "marketplace/listing_edit.html", context, status=status)


def _initial(listing: Listing) -> dict:
    fields = ("title", "description", "category", "price", "condition")
    return {**listing.attributes, **{name: getattr(listing, name) for name in fields}, "place": listing.place_name}


def _refuse_hidden(request, listing: Listing):
    """A listing staff hid cannot be changed by its seller: back to its page, with the reason."""
    messages.error(request, HIDDEN_SENTENCE)
    return redirect(listing)


@login_required
def edit(request, pk: int):
    listing = own_listing(request, pk)
    if listing.status == Listing.Status.HIDDEN:
        return _refuse_hidden(request, listing)
    if request.method != "POST":
        return render_edit(request, listing)
    form = ListingFieldsForm(request.POST)
    if form.is_valid():
        try:
            listing_update(listing=listing, actor=request.user, data=form.listing_data())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Your changes are saved."))
            return redirect(listing)
    listing.refresh_from_db()
    return render_edit(request, listing, form=form, status=400)


@login_required
@require_POST
def photos_add(request, pk: int):
    listing = own_listing(request, pk)
    if listing.status == Listing.Status.HIDDEN:
        return _refuse_hidden(request, listing)
    photos_form = PhotosAddForm(request.POST, request.FILES)
    if photos_form.is_valid():
        try:
            added = listing_photos_add(listing=listing, actor=request.user, uploads=photos_form.cleaned_data["photos"])
        except DomainError as error:
            add_domain_error(photos_form, error, field="photos")
        else:
            messages.success(request, f"{len(added)} photo{'' if len(added) == 1 else 's'} added.")
            return redirect("marketplace:listing_edit", pk=listing.pk)
    return render_edit(request, listing, photos_form=photos_form, status=400)


def _own_photo(request, pk: int, photo_id: int) -> Photo:
    listing = own_listing(request, pk)
    return get_object_or_404(Photo.objects.select_related("listing"), pk=photo_id, listing=listing)


@login_required
@require_POST
def photo_remove(request, pk: int, photo_id: int):
    photo = _own_photo(request, pk, photo_id)
    try:
        listing_photo_remove(photo=photo, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Photo removed."))
    return redirect("marketplace:listing_edit", pk=pk)


@login_required
@require_POST
def photo_main(request, pk: int, photo_id: int):
    photo = _own_photo(request, pk, photo_id)
    try:
        listing_photo_set_main(photo=photo, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Main photo changed."))
    return redirect("marketplace:listing_edit", pk=pk)


@login_required
@require_POST
def mark_sold(request, pk: int):
    listing = own_listing(request, pk)
    try:
        listing_mark_sold(listing=listing, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(listing)
    messages.success(request, f"“{listing.title}” is marked as sold.")
    return redirect("marketplace:my_listings")


@login_required
def delete(request, pk: int):
    listing = own_listing(request, pk)
    if request.method == "POST":
        listing_delete(listing=listing, actor=request.user)
        messages.success(request, f"“{listing.title}” is deleted.")
        return redirect("marketplace:my_listings")
    return render(request, "marketplace/listing_confirm_delete.html", {"listing": listing})

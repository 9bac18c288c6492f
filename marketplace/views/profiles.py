"""Seller profiles (/u/<name>/) and ratings: the sale's named buyer rates once, the seller answers once."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from marketplace.forms import add_domain_error
from marketplace.models import RATING_COMMENT_MAX_LENGTH, Listing, Photo, Rating, User
from marketplace.services.favourites import favourite_ids
from marketplace.services.profiles import rating_answer, rating_can_rate, rating_create, seller_profile

LISTINGS_PER_PAGE = 24
RATINGS_SHOWN = 30


def _star_label(count: int) -> str:
    """'4 stars', in the language of the page that shows it (lazy: the form class is made at import)."""
    return lazy(lambda: ngettext("%(count)d star", "%(count)d stars", count) % {"count": count}, str)()


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, _star_label(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please pick from 1 to 5 stars."),
            "invalid_choice": _("Please pick from 1 to 5 stars."),
        },
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=RATING_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("A comment can be at most %(limit_value)d characters long.")},
    )


def profile(request, username: str):
    seller = get_object_or_404(User, username=username, is_active=True)
    thumbnail = Photo.objects.filter(listing=OuterRef("pk")).order_by("-is_main", "position", "id")
    listings = (
        Listing.objects.filter(seller=seller, status=Listing.Status.ACTIVE)
        .select_related("category", "seller")
        .annotate(main_thumbnail=Subquery(thumbnail.values("thumbnail")[:1]))
        .order_by("-created_at", "-id")
    )
    page = Paginator(listings, LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "profile": seller_profile(seller=seller),
        "page": page,
        "ratings": list(Rating.objects.filter(seller=seller).select_related("buyer", "listing")[:RATINGS_SHOWN]),
        "saved_ids": favourite_ids(user=request.user, listing_ids=[listing.pk for listing in page.object_list]),
        "is_me": request.user.pk == seller.pk,
    }
    return render(request, "marketplace/profile.html", context)


@login_required
def rate(request, pk: int):
    """The sale's named buyer rates the seller (GET: the form)."""
    listing = get_object_or_404(Listing.objects.select_related("seller"), pk=pk)
    if not rating_can_rate(user=request.user, listing=listing) and request.method != "POST":
        messages.info(request, gettext("Only the buyer named in the sale can rate it, once."))
        return redirect("marketplace:profile", username=listing.seller.username)
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                rating_create(
                    buyer=request.user,
                    listing=listing,
                    stars=form.cleaned_data["stars"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request,
                    gettext("Thank you: your rating of %(name)s is on their profile.")
                    % {"name": listing.seller.public_name},
                )
                return redirect("marketplace:profile", username=listing.seller.username)
    return render(request, "marketplace/rate.html", {"listing": listing, "form": form}, status=status)


@login_required
@require_POST
def answer(request, pk: int):
    rating = get_object_or_404(Rating.objects.select_related("seller"), pk=pk, seller=request.user)
    try:
        rating_answer(seller=request.user, rating=rating, text=request.POST.get("answer", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Your answer is on your profile."))
    return redirect("marketplace:profile", username=request.user.username)

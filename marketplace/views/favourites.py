"""The heart on cards and listing pages, the Saved page, the notices page and the e-mail settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from marketplace.models import User
from marketplace.services.favourites import (
    favourite_add,
    favourite_listings,
    favourite_remove,
    notices_for_user,
    notices_mark_read,
)
from marketplace.views.listings import visible_listing

PER_PAGE = 24


@login_required
@require_POST
def favourite(request, pk: int):
    """Save (action=save) or forget (action=remove) a listing; htmx gets the new heart in place."""
    listing = visible_listing(request, pk)
    saved = request.POST.get("action") != "remove"
    try:
        if saved:
            favourite_add(user=request.user, listing=listing)
        else:
            favourite_remove(user=request.user, listing=listing)
    except DomainError as error:
        if request.htmx:
            return render(
                request, "marketplace/_heart.html", {"listing": listing, "saved": False, "error": error.message}
            )
        messages.error(request, error.message)
        saved = False
    if request.htmx:
        return render(request, "marketplace/_heart.html", {"listing": listing, "saved": saved})
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(listing)


@login_required
def saved(request):
    listings = favourite_listings(user=request.user)
    page = Paginator(listings, PER_PAGE).get_page(request.GET.get("page"))
    saved_ids = {listing.pk for listing in page.object_list}
    return render(request, "marketplace/saved.html", {"page": page, "saved_ids": saved_ids})


@login_required
def notices(request):
    page = Paginator(notices_for_user(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    response = render(request, "marketplace/notices.html", {"page": page})
    notices_mark_read(user=request.user)  # after rendering, so this visit still shows which ones are new
    return response


@login_required
def account_settings(request):
    if request.method == "POST":
        enabled = request.POST.get("email_notifications") == "on"
        User.objects.filter(pk=request.user.pk).update(email_notifications=enabled)
        messages.success(
            request,
            gettext("E-mails are on.") if enabled else gettext("E-mails are off: you will see news on the site only."),
        )
        return redirect("marketplace:settings")
    # One settings page: the account's, which has the same choice among the others.
    return redirect(reverse("marketplace:account") + "#notifications-heading")

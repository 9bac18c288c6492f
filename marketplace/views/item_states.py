"""The owner moves a listing between available, reserved and sold; sold asks for a confirmation first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError
from marketplace.services.item_states import listing_buyer_candidates, listing_state_set
from marketplace.views.listings import own_listing

DONE = {
    "available": "“{title}” is available again.",
    "reserved": "“{title}” is marked as reserved.",
    "sold": "“{title}” is marked as sold.",
}


def _back(request, listing):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(listing)


@login_required
def listing_state(request, pk: int):
    """GET: the sold confirmation (naming the buyer). POST state=available|reserved|sold: the change."""
    listing = own_listing(request, pk)
    candidates = list(listing_buyer_candidates(listing=listing))
    if request.method != "POST":
        return render(request, "marketplace/listing_confirm_sold.html", {"listing": listing, "candidates": candidates})
    state = request.POST.get("state", "")
    buyer = request.POST.get("buyer", "")
    try:
        listing = listing_state_set(
            listing=listing, actor=request.user, state=state, buyer_id=int(buyer) if buyer.isdigit() else None
        )
    except DomainError as error:
        if state == "sold":
            context = {"listing": listing, "candidates": candidates, "error": error.message}
            return render(request, "marketplace/listing_confirm_sold.html", context, status=error.status_code)
        messages.error(request, error.message)
        return _back(request, listing)
    messages.success(request, DONE[state].format(title=listing.title))
    return _back(request, listing)

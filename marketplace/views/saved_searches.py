"""Saved searches: keep the current search, the list with new-match counts, and the logged-out unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import DomainError
from marketplace.models import SavedSearch
from marketplace.services.saved_searches import (
    saved_search_browse_url,
    saved_search_create,
    saved_search_delete,
    saved_search_from_token,
    saved_search_mark_seen,
    saved_search_new_count,
    saved_search_set_digest,
    search_params,
)


@login_required
def saved_searches(request):
    """GET: the user's searches with their new matches. POST: keep the search whose parameters are posted."""
    if request.method == "POST":
        try:
            search = saved_search_create(user=request.user, params=search_params(request.POST))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                gettext("Search saved: %(name)s. We e-mail you new matches once a day at most.")
                % {"name": search.name},
            )
        return redirect("marketplace:saved_searches")
    searches = list(SavedSearch.objects.filter(user=request.user))
    rows = [(search, saved_search_new_count(search=search)) for search in searches]
    return render(request, "marketplace/saved_searches.html", {"rows": rows})


@login_required
def saved_search_open(request, pk: int):
    """Show the search's results; its new matches count as seen from now."""
    search = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved_search_mark_seen(search=search)
    return redirect(saved_search_browse_url(search))


@login_required
@require_POST
def saved_search_change(request, pk: int):
    """action=delete, or digest=on|off."""
    search = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    if request.POST.get("action") == "delete":
        saved_search_delete(user=request.user, search=search)
        messages.success(request, gettext("Search deleted: %(name)s.") % {"name": search.name})
    else:
        enabled = request.POST.get("digest") == "on"
        saved_search_set_digest(search=search, enabled=enabled)
        sentence = (
            gettext("Daily e-mails for %(name)s are on.") if enabled else gettext("Daily e-mails for %(name)s are off.")
        )
        messages.success(request, sentence % {"name": search.name})
    return redirect("marketplace:saved_searches")


# The signed token is the authority here, not a session: the link works logged out, from any mail client,
# and RFC 8058 one-click unsubscribes POST without a CSRF token.
@csrf_exempt
def saved_search_unsubscribe(request, token: str):
    search = saved_search_from_token(token)
    if search is None:
        return render(request, "marketplace/saved_search_unsubscribe.html", {"invalid": True}, status=404)
    done = request.method == "POST"
    if done:
        saved_search_set_digest(search=search, enabled=False)
    return render(request, "marketplace/saved_search_unsubscribe.html", {"search": search, "done": done})

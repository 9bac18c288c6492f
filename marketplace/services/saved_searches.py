"""Saved searches: a buyer keeps a search with its filters, sees how many new listings match it, and gets one
digest e-mail per search and day (claimed by a unique row, so a digest is never sent twice)."""

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext

from core.errors import DomainError
from marketplace.languages import in_language_of
from marketplace.models import Category, CategoryAttribute, Listing, SavedSearch, SavedSearchDigest
from marketplace.selectors import ListingFilters, listing_search
from marketplace.services.notifications import absolute_url
from marketplace.templatetags.trova import euro, euro_range

PARAM_NAMES = ("q", "category", "min_price", "max_price", "near", "within", "sort")
SEARCHES_PER_USER = 20
DIGEST_LISTINGS = 10
UNSUBSCRIBE_SALT = "marketplace.saved_search.unsubscribe"


class SavedSearchInvalid(DomainError):
    pass


def _param_names() -> tuple[str, ...]:
    """The browse page's parameters: its filters, and the item details' (by slug)."""
    return (*PARAM_NAMES, *sorted(set(CategoryAttribute.objects.values_list("slug", flat=True))))


def search_params(data) -> dict[str, str]:
    """The browse parameters worth keeping from a request's GET or POST data (empty ones left out)."""
    return {name: str(data.get(name, "")).strip()[:200] for name in _param_names() if str(data.get(name, "")).strip()}


def saved_search_filters(*, params: dict[str, str]) -> ListingFilters:
    """The filters the params mean, read by the browse page's own form (a value it ignores is ignored here)."""
    from marketplace.forms import BrowseForm  # forms import the services; the form is the one reader of params

    filters, _notes = BrowseForm(params, categories=list(Category.objects.all())).filters()
    return filters


def _describe(filters: ListingFilters) -> str:
    # In the language of the person saving it: the name is stored, and only they see it.
    parts = [f"“{filters.q}”" if filters.q else gettext("Everything")]
    if filters.category:
        category = Category.objects.filter(slug=filters.category).first()
        name = category.name_translated if category else filters.category
        parts.append(gettext("in %(category)s") % {"category": name})
    if filters.max_price is not None:
        price_range = euro_range(filters.min_price or 0, filters.max_price)
        parts.append(gettext("at %(prices)s") % {"prices": price_range})
    elif filters.min_price is not None:
        parts.append(gettext("from %(price)s") % {"price": euro(filters.min_price)})
    if filters.near is not None:
        if filters.within_km:
            parts.append(
                gettext("within %(km)d km of %(town)s") % {"km": filters.within_km, "town": filters.near.label}
            )
        else:
            parts.append(gettext("near %(town)s") % {"town": filters.near.label})
    if filters.attributes:
        parts.append("· " + ", ".join(filters.attributes.values()))
    return " ".join(parts)[:200]


def saved_search_create(*, user, params: dict[str, str]) -> SavedSearch:
    """Keep the search for the user (the same search twice is kept once); new matches count from now."""
    names = _param_names()
    params = {name: value for name, value in params.items() if name in names and name != "sort"}
    existing = SavedSearch.objects.filter(user=user, params=params).first()
    if existing is not None:
        return existing
    if SavedSearch.objects.filter(user=user).count() >= SEARCHES_PER_USER:
        raise SavedSearchInvalid(
            gettext("You can keep at most %(limit)d searches. Please delete one you no longer need first.")
            % {"limit": SEARCHES_PER_USER}
        )
    now = timezone.now()
    name = _describe(saved_search_filters(params=params))
    return SavedSearch.objects.create(user=user, name=name, params=params, seen_at=now, digested_until=now)


def saved_search_delete(*, user, search: SavedSearch) -> None:
    SavedSearch.objects.filter(pk=search.pk, user=user).delete()


def saved_search_matches(*, search: SavedSearch, since: datetime) -> QuerySet[Listing]:
    """Available listings matching the search that were posted after `since`, the newest first."""
    listings = listing_search(filters=saved_search_filters(params=search.params))
    return listings.filter(created_at__gt=since).order_by("-created_at", "-id")


def saved_search_new_count(*, search: SavedSearch) -> int:
    return saved_search_matches(search=search, since=search.seen_at).count()


def saved_search_mark_seen(*, search: SavedSearch) -> None:
    SavedSearch.objects.filter(pk=search.pk).update(seen_at=timezone.now())


def saved_search_browse_url(search: SavedSearch) -> str:
    return (
        f"{reverse('marketplace:browse')}?{urlencode(search.params)}"
        if search.params
        else reverse("marketplace:browse")
    )


def saved_search_set_digest(*, search: SavedSearch, enabled: bool) -> None:
    SavedSearch.objects.filter(pk=search.pk).update(digest_enabled=enabled)


def unsubscribe_token(search: SavedSearch) -> str:
    """A signed token naming the search: the unsubscribe link works without logging in, and cannot be guessed."""
    return signing.dumps({"search": search.pk}, salt=UNSUBSCRIBE_SALT)


def saved_search_from_token(token: str) -> SavedSearch | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return SavedSearch.objects.filter(pk=data.get("search")).first() if isinstance(data, dict) else None


def saved_search_digests_send(*, now: datetime | None = None) -> int:
    """Send today's digest of every search with new matches that has none yet today; returns how many went out."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    searches = (
        SavedSearch.objects.filter(digest_enabled=True, user__is_active=True)
        .exclude(user__email="")
        .exclude(digests__day=day)
        .select_related("user")
        .order_by("pk")
    )
    return sum(_digest_send(search=search, day=day) for search in searches.iterator(chunk_size=200))


def _digest_send(*, search: SavedSearch, day) -> bool:
    if not search.user.notification_email:
        return False  # no confirmed address yet: the digest waits (new matches are still counted on the page)
    matches = saved_search_matches(search=search, since=search.digested_until)
    shown = list(matches[:DIGEST_LISTINGS])
    if not shown:
        return False
    count = matches.count() if len(shown) == DIGEST_LISTINGS else len(shown)
    try:
        with transaction.atomic():
            # The claim: a second run (or a concurrent one, which waits on the unique index) fails here.
            SavedSearchDigest.objects.create(search=search, day=day, listing_count=count)
            SavedSearch.objects.filter(pk=search.pk).update(digested_until=shown[0].created_at)
            with in_language_of(search.user):
                message = _digest_email(search=search, listings=shown, count=count)
            message.send()
    except IntegrityError:
        return False
    return True


def _digest_email(*, search: SavedSearch, listings: list[Listing], count: int) -> EmailMessage:
    unsubscribe = absolute_url(reverse("marketplace:saved_search_unsubscribe", args=[unsubscribe_token(search)]))
    named = {"count": count, "name": search.name}
    lines = [
        gettext("Hello %(name)s,") % {"name": search.user.public_name},
        "",
        ngettext(
            "%(count)d new listing for your search %(name)s:", "%(count)d new listings for your search %(name)s:", count
        )
        % named,
        "",
    ]
    for listing in listings:
        town = f", {listing.place_name}" if listing.place_name else ""
        lines.append(f"- {listing.title}: {euro(listing.price)}{town}\n  {absolute_url(listing.get_absolute_url())}")
    if count > len(listings):
        lines.append("\n" + gettext("…and %(more)d more.") % {"more": count - len(listings)})
    see_all = absolute_url(reverse("marketplace:saved_search_open", args=[search.pk]))
    lines += [
        "",
        gettext("See them all: %(link)s") % {"link": see_all},
        "",
        gettext("One e-mail a day at most for this search. Stop these e-mails (no log-in needed): %(link)s")
        % {"link": unsubscribe},
    ]
    subject = ngettext("%(count)d new for your search %(name)s", "%(count)d new for your search %(name)s", count)
    return EmailMessage(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject % named}",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[search.user.notification_email],
        # RFC 8058 one-click unsubscribe: mail clients POST to the same link.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )

"""Reports: shoppers flag a listing, staff resolve reports and hide listings."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.errors import DomainError, NotAllowed, RateLimited, sliding_window_wait
from marketplace.models import Listing, Report, User
from marketplace.services.listings import listing_hide
from marketplace.text import text_clean

COMMENT_MAX_LENGTH = 1000


class ReportInvalid(DomainError):
    pass


class ReportRateLimited(RateLimited):
    pass


def _check_rate_limit(reporter) -> None:
    # Counted in the database like messages; the lock on the reporter's row queues their parallel reports here.
    User.objects.select_for_update().filter(pk=reporter.pk).exists()
    limit, window = settings.REPORTS_PER_HOUR, timedelta(hours=1)
    recent = Report.objects.filter(reporter=reporter, created_at__gte=timezone.now() - window)
    counted = recent.aggregate(count=Count("id"), oldest=Min("created_at"))
    if counted["count"] >= limit:
        raise ReportRateLimited(
            ngettext(
                "You have reported %(limit)d listing in the last hour, which is the limit. Thank you: our team will "
                "look at it. Please wait a while before reporting more.",
                "You have reported %(limit)d listings in the last hour, which is the limit. Thank you: our team will "
                "look at them. Please wait a while before reporting more.",
                limit,
            )
            % {"limit": limit},
            retry_after_seconds=sliding_window_wait(counted["oldest"], window),
        )


def report_create(*, listing: Listing, reporter, reason: str, comment: str = "") -> tuple[Report, bool]:
    """Report a listing; a second report by the same person returns the first one (created=False)."""
    if reason not in Report.Reason.values:
        raise ReportInvalid(gettext("Please pick a reason from the list."))
    comment = text_clean(comment).strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ReportInvalid(
            gettext("The comment can be at most %(limit)d characters long.") % {"limit": COMMENT_MAX_LENGTH}
        )
    if listing.seller_id == reporter.pk:
        raise NotAllowed(gettext("You cannot report your own listing."))
    with transaction.atomic():
        existing = Report.objects.filter(listing=listing, reporter=reporter).first()
        if existing is not None:
            return existing, False
        _check_rate_limit(reporter)
        report = Report.objects.create(
            listing=listing,
            seller_id=listing.seller_id,
            listing_title=listing.title,
            reporter=reporter,
            reason=reason,
            comment=comment,
        )
        return report, True


def reports_resolve(*, reports: QuerySet[Report]) -> int:
    """Staff: mark reports as dealt with."""
    return reports.filter(resolved=False).update(resolved=True)


@transaction.atomic
def listings_hide_reported(*, reports: Iterable[Report]) -> int:
    """Staff: hide the listings these reports are about and resolve every open report on them."""
    listing_ids = {report.listing_id for report in reports if report.listing_id is not None}
    for listing in Listing.objects.filter(pk__in=listing_ids).exclude(status=Listing.Status.HIDDEN):
        listing_hide(listing=listing)
    Report.objects.filter(listing_id__in=listing_ids, resolved=False).update(resolved=True)
    return len(listing_ids)

"""Reports: shoppers flag a listing, staff resolve reports and hide listings."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from core.errors import DomainError, NotAllowed
from marketplace.models import Listing, Report
from marketplace.services.listings import listing_hide

COMMENT_MAX_LENGTH = 1000


class ReportInvalid(DomainError):
    pass


def report_create(*, listing: Listing, reporter, reason: str, comment: str = "") -> tuple[Report, bool]:
    """Report a listing; a second report by the same person returns the first one (created=False)."""
    if reason not in Report.Reason.values:
        raise ReportInvalid("Please pick a reason from the list.")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ReportInvalid(f"The comment can be at most {COMMENT_MAX_LENGTH} characters long.")
    if listing.seller_id == reporter.pk:
        raise NotAllowed("You cannot report your own listing.")
    existing = Report.objects.filter(listing=listing, reporter=reporter).first()
    if existing is not None:
        return existing, False
    return Report.objects.create(listing=listing, reporter=reporter, reason=reason, comment=comment), True


def reports_resolve(*, reports: QuerySet[Report]) -> int:
    """Staff: mark reports as dealt with."""
    return reports.filter(resolved=False).update(resolved=True)


@transaction.atomic
def listings_hide_reported(*, reports: Iterable[Report]) -> int:
    """Staff: hide the listings these reports are about and resolve every open report on them."""
    listing_ids = {report.listing_id for report in reports}
    for listing in Listing.objects.filter(pk__in=listing_ids).exclude(status=Listing.Status.HIDDEN):
        listing_hide(listing=listing)
    Report.objects.filter(listing_id__in=listing_ids, resolved=False).update(resolved=True)
    return len(listing_ids)

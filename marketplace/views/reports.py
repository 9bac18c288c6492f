"""Reporting a listing to staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from core.errors import DomainError, RateLimited, with_retry_after
from marketplace.forms import ReportForm, add_domain_error
from marketplace.models import Report
from marketplace.services.reports import report_create
from marketplace.views.listings import visible_listing


@login_required
def report(request, pk: int):
    listing = visible_listing(request, pk)
    already = Report.objects.filter(listing=listing, reporter=request.user).exists()
    if already and request.method == "POST":
        messages.info(request, gettext("You have already reported this listing. Thank you."))
        return redirect(listing)
    form = ReportForm(request.POST) if request.method == "POST" else ReportForm()
    if request.method == "POST":
        status, refusal = 400, None
        if form.is_valid():
            try:
                report_create(
                    listing=listing,
                    reporter=request.user,
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = 429 if isinstance(error, RateLimited) else 400
                refusal = error
            else:
                messages.success(request, gettext("Thank you. Our team will look at this listing."))
                return redirect(listing)
        page = render(request, "marketplace/listing_report.html", {"listing": listing, "form": form}, status=status)
        return with_retry_after(page, refusal)
    return render(request, "marketplace/listing_report.html", {"listing": listing, "form": form, "already": already})

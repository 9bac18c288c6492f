"""Pages: the seller's vote widget (htmx, and plain form posts without JS) and the staff annotation queue."""

import uuid

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ai_prefill.confidence import suggestion_values
from ai_prefill.models import Analysis
from core.errors import NotFound
from feedback.forms import AnnotationForm, VoteForm
from feedback.selectors import (
    analysis_owned,
    analysis_posted_values,
    annotation_queue_size,
    suggestion_attributes,
    vote_current,
)
from feedback.services import (
    AlreadyAnnotated,
    AnnotationInvalid,
    VoteInvalid,
    annotation_claim_next,
    annotation_record,
    annotation_skip,
    vote_reasons_for,
    vote_record,
)
from marketplace.models import Category


def _back(request) -> str:
    """Where the seller was: the page htmx reports, the form's `next`, or the referring page; never off-site."""
    current = request.htmx.current_url_abs_path if request.htmx else None
    for candidate in (current, request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


@require_POST
def vote(request, analysis_id: uuid.UUID):
    """Record the seller's thumbs; htmx gets the widget back in place, a plain post goes back to the page."""
    try:
        analysis = analysis_owned(analysis_id=analysis_id, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from None
    form = VoteForm(request.POST, reasons=vote_reasons_for(analysis))
    if form.is_valid():
        try:
            saved = vote_record(
                analysis=analysis,
                user=request.user,
                value=form.cleaned_data["vote"],
                reasons=form.cleaned_data["reasons"],
                comment=form.cleaned_data["comment"],
            )
        except VoteInvalid as error:
            form.add_error(None, error.message)
        else:
            if request.htmx:
                context = {"analysis": analysis, "vote": saved, "saved": True, "back": _back(request)}
                return render(request, "feedback/_vote.html", context)
            return redirect(_back(request))
    context = {"analysis": analysis, "vote": None, "form": form, "back": _back(request)}
    if request.htmx:
        return render(request, "feedback/_vote.html", context, status=422)
    return render(request, "feedback/vote_rejected.html", context, status=400)


def _annotation_page(request, *, analysis: Analysis | None, form: AnnotationForm | None, status: int = 200):
    context = {
        **admin.site.each_context(request),
        "title": gettext("Annotate suggestions"),
        "analysis": analysis,
        "form": form,
        "remaining": annotation_queue_size(user=request.user),
    }
    if analysis is not None:
        suggestion, posted = analysis.suggestion or {}, analysis_posted_values(analysis=analysis)
        context["vote"] = vote_current(analysis=analysis, user=analysis.user)
        values = suggestion_values(suggestion)
        # The categories by their name in the staff member's language, not their slug.
        names = {category.slug: category.name_translated for category in Category.objects.all()}
        for row_values in (values, posted):
            if row_values.get("category") in names:
                row_values["category"] = names[row_values["category"]]
        context["rows"] = [
            {
                "verdict": verdict,
                "value": value,
                # None is a detail the model said it could not see.
                "suggested": gettext("not visible")
                if name in values and values[name] is None
                else values.get(name, ""),
                "posted": posted.get(name, ""),
            }
            for name, verdict, value in form.field_rows()
        ]
    return render(request, "feedback/annotate.html", context, status=status)


@staff_member_required
def annotate(request):
    """One suggestion at a time from the queue: mark each field right or wrong, save or skip, next."""
    if request.method != "POST":
        analysis = annotation_claim_next(user=request.user)
        form = AnnotationForm(attributes=suggestion_attributes(analysis=analysis)) if analysis else None
        return _annotation_page(request, analysis=analysis, form=form)
    try:
        analysis = Analysis.objects.select_related("photo").get(pk=uuid.UUID(request.POST.get("analysis_id", "")))
    except (ValueError, Analysis.DoesNotExist):
        raise Http404(gettext("There is no such analysis.")) from None
    if "skip" in request.POST:
        annotation_skip(analysis=analysis, user=request.user)
        return redirect("feedback:annotate")
    form = AnnotationForm(request.POST, attributes=suggestion_attributes(analysis=analysis))
    if form.is_valid():
        try:
            annotation_record(
                analysis=analysis,
                annotator=request.user,
                verdicts=form.verdicts(),
                notes=form.cleaned_data["notes"],
                add_to_eval_set=form.cleaned_data["add_to_eval_set"],
                dataset=form.cleaned_data["dataset"],
            )
        except AlreadyAnnotated as error:
            messages.warning(request, error.message)
            return redirect("feedback:annotate")
        except AnnotationInvalid as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, gettext("Saved. Here is the next one."))
            return redirect("feedback:annotate")
    return _annotation_page(request, analysis=analysis, form=form, status=400)

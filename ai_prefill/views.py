"""The sell page: a photo starts an analysis, its suggestion fills the empty fields, the seller checks and posts.

Every step works without JavaScript (plain form posts and a "Check again" button); with it, htmx uploads
the photo at once, polls the analysis and swaps in partials, and sell.js fills the fields the seller left
empty. Posting never waits for the model: with or without a suggestion, the listing form is always there.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ai_prefill.confidence import suggestion_split
from ai_prefill.forms import PhotoForm, SellForm
from ai_prefill.live import live_fields_get
from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from ai_prefill.posting import AlreadyPosted, listing_post_from_analysis
from ai_prefill.selectors import analysis_error
from ai_prefill.services import analysis_regenerate, analysis_start, analysis_time_budget_seconds
from core.errors import DomainError, with_retry_after
from marketplace.forms import PriceField, add_domain_error, place_initial
from marketplace.models import CategoryAttribute
from marketplace.services.listings import listing_create

FAILED_SENTENCE = "We couldn't suggest details this time — please fill in the form yourself."
QUEUE_DOWN_SENTENCE = (
    "Our suggestion service is down right now, so please fill in the form yourself — your photo is kept."
)
# Unfinished analyses the seller was told to stop waiting for are still looked at now and then: a
# suggestion that arrives late (the broker came back) still fills the fields left empty.
POLL_SECONDS = 1
# With a streamed answer the fields arrive one by one, so the page looks more often while it runs.
STREAM_POLL_SECONDS = 0.25
LATE_POLL_SECONDS = 5


@dataclass(frozen=True)
class Progress:
    """What the progress area says about an analysis, and whether the page should keep asking."""

    key: str  # pending, running, succeeded, failed, timed_out or queue_unavailable
    sentence: str
    steps: tuple[tuple[str, str], ...]  # (label, "done" | "current" | "failed" | "todo")
    poll_seconds: float | None = None
    seconds_left: int | None = None
    wait_text: str = ""

    @property
    def can_regenerate(self) -> bool:
        return self.key in ("succeeded", "failed", "timed_out")


def _steps(analysing: str, ready: str) -> tuple[tuple[str, str], ...]:
    return (("Photo uploaded", "done"), ("Analysing", analysing), ("Suggestions ready", ready))


def _duration_text(seconds: float) -> str:
    return f"{round(seconds / 60)} minutes" if seconds >= 90 else f"{round(seconds)} seconds"


def analysis_progress(analysis: Analysis) -> Progress:
    """The page's view of an analysis: its step, one sentence, and how long the seller may still wait."""
    if analysis.status == Analysis.Status.SUCCEEDED:
        kind = "demo suggestions" if analysis.provider == "demo" else "suggestions"
        sentence = f"Done: we filled in the empty fields with {kind}. Check them and change anything that is not right."
        return Progress("succeeded", sentence, _steps("done", "done"))
    if analysis.status == Analysis.Status.FAILED:
        return Progress("failed", FAILED_SENTENCE, _steps("failed", "todo"))
    error = analysis_error(analysis=analysis)
    if error is not None and error.type == "queue_unavailable":
        return Progress(error.type, QUEUE_DOWN_SENTENCE, _steps("failed", "todo"), poll_seconds=LATE_POLL_SECONDS)
    if error is not None:
        return Progress("timed_out", FAILED_SENTENCE, _steps("failed", "todo"), poll_seconds=LATE_POLL_SECONDS)
    budget = analysis_time_budget_seconds()
    elapsed = (timezone.now() - analysis.created_at).total_seconds()
    if analysis.status == Analysis.Status.RUNNING:
        sentence = "Analysing your photo… You can start filling in the form meanwhile."
    else:
        sentence = "Photo uploaded. The analysis starts in a moment; you can start filling in the form meanwhile."
    return Progress(
        analysis.status,
        sentence,
        _steps("current", "todo"),
        poll_seconds=STREAM_POLL_SECONDS if settings.AI_STREAM else POLL_SECONDS,
        seconds_left=max(0, round(budget - elapsed)),
        wait_text=f"If it takes more than {_duration_text(budget)}, we stop waiting and you fill in the form.",
    )


def _own_analysis(user, analysis_id) -> Analysis:
    """The seller's own analysis; for anyone else it does not exist (404), so ids are not confirmed."""
    try:
        analysis_uuid = analysis_id if isinstance(analysis_id, uuid.UUID) else uuid.UUID(str(analysis_id))
    except ValueError:
        raise Http404("We could not find that photo analysis.") from None
    analysis = Analysis.objects.select_related("photo", "listing").filter(pk=analysis_uuid, user=user).first()
    if analysis is None:
        raise Http404("We could not find that photo analysis.")
    return analysis


def _suggestion(analysis: Analysis | None) -> dict[str, str]:
    if analysis is None or analysis.status != Analysis.Status.SUCCEEDED or not isinstance(analysis.suggestion, dict):
        return {}
    # Only the values sure enough to fill their field (ai_prefill.confidence), the item details flat by slug.
    filled = suggestion_split(analysis.suggestion).filled
    return {name: str(value) for name, value in filled.items() if isinstance(value, str | int | float)}


def _price_comparables(analysis: Analysis | None) -> dict | None:
    """The comparables' range the suggested price was moved into; None when there were too few."""
    if analysis is None or analysis.status != Analysis.Status.SUCCEEDED or not isinstance(analysis.suggestion, dict):
        return None
    comparables = analysis.suggestion.get("comparables")
    return comparables if isinstance(comparables, dict) else None


def _live_fields(analysis: Analysis | None) -> dict[str, str]:
    """The fields a running analysis's streamed answer has completed so far: a preview, replaced by the suggestion."""
    if analysis is None or analysis.status != Analysis.Status.RUNNING:
        return {}
    return {name: value for name, value in live_fields_get(analysis_id=analysis.pk).items() if name in SUGGESTED_FIELDS}


def _same(name: str, value: str, suggested: str) -> bool:
    if name != "price":
        return value.strip() == suggested.strip()
    try:
        return PriceField().to_python(value) == Decimal(suggested)
    except (ValidationError, ArithmeticError):
        return False


def _suggested_fields(values, suggestion: dict[str, str]) -> set[str]:
    """The fields that still hold the suggestion: marked as suggested, and replaced by a newer one."""
    return {name for name, suggested in suggestion.items() if _same(name, str(values.get(name) or ""), suggested)}


def _posted_values(post) -> dict[str, str]:
    return {name: post.get(name, "") for name in SUGGESTED_FIELDS}


def _fill_empty(values: dict[str, str], suggestion: dict[str, str]) -> dict[str, str]:
    """The suggestion goes only where the seller left a field empty; what they typed always wins."""
    return {name: value if value.strip() else suggestion.get(name, "") for name, value in values.items()}


def _sell_url(analysis: Analysis | None = None) -> str:
    url = reverse("ai_prefill:sell")
    return f"{url}?analysis={analysis.pk}" if analysis else url


def _context(request, *, analysis: Analysis | None, form: SellForm | None = None, **extra) -> dict:
    """What the page and its partials need to show an analysis (or none) next to the listing form."""
    suggestion = _suggestion(analysis)
    live_fields = _live_fields(analysis)
    values = (form.data if form.is_bound else form.initial) if form is not None else {}
    return {
        "analysis": analysis,
        "progress": analysis_progress(analysis) if analysis else None,
        "suggestion": suggestion,
        "price_comparables": _price_comparables(analysis),
        "live_fields": live_fields,
        "suggested_fields": _suggested_fields(values, suggestion),
        "vote_back": _sell_url(analysis),
        "photo_form": PhotoForm(),
        "form": form,
        "more_photos": settings.PHOTOS_PER_LISTING - 1,
        **extra,
    }


def _page(request, *, form: SellForm, analysis: Analysis | None = None, status: int = 200, **extra):
    context = _context(request, analysis=analysis, form=form, **extra)
    # sell.js reads the fields a suggestion can fill from here: SUGGESTED_FIELDS stays their one definition.
    # The item details follow, by slug, as the listing form names their inputs.
    detail_slugs = CategoryAttribute.objects.order_by("slug").values_list("slug", flat=True).distinct()
    context["suggestable_fields"] = [*SUGGESTED_FIELDS, *detail_slugs]
    return render(request, "ai_prefill/sell/page.html", context, status=status)


def _photo_swap(request, *, analysis: Analysis | None, status: int = 200, **extra):
    """The htmx answer to a photo change: the photo slot, plus the progress, tools and hidden id out of band."""
    context = _context(request, analysis=analysis, **extra)
    return render(request, "ai_prefill/sell/_photo_swap.html", context, status=status)


@login_required
def sell(request):
    """Post a listing: from an analysed photo (analysis_id) or from uploaded photos, 1 to 8 in all."""
    if request.method != "POST":
        analysis = _own_analysis(request.user, request.GET["analysis"]) if request.GET.get("analysis") else None
        if analysis is not None and analysis.listing_id is not None:
            # Back to an analysis already posted (the browser's back button): its photo is in that listing now.
            return _page(request, form=SellForm(), posted_listing=analysis.listing)
        initial = {**_suggestion(analysis), "place": place_initial(request.user)}
        form = SellForm(initial=initial, analysed_photo=analysis is not None)
        return _page(request, form=form, analysis=analysis)

    analysis_id = request.POST.get("analysis_id", "").strip()
    analysis = _own_analysis(request.user, analysis_id) if analysis_id else None
    intent = request.POST.get("intent", "publish")
    extra_photos_dropped = bool(request.FILES.getlist("photos"))
    if intent in ("refresh", "change_photo"):
        # Buttons for pages without JavaScript: look at the analysis again, or start over with another
        # photo, keeping whatever the seller typed.
        values = _posted_values(request.POST)
        if intent == "change_photo":
            analysis = None
        else:
            values = _fill_empty(values, _suggestion(analysis))
        form = SellForm(initial={**values, "place": request.POST.get("place", "")}, analysed_photo=analysis is not None)
        return _page(request, form=form, analysis=analysis, photos_repick=extra_photos_dropped)

    form = SellForm(request.POST, request.FILES, analysed_photo=analysis is not None)
    status, refusal = 400, None
    if form.is_valid():
        data, photos, main_index = form.listing_data(), form.cleaned_data["photos"], form.cleaned_data["main_photo"]
        try:
            if analysis is not None:
                listing = listing_post_from_analysis(
                    seller=request.user, analysis_id=analysis.pk, data=data, uploads=photos, main_index=main_index
                )
            else:
                listing = listing_create(seller=request.user, data=data, uploads=photos, main_index=main_index)
        except AlreadyPosted:
            # A second click on "Publish": the first one made the listing.
            analysis.refresh_from_db()
            messages.info(request, "This photo is already posted: here is your listing.")
            return redirect(analysis.listing)
        except DomainError as error:
            add_domain_error(form, error, field="photos")
            status, refusal = error.status_code, error
        else:
            messages.success(request, "Your listing is live.")
            return redirect(listing)
    repick = extra_photos_dropped or analysis is None
    return with_retry_after(_page(request, form=form, analysis=analysis, status=status, photos_repick=repick), refusal)


@login_required
def sell_photo(request):
    """Start an analysis from one photo. htmx gets the page's photo area back; a plain post, a redirect."""
    if request.method != "POST":
        if request.htmx:
            return _photo_swap(request, analysis=None)
        return redirect("ai_prefill:sell")
    photo_form = PhotoForm(request.POST, request.FILES)
    status, refusal = 400, None
    if photo_form.is_valid():
        try:
            analysis = analysis_start(
                user=request.user,
                uploads=[photo_form.cleaned_data["photo"]],
                session_key=request.session.session_key or "",
            )
        except DomainError as error:
            photo_form.add_error("photo", error.message)
            status, refusal = error.status_code, error
        else:
            if request.htmx:
                # Re-read: a broker that refused the task has marked the analysis by now.
                analysis.refresh_from_db()
                return _photo_swap(request, analysis=analysis)
            return redirect(_sell_url(analysis))
    if request.htmx:
        # 422, as the vote widget answers: the photo area is swapped in with the sentence (and in DEBUG,
        # django-htmx would replace the whole page with any 400 answer to an htmx request).
        swap = _photo_swap(request, analysis=None, photo_form=photo_form, status=422 if status == 400 else status)
        return with_retry_after(swap, refusal)
    form = SellForm()
    return with_retry_after(_page(request, form=form, status=status, photo_form=photo_form), refusal)


@login_required
def sell_status(request, analysis_id: uuid.UUID):
    """The progress area, polled by the page; 204 while it would show the same as it already does."""
    analysis = _own_analysis(request.user, analysis_id)
    progress = analysis_progress(analysis)
    shown_fields = request.GET.get("fields", "0")
    if request.GET.get("shown") == progress.key and shown_fields == str(len(_live_fields(analysis))):
        return HttpResponse(status=204)
    return render(request, "ai_prefill/sell/_status_swap.html", _context(request, analysis=analysis))


@login_required
@require_POST
def sell_regenerate(request, analysis_id: uuid.UUID):
    """Ask again about the same photo; the fields the seller typed stay as they are."""
    previous = _own_analysis(request.user, analysis_id)
    try:
        analysis = analysis_regenerate(user=request.user, analysis_id=previous.pk)
    except DomainError as error:
        if request.htmx:
            swap = _photo_swap(request, analysis=previous, regenerate_error=error.message, status=error.status_code)
            return with_retry_after(swap, error)
        form = SellForm(initial=_posted_values(request.POST), analysed_photo=True)
        page = _page(request, form=form, analysis=previous, status=error.status_code, regenerate_error=error.message)
        return with_retry_after(page, error)
    analysis.refresh_from_db()
    if request.htmx:
        return _photo_swap(request, analysis=analysis)
    # Without JavaScript the whole form came along: keep what the seller typed, and empty the fields that
    # still held the old suggestion so the new one can fill them.
    values = _posted_values(request.POST)
    old = _suggestion(previous)
    values = {name: "" if name in _suggested_fields(values, old) else value for name, value in values.items()}
    form = SellForm(initial=values, analysed_photo=True)
    return _page(request, form=form, analysis=analysis, photos_repick=bool(request.FILES.getlist("photos")))

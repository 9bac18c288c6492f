"""The sell page: the seller's photos (1 to 8, in their order) start an analysis, its sure values fill the empty
fields and its unsure ones are offered as choices to tap; the seller checks and posts.

One photo picker: the picked photos become draft photos (hidden `photo_ids` inputs, in order) and, once posted,
the listing's photos, the first one main. Every step works without JavaScript (plain form posts with buttons for
analyse, reorder, remove, choose and "Check again"); with it, sell.js uploads each photo as soon as it is picked,
starts the analysis over every photo present, polls it (htmx) and fills the fields the seller left empty.
Posting never waits for the model: with or without a suggestion, the listing form is always there.
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
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ai_prefill.confidence import suggestion_split
from ai_prefill.forms import PhotoForm, SellForm
from ai_prefill.live import live_fields_get
from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from ai_prefill.posting import AlreadyPosted, listing_post_from_analysis
from ai_prefill.selectors import analysis_error
from ai_prefill.services import (
    analysis_photos,
    analysis_regenerate,
    analysis_start,
    analysis_time_budget_seconds,
    draft_photos_get,
    draft_photos_present,
    photo_store,
)
from core.errors import DomainError, with_retry_after
from marketplace.attributes import attribute_choice_label
from marketplace.forms import PriceField, add_domain_error, place_initial
from marketplace.models import Category, CategoryAttribute, Condition, Photo
from marketplace.services.listings import listing_create
from marketplace.templatetags.trova import euro


def _failed_sentence() -> str:
    return _("We couldn't suggest details this time — please fill in the form yourself.")


def _queue_down_sentence() -> str:
    return _("Our suggestion service is down right now, so please fill in the form yourself — your photos are kept.")


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
    return ((_("Photos uploaded"), "done"), (_("Analysing"), analysing), (_("Suggestions ready"), ready))


def _duration_text(seconds: float) -> str:
    if seconds >= 90:
        minutes = round(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", round(seconds)) % {"count": round(seconds)}


def analysis_progress(analysis: Analysis) -> Progress:
    """The page's view of an analysis: its step, one sentence, and how long the seller may still wait."""
    if analysis.status == Analysis.Status.SUCCEEDED:
        if analysis.provider == "demo":
            sentence = _("Done: we filled in what the demo could tell. Check it and fill in the rest yourself.")
        else:
            sentence = _(
                "Done: we filled in the empty fields we are sure about, and offer choices where we are not. "
                "Check them and change anything that is not right."
            )
        return Progress("succeeded", sentence, _steps("done", "done"))
    if analysis.status == Analysis.Status.FAILED:
        return Progress("failed", _failed_sentence(), _steps("failed", "todo"))
    error = analysis_error(analysis=analysis)
    if error is not None and error.type == "queue_unavailable":
        return Progress(error.type, _queue_down_sentence(), _steps("failed", "todo"), poll_seconds=LATE_POLL_SECONDS)
    if error is not None:
        return Progress("timed_out", _failed_sentence(), _steps("failed", "todo"), poll_seconds=LATE_POLL_SECONDS)
    budget = analysis_time_budget_seconds()
    elapsed = (timezone.now() - analysis.created_at).total_seconds()
    if analysis.status == Analysis.Status.RUNNING:
        sentence = _("Analysing your photos… You can start filling in the form meanwhile.")
    else:
        sentence = _("Photos uploaded. The analysis starts in a moment; you can start filling in the form meanwhile.")
    return Progress(
        analysis.status,
        sentence,
        _steps("current", "todo"),
        poll_seconds=STREAM_POLL_SECONDS if settings.AI_STREAM else POLL_SECONDS,
        seconds_left=max(0, round(budget - elapsed)),
        wait_text=_("If it takes more than %(duration)s, we stop waiting and you fill in the form.")
        % {"duration": _duration_text(budget)},
    )


def _own_analysis(user, analysis_id) -> Analysis:
    """The seller's own analysis; for anyone else it does not exist (404), so ids are not confirmed."""
    try:
        analysis_uuid = analysis_id if isinstance(analysis_id, uuid.UUID) else uuid.UUID(str(analysis_id))
    except ValueError:
        raise Http404(_("We could not find that photo analysis.")) from None
    analysis = Analysis.objects.select_related("photo", "listing").filter(pk=analysis_uuid, user=user).first()
    if analysis is None:
        raise Http404(_("We could not find that photo analysis."))
    return analysis


def _split(analysis: Analysis | None):
    if analysis is None or analysis.status != Analysis.Status.SUCCEEDED or not isinstance(analysis.suggestion, dict):
        return None
    return suggestion_split(analysis.suggestion)


def _suggestion(analysis: Analysis | None) -> dict[str, str]:
    # Only the values sure enough to fill their field (ai_prefill.confidence), the item details flat by slug.
    split = _split(analysis)
    filled = split.filled if split is not None else {}
    return {name: str(value) for name, value in filled.items() if isinstance(value, str | int | float)}


def _choices(analysis: Analysis | None) -> dict[str, list[str]]:
    """The values offered for the seller to tap, by field: below their field's threshold, so never filled."""
    split = _split(analysis)
    choices = split.choices if split is not None else {}
    return {name: [str(value) for value in values] for name, values in choices.items()}


def _choice_label(name: str, value: str, category_names: dict[str, str]) -> str:
    if name == "category":
        return category_names.get(value, value)
    if name == "condition":
        return str(dict(Condition.choices).get(value, value))
    if name == "price":
        return euro(value)
    return attribute_choice_label(value)


def _choices_shown(choices: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """The choices as the page shows them: (value, label) pairs, the category's by name."""
    category_names = {}
    if "category" in choices:
        category_names = {category.slug: category.name_translated for category in Category.objects.all()}
    return {
        name: [(value, _choice_label(name, value, category_names)) for value in values]
        for name, values in choices.items()
    }


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


def _suggested_fields(values, suggestion: dict[str, str], choices: dict[str, list[str]] | None = None) -> set[str]:
    """The fields that still hold the suggestion, or one of its choices the seller tapped: marked as suggested, and
    replaced by a newer suggestion."""
    offered = {name: [value] for name, value in suggestion.items()}
    for name, candidates in (choices or {}).items():
        offered.setdefault(name, []).extend(candidates)
    return {
        name
        for name, candidates in offered.items()
        if any(_same(name, str(values.get(name) or ""), candidate) for candidate in candidates)
    }


def _suggestable_fields() -> list[str]:
    # SUGGESTED_FIELDS stays their one definition; the item details follow, by slug, as the form names their inputs.
    detail_slugs = CategoryAttribute.objects.order_by("slug").values_list("slug", flat=True).distinct()
    return [*SUGGESTED_FIELDS, *detail_slugs]


def _posted_values(post) -> dict[str, str]:
    """What the seller typed into the listing's fields, the item details (by slug) included."""
    return {name: post.get(name, "") for name in _suggestable_fields() if name in post or name in SUGGESTED_FIELDS}


def _fill_empty(values: dict[str, str], suggestion: dict[str, str]) -> dict[str, str]:
    """The suggestion goes only where the seller left a field empty; what they typed always wins."""
    filled = {name: value if value.strip() else suggestion.get(name, "") for name, value in values.items()}
    return {**{name: value for name, value in suggestion.items() if name not in values}, **filled}


def _sell_url(analysis: Analysis | None = None) -> str:
    url = reverse("ai_prefill:sell")
    return f"{url}?analysis={analysis.pk}" if analysis else url


def _context(request, *, analysis: Analysis | None, form: SellForm | None = None, **extra) -> dict:
    """What the page and its partials need to show an analysis (or none) next to the listing form."""
    suggestion = _suggestion(analysis)
    choices = _choices(analysis)
    live_fields = _live_fields(analysis)
    values = (form.data if form.is_bound else form.initial) if form is not None else {}
    return {
        "analysis": analysis,
        "progress": analysis_progress(analysis) if analysis else None,
        "suggestion": suggestion,
        "choices": _choices_shown(choices),
        "price_comparables": _price_comparables(analysis),
        "live_fields": live_fields,
        "suggested_fields": _suggested_fields(values, suggestion, choices),
        "vote_back": _sell_url(analysis),
        "photo_form": PhotoForm(),
        "form": form,
        "photos_max": settings.PHOTOS_PER_LISTING,
        "draft_photos": [],
        "suggestable_fields": _suggestable_fields(),
        **extra,
    }


def _page(request, *, form: SellForm, analysis: Analysis | None = None, status: int = 200, **extra):
    context = _context(request, analysis=analysis, form=form, **extra)
    return render(request, "ai_prefill/sell/page.html", context, status=status)


def _analysis_swap(request, *, analysis: Analysis | None, status: int = 200, **extra):
    """The htmx answer to a started or re-asked analysis: the progress, plus the tools, the choices and the id
    out of band."""
    context = _context(request, analysis=analysis, **extra)
    return render(request, "ai_prefill/sell/_analysis_swap.html", context, status=status)


def _draft_photos(request) -> list[Photo]:
    """The photos on the page (hidden photo_ids, in the seller's order)."""
    return draft_photos_present(user=request.user, photo_ids=request.POST.getlist("photo_ids"))


def _photos_arranged(photos: list[Photo], intent: str) -> list[Photo]:
    """The photos after a no-JavaScript reorder or remove button: "earlier:ID", "later:ID" or "remove:ID"."""
    action, _sep, photo_id = intent.partition(":")
    index = next((i for i, photo in enumerate(photos) if str(photo.pk) == photo_id), None)
    if index is None:
        return photos
    photos = list(photos)
    if action == "remove":
        del photos[index]
    elif action == "earlier" and index > 0:
        photos[index - 1], photos[index] = photos[index], photos[index - 1]
    elif action == "later" and index < len(photos) - 1:
        photos[index + 1], photos[index] = photos[index], photos[index + 1]
    return photos


def _form_again(request, *, values: dict, draft_count: int) -> SellForm:
    return SellForm(initial={**values, "place": request.POST.get("place", "")}, draft_count=draft_count)


@login_required
def sell(request):
    """Post a listing from the page's photos (analysed or not, 1 to 8 in all, in order), with or without JavaScript."""
    if request.method != "POST":
        analysis = _own_analysis(request.user, request.GET["analysis"]) if request.GET.get("analysis") else None
        if analysis is not None and analysis.listing_id is not None:
            # Back to an analysis already posted (the browser's back button): its photos are in that listing now.
            return _page(request, form=SellForm(), posted_listing=analysis.listing)
        drafts = [photo for photo in analysis_photos(analysis) if photo.listing_id is None] if analysis else []
        initial = {**_suggestion(analysis), "place": place_initial(request.user)}
        form = SellForm(initial=initial, draft_count=len(drafts))
        return _page(request, form=form, analysis=analysis, draft_photos=drafts)

    analysis_id = request.POST.get("analysis_id", "").strip()
    analysis = _own_analysis(request.user, analysis_id) if analysis_id else None
    intent = request.POST.get("intent", "publish")
    drafts = _draft_photos(request)
    files_dropped = bool(request.FILES.getlist("photos"))
    if intent == "analyse":
        return _analyse_without_js(request, drafts=drafts, previous=analysis)
    if intent == "refresh" or intent.partition(":")[0] in ("earlier", "later", "remove", "choose"):
        # Buttons for pages without JavaScript: look at the analysis again, move or remove a photo, or take one of
        # the offered values, keeping whatever the seller typed.
        values = _fill_empty(_posted_values(request.POST), _suggestion(analysis))
        if intent.startswith("choose:"):
            _action, name, value = intent.split(":", 2)
            if value in _choices(analysis).get(name, ()):
                values[name] = value
        drafts = _photos_arranged(drafts, intent)
        form = _form_again(request, values=values, draft_count=len(drafts))
        return _page(request, form=form, analysis=analysis, draft_photos=drafts, photos_repick=files_dropped)

    if analysis is not None and analysis.listing_id is not None:
        # A second click on "Publish": the first one made the listing (and took the photos).
        messages.info(request, _("These photos are already posted: here is your listing."))
        return redirect(analysis.listing)
    form = SellForm(request.POST, request.FILES, draft_count=len(drafts))
    status, refusal = 400, None
    if form.is_valid():
        data, uploads = form.listing_data(), form.cleaned_data["photos"]
        try:
            if analysis is not None:
                listing = listing_post_from_analysis(
                    seller=request.user, analysis_id=analysis.pk, data=data, uploads=uploads, photos=drafts
                )
            else:
                listing = listing_create(seller=request.user, data=data, uploads=uploads, existing_photos=drafts)
        except AlreadyPosted:
            # A second click on "Publish": the first one made the listing.
            analysis.refresh_from_db()
            messages.info(request, _("These photos are already posted: here is your listing."))
            return redirect(analysis.listing)
        except DomainError as error:
            add_domain_error(form, error, field="photos")
            status, refusal = error.status_code, error
        else:
            messages.success(request, _("Your listing is live."))
            return redirect(listing)
    page = _page(request, form=form, analysis=analysis, status=status, draft_photos=drafts, photos_repick=files_dropped)
    return with_retry_after(page, refusal)


def _analyse_without_js(request, *, drafts: list[Photo], previous: Analysis | None):
    """The "Analyse photos" button of a page without JavaScript: the picked files join the photos already there.

    Fields still holding the previous suggestion are emptied for the new one; what the seller typed stays."""
    values = _posted_values(request.POST)
    stale = _suggested_fields(values, _suggestion(previous), _choices(previous))
    values = {name: "" if name in stale else value for name, value in values.items()}
    uploads = request.FILES.getlist("photos")
    try:
        analysis = analysis_start(
            user=request.user, photos=drafts, uploads=uploads, session_key=request.session.session_key or ""
        )
    except DomainError as error:
        form = _form_again(request, values=values, draft_count=len(drafts))
        page = _page(
            request,
            form=form,
            status=error.status_code,
            draft_photos=drafts,
            photos_error=error.message,
            photos_repick=bool(uploads),
        )
        return with_retry_after(page, error)
    analysis.refresh_from_db()
    photos = analysis_photos(analysis)
    form = _form_again(request, values=values, draft_count=len(photos))
    return _page(request, form=form, analysis=analysis, draft_photos=photos)


@login_required
def sell_photo(request):
    """Store one picked photo for the page (sell.js sends each as soon as it is picked): its thumbnail item back,
    or the sentence saying why not (422, 429)."""
    if request.method != "POST":
        return redirect("ai_prefill:sell")
    photo_form = PhotoForm(request.POST, request.FILES)
    status, refusal = 422, None
    if photo_form.is_valid():
        try:
            photo = photo_store(user=request.user, upload=photo_form.cleaned_data["photo"])
        except DomainError as error:
            photo_form.add_error("photo", error.message)
            status, refusal = (422 if error.status_code == 400 else error.status_code), error
        else:
            return render(request, "ai_prefill/sell/_photo_item.html", {"photo": photo})
    # 422, as the vote widget answers (in DEBUG, django-htmx would replace the whole page with any 400 answer).
    errors = [str(error) for error in photo_form.errors.get("photo", [])]
    response = render(request, "ai_prefill/sell/_photo_refused.html", {"errors": errors}, status=status)
    return with_retry_after(response, refusal)


@login_required
@require_POST
def sell_analyse(request):
    """Start an analysis over every photo on the page, in order (sell.js, after uploads or "Update suggestions")."""
    try:
        photos = draft_photos_get(user=request.user, photo_ids=request.POST.getlist("photo_ids"))
        analysis = analysis_start(user=request.user, photos=photos, session_key=request.session.session_key or "")
    except DomainError as error:
        swap = _analysis_swap(request, analysis=None, photos_error=error.message, status=error.status_code)
        return with_retry_after(swap, error)
    analysis.refresh_from_db()  # a broker that refused the task has marked the analysis by now
    return _analysis_swap(request, analysis=analysis)


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
    """Ask again about the same photos; the fields the seller typed stay as they are."""
    previous = _own_analysis(request.user, analysis_id)
    try:
        analysis = analysis_regenerate(user=request.user, analysis_id=previous.pk)
    except DomainError as error:
        if request.htmx:
            swap = _analysis_swap(request, analysis=previous, regenerate_error=error.message, status=error.status_code)
            return with_retry_after(swap, error)
        drafts = _draft_photos(request)
        form = SellForm(initial=_posted_values(request.POST), draft_count=len(drafts))
        page = _page(
            request,
            form=form,
            analysis=previous,
            status=error.status_code,
            regenerate_error=error.message,
            draft_photos=drafts,
        )
        return with_retry_after(page, error)
    analysis.refresh_from_db()
    if request.htmx:
        return _analysis_swap(request, analysis=analysis)
    # Without JavaScript the whole form came along: keep what the seller typed, and empty the fields that
    # still held the old suggestion so the new one can fill them.
    values = _posted_values(request.POST)
    stale = _suggested_fields(values, _suggestion(previous), _choices(previous))
    values = {name: "" if name in stale else value for name, value in values.items()}
    drafts = _draft_photos(request) or analysis_photos(analysis)
    form = SellForm(initial=values, draft_count=len(drafts))
    return _page(
        request, form=form, analysis=analysis, draft_photos=drafts, photos_repick=bool(request.FILES.getlist("photos"))
    )

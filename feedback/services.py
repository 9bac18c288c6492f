"""Writing feedback: votes, corrections, outcomes, staff review, the annotation queue and evaluation cases."""

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from difflib import SequenceMatcher

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from ai_prefill.posting import listing_values
from core.errors import DomainError, NotFound
from evals.models import EvalCase
from evals.services import evalcase_create
from feedback.models import (
    COMMENT_MAX_LENGTH,
    Annotation,
    AnnotationSkip,
    Correction,
    Outcome,
    Review,
    Vote,
    wrong_detail_label,
)
from feedback.selectors import SAMPLE_KEY_RANGE, annotation_queue
from marketplace.attributes import attribute_search_key
from marketplace.models import Category, Condition, Listing
from marketplace.selectors import attribute_names
from marketplace.text import text_clean

ABANDONED_AFTER = timedelta(hours=24)
LATE_CORRECTION_WINDOW = timedelta(days=7)


class VoteInvalid(DomainError):
    pass


class VoteReasonUnknown(VoteInvalid):
    # 422 as the API's own validation answered it when the reasons were a fixed list.
    status_code = 422


class AnnotationInvalid(DomainError):
    pass


class AlreadyAnnotated(AnnotationInvalid):
    status_code = 409


# --- Corrections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldComparison:
    suggested: str
    final: str
    changed: bool
    similarity: float
    relative_error: float | None = None


def text_similarity(suggested: str, final: str) -> float:
    """Normalised edit similarity: difflib's ratio 2·matches / total length, 1.0 for identical texts."""
    # autojunk would treat every common letter of a long text as junk and score rewrites as 0.
    return SequenceMatcher(None, suggested, final, autojunk=False).ratio()


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _price_text(value) -> str:
    number = _decimal(value)
    return "" if number is None else str(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def compare_field(field: str, suggested, final) -> FieldComparison:
    """How far the seller's value is from the suggestion, on the scale that suits the field."""
    if field == Correction.Field.PRICE:
        return _compare_price(suggested, final)
    suggested_text, final_text = str(suggested or "").strip(), str(final or "").strip()
    if field in (Correction.Field.TITLE, Correction.Field.DESCRIPTION):
        similarity = text_similarity(suggested_text, final_text)
    elif field not in SUGGESTED_FIELDS:
        # An item detail: the same brand in another case ("SONY" for "Sony") is the same value, kept.
        kept = attribute_search_key(suggested_text) == attribute_search_key(final_text)
        return FieldComparison(suggested_text, final_text, not kept, 1.0 if kept else 0.0)
    else:
        similarity = 1.0 if suggested_text == final_text else 0.0
    return FieldComparison(suggested_text, final_text, suggested_text != final_text, similarity)


def _compare_price(suggested, final) -> FieldComparison:
    suggested_number, final_number = _decimal(suggested), _decimal(final)
    suggested_text, final_text = _price_text(suggested), _price_text(final)
    if suggested_number is None or final_number is None:
        return FieldComparison(str(suggested or ""), final_text, True, 0.0, None)
    if final_number == 0:
        relative_error = 0.0 if suggested_number == 0 else None
    else:
        relative_error = float(abs(suggested_number - final_number) / abs(final_number))
    similarity = 0.0 if relative_error is None else max(0.0, 1.0 - relative_error)
    return FieldComparison(suggested_text, final_text, suggested_number != final_number, similarity, relative_error)


def _has_suggestion(analysis: Analysis) -> bool:
    return analysis.status == Analysis.Status.SUCCEEDED and isinstance(analysis.suggestion, dict)


def _suggested_value(suggestion: dict, field: str):
    if field in SUGGESTED_FIELDS:
        return suggestion.get(field)
    return (suggestion.get("attributes") or {}).get(field)


def corrected_fields(suggestion: dict, posted: dict) -> list[str]:
    """The fields a posting is compared on: the suggested fields, and each suggested item detail that the posted
    listing's category has (moved to a category without it, the seller could not keep it: nothing to compare).
    Suggestions from prompts before prefill-v4 have no details: nothing more to compare."""
    details = [slug for slug in suggestion.get("attributes") or {} if slug in posted and slug not in SUGGESTED_FIELDS]
    return [*SUGGESTED_FIELDS, *details]


def corrections_derive(*, analysis_id) -> list[Correction]:
    """From the posting facts: the outcome (posted) and an initial correction per suggested field.

    Idempotent: run again, it replaces the initial corrections with the same ones, or with new ones after the
    similarity metric changed. An analysis that was not posted gets nothing.
    """
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().filter(pk=analysis_id, posted_at__isnull=False).first()
        if analysis is None:
            return []
        listing_updated_at = Listing.objects.filter(pk=analysis.listing_id).values_list("updated_at", flat=True).first()
        outcome, created = Outcome.objects.get_or_create(
            analysis=analysis,
            defaults={"posted_at": analysis.posted_at, "corrections_checked_at": listing_updated_at},
        )
        if not created:
            # The late-correction sweep's checkpoint is its own: a second derivation leaves it alone.
            Outcome.objects.filter(pk=outcome.pk).update(posted_at=analysis.posted_at, abandoned_at=None)
        Correction.objects.filter(analysis=analysis, kind=Correction.Kind.INITIAL).delete()
        if not _has_suggestion(analysis):
            return []
        posted = analysis.posted_values or {}
        corrections = [
            Correction(
                analysis=analysis,
                listing_id=analysis.listing_id,
                field=field,
                kind=Correction.Kind.INITIAL,
                **asdict(compare_field(field, _suggested_value(analysis.suggestion, field), posted.get(field, ""))),
            )
            for field in corrected_fields(analysis.suggestion, posted)
        ]
        return Correction.objects.bulk_create(corrections)


def corrections_derive_missing(*, limit: int = 500) -> int:
    """Sweep: derive the postings whose task never ran (the broker was down at posting time)."""
    missing = list(
        Analysis.objects.filter(posted_at__isnull=False, outcome__isnull=True).values_list("pk", flat=True)[:limit]
    )
    for analysis_id in missing:
        corrections_derive(analysis_id=analysis_id)
    return len(missing)


def corrections_record_late(*, now: datetime | None = None) -> int:
    """Sweep: record a late correction for each field a seller changed within 7 days of posting."""
    now = now or timezone.now()
    candidates = (
        Analysis.objects.filter(
            listing__isnull=False,
            listing__created_at__gte=now - LATE_CORRECTION_WINDOW - timedelta(days=1),
            listing__updated_at__lte=F("listing__created_at") + LATE_CORRECTION_WINDOW,
            listing__updated_at__gt=Coalesce("outcome__corrections_checked_at", "listing__created_at"),
        )
        .filter(Exists(Correction.objects.filter(analysis=OuterRef("pk"), kind=Correction.Kind.INITIAL)))
        .values_list("pk", flat=True)
    )
    recorded = 0
    for analysis_id in list(candidates):
        recorded += _record_late_for(analysis_id)
    return recorded


@transaction.atomic
def _record_late_for(analysis_id) -> int:
    # The lock makes a second sweep running at the same time wait, then find nothing new.
    outcome = Outcome.objects.select_for_update().filter(analysis_id=analysis_id).first()
    analysis = Analysis.objects.select_related("listing__category").get(pk=analysis_id)
    listing = analysis.listing
    if outcome is None or listing is None:
        return 0
    if outcome.corrections_checked_at and listing.updated_at <= outcome.corrections_checked_at:
        return 0
    last_final: dict[str, str] = {}
    for correction in analysis.corrections.order_by("created_at", "id"):
        last_final[correction.field] = correction.final
    current = listing_values(listing)
    late = []
    for field in last_final:
        # A detail the listing's (new) category has not is gone: "" now.
        if current.get(field, "").strip() == last_final[field]:
            continue
        comparison = compare_field(field, _suggested_value(analysis.suggestion, field), current.get(field, ""))
        late.append(
            Correction(analysis=analysis, listing=listing, field=field, kind=Correction.Kind.LATE, **asdict(comparison))
        )
    Correction.objects.bulk_create(late)
    outcome.corrections_checked_at = listing.updated_at
    outcome.save(update_fields=["corrections_checked_at"])
    return len(late)


# --- Outcomes --------------------------------------------------------------------------------------


def outcomes_mark_abandoned(*, now: datetime | None = None) -> int:
    """Sweep: mark finished analyses with no listing 24 hours after the suggestion as abandoned."""
    now = now or timezone.now()
    cutoff = now - ABANDONED_AFTER
    finished = (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)
    stale = Analysis.objects.filter(status__in=finished, listing__isnull=True).filter(
        Q(finished_at__lte=cutoff) | Q(finished_at__isnull=True, created_at__lte=cutoff)
    )
    # Two statements, each safe to repeat: rows for analyses that have none yet, then mark the rest.
    missing = stale.filter(outcome__isnull=True).values_list("pk", flat=True)
    created = Outcome.objects.bulk_create(
        [Outcome(analysis_id=pk, abandoned_at=now) for pk in list(missing)], ignore_conflicts=True
    )
    updated = Outcome.objects.filter(analysis__in=stale, posted_at__isnull=True, abandoned_at__isnull=True).update(
        abandoned_at=now
    )
    return len(created) + updated


# --- Votes -----------------------------------------------------------------------------------------


def vote_record(*, analysis: Analysis, user, value: str, reasons: list[str] | tuple = (), comment: str = "") -> Vote:
    """The owner's thumbs on a suggestion; it replaces their current vote, which stays in the history."""
    if analysis.user_id is None or analysis.user_id != getattr(user, "pk", None):
        raise NotFound(gettext("We could not find that suggestion."))
    if not _has_suggestion(analysis):
        raise VoteInvalid(gettext("There is no suggestion to rate yet."))
    if value not in Vote.Value.values:
        raise VoteInvalid(gettext("A vote is either up or down."))
    known = vote_reasons_for(analysis)
    unknown = [reason for reason in reasons if reason not in known]
    if unknown:
        allowed = ", ".join(known)
        raise VoteReasonUnknown(
            gettext("reasons: %(reason)r is not one of the reasons we know: %(allowed)s.")
            % {"reason": unknown[0], "allowed": allowed}
        )
    if reasons and value == Vote.Value.UP:
        raise VoteInvalid(gettext("Reasons go with a thumbs down only."))
    comment = text_clean(comment).strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise VoteInvalid(
            gettext("Please keep the comment under %(limit)d characters.") % {"limit": COMMENT_MAX_LENGTH}
        )
    reasons = list(dict.fromkeys(reasons))
    try:
        return _vote_replace(analysis=analysis, user=user, value=value, reasons=reasons, comment=comment)
    except IntegrityError:
        # Another vote by the same user landed at the same instant and took the slot; replace it in turn.
        return _vote_replace(analysis=analysis, user=user, value=value, reasons=reasons, comment=comment)


def vote_reasons_for(analysis: Analysis) -> dict[str, str]:
    """The reasons a thumbs down on this suggestion may give, by value: the fixed ones, and "Wrong <detail>" for
    each item detail it suggested a value for, named by the detail's slug (a flat field name, like "brand")."""
    reasons = {value: str(label) for value, label in Vote.Reason.choices}
    suggestion = analysis.suggestion if isinstance(analysis.suggestion, dict) else {}
    suggested = [slug for slug, value in (suggestion.get("attributes") or {}).items() if value not in (None, "")]
    names = attribute_names(slugs=suggested, category_slug=suggestion.get("category"))
    details = {slug: wrong_detail_label(names[slug]) for slug in suggested if slug in names}
    other = reasons.pop(Vote.Reason.OTHER)
    return {**reasons, **details, Vote.Reason.OTHER: other}


@transaction.atomic
def _vote_replace(*, analysis: Analysis, user, value: str, reasons: list[str], comment: str) -> Vote:
    Vote.objects.filter(analysis=analysis, user=user, replaced_at__isnull=True).update(replaced_at=timezone.now())
    return Vote.objects.create(analysis=analysis, user=user, value=value, reasons=reasons, comment=comment)


# --- Staff review and the annotation queue ---------------------------------------------------------


def sample_key(analysis_id) -> int:
    """A stable 0..9999 number per analysis, so the random sample never changes its mind."""
    digest = hashlib.sha256(str(analysis_id).encode()).digest()
    return int.from_bytes(digest[:4], "big") % SAMPLE_KEY_RANGE


def reviews_ensure(*, limit: int = 5000) -> int:
    """Give finished suggestions their review row (sample key), which the queue and filters read."""
    missing = Analysis.objects.filter(status=Analysis.Status.SUCCEEDED, review__isnull=True).values_list(
        "pk", flat=True
    )[:limit]
    rows = [Review(analysis_id=pk, sample_key=sample_key(pk)) for pk in missing]
    return len(Review.objects.bulk_create(rows, ignore_conflicts=True))


def _review_for(analysis_id) -> None:
    Review.objects.get_or_create(analysis_id=analysis_id, defaults={"sample_key": sample_key(analysis_id)})


def reviews_mark(*, analysis_ids, user) -> int:
    """Staff looked at these analyses."""
    for analysis_id in analysis_ids:
        _review_for(analysis_id)
    return Review.objects.filter(analysis_id__in=analysis_ids).update(reviewed_at=timezone.now(), reviewed_by=user)


def annotation_claim(*, analysis_id, user, now: datetime) -> bool:
    """Compare-and-set: take the item when nobody holds it, or their lease ran out. True when taken."""
    _review_for(analysis_id)
    lease = timedelta(seconds=settings.ANNOTATION_LEASE_SECONDS)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)
    return (
        Review.objects.filter(Q(analysis_id=analysis_id) & free).update(claimed_by=user, claimed_until=now + lease) == 1
    )


def annotation_claim_next(*, user, now: datetime | None = None) -> Analysis | None:
    """The annotator's current item, or the next free one from the queue, claimed for them."""
    now = now or timezone.now()
    reviews_ensure()
    queue = annotation_queue(user=user, now=now)
    held = list(queue.filter(review__claimed_by=user, review__claimed_until__gt=now)[:1])
    # Another annotator may take a candidate between our read and our claim; then try the next one.
    for analysis in held or queue[:25]:
        if annotation_claim(analysis_id=analysis.pk, user=user, now=now):
            return analysis
    return None


def annotation_skip(*, analysis: Analysis, user) -> None:
    """Pass on an item: it goes back to the others and never comes back to this annotator."""
    AnnotationSkip.objects.get_or_create(analysis=analysis, user=user)
    Review.objects.filter(analysis=analysis, claimed_by=user).update(claimed_by=None, claimed_until=None)


@dataclass(frozen=True)
class FieldVerdict:
    correct: bool
    value: str = ""


def annotation_record(
    *,
    analysis: Analysis,
    annotator,
    verdicts: dict[str, FieldVerdict],
    notes: str = "",
    add_to_eval_set: bool = False,
    dataset: str = "default",
) -> Annotation:
    """Store a person's verdict on each field; optionally turn it into an evaluation case."""
    try:
        with transaction.atomic():
            annotation = Annotation.objects.create(
                analysis=analysis,
                annotator=annotator,
                verdicts={field: asdict(verdict) for field, verdict in verdicts.items()},
                notes=notes.strip(),
            )
            _review_for(analysis.pk)
            Review.objects.filter(analysis=analysis).update(
                reviewed_at=timezone.now(), reviewed_by=annotator, claimed_by=None, claimed_until=None
            )
            if add_to_eval_set:
                annotation.eval_case = _evalcase_from_annotation(analysis, verdicts, notes, dataset)
                annotation.save(update_fields=["eval_case"])
    except IntegrityError:
        raise AlreadyAnnotated(
            gettext("Someone else annotated this suggestion a moment ago; here is the next one.")
        ) from None
    return annotation


def _evalcase_from_annotation(analysis: Analysis, verdicts: dict[str, FieldVerdict], notes: str, dataset: str):
    suggestion = analysis.suggestion or {}
    listing = Listing.objects.select_related("category").filter(analysis=analysis).first()
    posted = listing_values(listing) if listing else {}
    values = {}
    for field in corrected_fields(suggestion, {**posted, **verdicts}):
        verdict = verdicts.get(field, FieldVerdict(correct=True))
        if verdict.correct:
            values[field] = str(_suggested_value(suggestion, field) or "")
        else:
            values[field] = verdict.value or posted.get(field, "")
    if not Category.objects.filter(slug=values["category"]).exists():
        raise AnnotationInvalid(gettext("To add this to the evaluation set, choose the right category."))
    if values["condition"] not in Condition.values:
        values["condition"] = ""
    return evalcase_create(
        analysis=analysis, source=EvalCase.Source.ANNOTATION, dataset=dataset, values=values, notes=notes.strip()
    )

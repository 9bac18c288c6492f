"""Reading feedback: the current vote, an analysis's outcome, the feed for the API, and staff's daily numbers."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Avg, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from ai_prefill.posting import listing_values
from core.errors import NotFound
from feedback.models import AnnotationSkip, Correction, Outcome, Vote
from marketplace.models import CategoryAttribute, Listing, Message


def analysis_posted_q(prefix: str = "") -> Q:
    """The one meaning of "posted" for an analysis (under `prefix`, e.g. "analysis__"): it has a listing, or
    had one (the posting facts, and the outcome derived from them, outlive a deleted listing)."""
    return Q(**{f"{prefix}posted_at__isnull": False}) | Q(**{f"{prefix}listing__isnull": False})


def analysis_abandoned_q(prefix: str = "") -> Q:
    """The one meaning of "abandoned": the sweep marked it (no listing within a day) and it was not posted."""
    return Q(**{f"{prefix}outcome__abandoned_at__isnull": False}) & ~analysis_posted_q(prefix)


def analysis_owned(*, analysis_id, user) -> Analysis:
    """The user's own analysis; NotFound for anyone else (staff too: only the seller votes) and bad ids."""
    not_found = NotFound(gettext("We could not find that suggestion."))
    try:
        analysis_uuid = uuid.UUID(str(analysis_id))
    except ValueError:
        raise not_found from None
    if not getattr(user, "is_authenticated", False):
        raise not_found
    analysis = Analysis.objects.filter(pk=analysis_uuid, user=user).first()
    if analysis is None:
        raise not_found
    return analysis


def vote_current(*, analysis: Analysis, user) -> Vote | None:
    """The user's current vote on this suggestion, for the vote widget."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Vote.objects.filter(analysis=analysis, user=user, replaced_at__isnull=True).first()


def analysis_posted_values(*, analysis: Analysis) -> dict[str, str]:
    """What the seller's listing says now, or {} if the suggestion was not posted."""
    listing = Listing.objects.select_related("category").filter(analysis=analysis).first()
    return listing_values(listing) if listing else {}


@dataclass(frozen=True)
class AnalysisOutcome:
    state: str  # "posted", "abandoned" or "open"
    seconds_to_post: float | None
    regenerate_count: int
    sold: bool
    messages_received: int


def outcome_for_analysis(*, analysis: Analysis) -> AnalysisOutcome:
    """Posted or abandoned, how fast, how often the seller asked again, and what the listing went on to do."""
    outcome = Outcome.objects.filter(analysis=analysis).first()
    listing = Listing.objects.filter(analysis=analysis).first()
    posted_at = outcome.posted_at if outcome and outcome.posted_at else (listing.created_at if listing else None)
    shown_at = analysis.finished_at or analysis.created_at
    if posted_at:
        state = "posted"
    elif outcome and outcome.abandoned_at:
        state = "abandoned"
    else:
        state = "open"
    messages = 0
    if listing is not None:
        messages = Message.objects.filter(conversation__listing=listing).exclude(sender_id=listing.seller_id).count()
    return AnalysisOutcome(
        state=state,
        seconds_to_post=(posted_at - shown_at).total_seconds() if posted_at else None,
        regenerate_count=analysis.regenerate_count,
        sold=bool(listing and listing.status == Listing.Status.SOLD),
        messages_received=messages,
    )


FEED_KINDS = ("vote", "correction")
FEED_COLUMNS = (
    "feed_analysis",
    "feed_kind",
    "feed_field",
    "feed_suggested",
    "feed_final",
    "feed_vote",
    "feed_created",
    "feed_id",
)


def feedback_feed(*, kind: str | None = None, since: date | None = None, until: date | None = None) -> QuerySet:
    """Current votes and all corrections as one stream of dicts, newest first, for GET /api/feedback."""
    text = CharField()
    none = Value(None, output_field=text)
    # Every column is an annotation with the same name on both sides, so the UNION lines them up.
    votes = Vote.objects.filter(replaced_at__isnull=True).annotate(
        feed_analysis=F("analysis_id"),
        feed_kind=Value("vote", output_field=text),
        feed_field=none,
        feed_suggested=none,
        feed_final=none,
        feed_vote=F("value"),
        feed_created=F("created_at"),
        feed_id=F("pk"),
    )
    corrections = Correction.objects.annotate(
        feed_analysis=F("analysis_id"),
        feed_kind=Value("correction", output_field=text),
        feed_field=F("field"),
        feed_suggested=F("suggested"),
        feed_final=F("final"),
        feed_vote=none,
        feed_created=F("created_at"),
        feed_id=F("pk"),
    )
    parts = []
    for name, rows in (("vote", votes), ("correction", corrections)):
        if kind and kind != name:
            continue
        if since:
            rows = rows.filter(created_at__date__gte=since)
        if until:
            rows = rows.filter(created_at__date__lte=until)
        parts.append(rows.order_by().values(*FEED_COLUMNS))
    feed = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return feed.order_by("-feed_created", "-feed_kind", "-feed_id")


@dataclass
class FieldStats:
    corrections: int = 0
    kept: int = 0
    mean_similarity: float | None = None

    @property
    def acceptance_rate(self) -> float | None:
        return self.kept / self.corrections if self.corrections else None


@dataclass
class SuggestionStats:
    """One day of one model and prompt version."""

    day: date
    model: str
    prompt_version: str
    shown: int = 0
    votes: int = 0
    thumbs_up: int = 0
    posted: int = 0
    abandoned: int = 0
    fields: dict[str, FieldStats] = field(default_factory=lambda: {name: FieldStats() for name in SUGGESTED_FIELDS})

    @property
    def thumbs_up_rate(self) -> float | None:
        return self.thumbs_up / self.votes if self.votes else None

    @property
    def abandon_rate(self) -> float | None:
        """Among suggestions whose fate is known (posted, or no listing after 24 hours)."""
        decided = self.posted + self.abandoned
        return self.abandoned / decided if decided else None


def suggestion_stats(*, since: date | None = None, until: date | None = None) -> list[SuggestionStats]:
    """Per day, model and prompt version: suggestions shown, thumbs-up and abandon rates, and per field the
    share kept unchanged at posting and the mean similarity. Counted by the database, two queries."""
    analyses = Analysis.objects.filter(status=Analysis.Status.SUCCEEDED, suggestion__isnull=False)
    corrections = Correction.objects.filter(kind=Correction.Kind.INITIAL)
    if since:
        analyses = analyses.filter(created_at__date__gte=since)
        corrections = corrections.filter(analysis__created_at__date__gte=since)
    if until:
        analyses = analyses.filter(created_at__date__lte=until)
        corrections = corrections.filter(analysis__created_at__date__lte=until)

    current_votes = Vote.objects.filter(analysis=OuterRef("pk"), replaced_at__isnull=True)
    per_group = (
        analyses.annotate(
            day=TruncDate("created_at"),
            voted=Exists(current_votes),
            voted_up=Exists(current_votes.filter(value=Vote.Value.UP)),
        )
        .values("day", "model", "prompt_version")
        .annotate(
            shown=Count("pk"),
            votes=Count("pk", filter=Q(voted=True)),
            thumbs_up=Count("pk", filter=Q(voted_up=True)),
            posted=Count("pk", filter=analysis_posted_q()),
            abandoned=Count("pk", filter=analysis_abandoned_q()),
        )
        .order_by("day", "model", "prompt_version")
    )
    stats = {
        (row["day"], row["model"], row["prompt_version"]): SuggestionStats(
            day=row["day"],
            model=row["model"],
            prompt_version=row["prompt_version"],
            shown=row["shown"],
            votes=row["votes"],
            thumbs_up=row["thumbs_up"],
            posted=row["posted"],
            abandoned=row["abandoned"],
        )
        for row in per_group
    }
    per_field = (
        corrections.annotate(day=TruncDate("analysis__created_at"))
        .values("day", "analysis__model", "analysis__prompt_version", "field")
        .annotate(n=Count("pk"), kept=Count("pk", filter=Q(changed=False)), mean_similarity=Avg("similarity"))
        .order_by()
    )
    for row in per_field:
        group = stats.get((row["day"], row["analysis__model"], row["analysis__prompt_version"]))
        if group is not None and row["field"] in group.fields:
            group.fields[row["field"]] = FieldStats(row["n"], row["kept"], row["mean_similarity"])
    return list(stats.values())


SAMPLE_KEY_RANGE = 10_000


def annotation_queue(*, user, now: datetime) -> QuerySet[Analysis]:
    """Suggestions that need a person, which this annotator has not skipped and nobody else holds."""
    rate = settings.ANNOTATION_SAMPLE_RATE
    current_down = Vote.objects.filter(analysis=OuterRef("pk"), replaced_at__isnull=True, value=Vote.Value.DOWN)
    corrected = Correction.objects.filter(
        analysis=OuterRef("pk"), field__in=[Correction.Field.CATEGORY, Correction.Field.PRICE], changed=True
    )
    skipped = AnnotationSkip.objects.filter(analysis=OuterRef("pk"), user=user)
    return (
        Analysis.objects.filter(
            status=Analysis.Status.SUCCEEDED, suggestion__isnull=False, annotation__isnull=True, photo__isnull=False
        )
        .annotate(thumbs_down=Exists(current_down), corrected=Exists(corrected), skipped=Exists(skipped))
        .filter(Q(thumbs_down=True) | Q(corrected=True) | Q(review__sample_key__lt=round(rate * SAMPLE_KEY_RANGE)))
        .filter(skipped=False)
        .filter(Q(review__claimed_until__isnull=True) | Q(review__claimed_until__lte=now) | Q(review__claimed_by=user))
        .order_by("-thumbs_down", "-corrected", "created_at")
    )


def annotation_queue_size(*, user) -> int:
    """How many items this annotator could still get (including the one they hold)."""
    return annotation_queue(user=user, now=timezone.now()).count()


def suggestion_attributes(*, analysis: Analysis) -> list[CategoryAttribute]:
    """The item details the suggestion has (from prefill-v4 on), as the suggested category defines them."""
    suggestion = analysis.suggestion if isinstance(analysis.suggestion, dict) else {}
    slugs = list(suggestion.get("attributes") or {})
    if not slugs:
        return []
    rows = CategoryAttribute.objects.filter(slug__in=slugs).select_related("category")
    by_slug: dict[str, CategoryAttribute] = {}
    for attribute in sorted(rows, key=lambda row: row.category.slug != suggestion.get("category")):
        by_slug.setdefault(attribute.slug, attribute)
    return [by_slug[slug] for slug in slugs if slug in by_slug]

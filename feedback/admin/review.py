"""The suggestion review screen: what the model said beside what the seller posted, votes, costs, outcomes."""

import csv
import re
from difflib import SequenceMatcher

from django.contrib import admin, messages
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ai_prefill.admin import llm_calls_table
from ai_prefill.confidence import suggestion_values
from ai_prefill.llm.schema import SUGGESTED_FIELDS, SuggestedField
from ai_prefill.models import Analysis
from core.admin import ReadOnlyAdminMixin
from evals.services import evalcase_create_from_analysis
from feedback.admin.filters import (
    ChangedFieldFilter,
    OutcomeFilter,
    ReasonFilter,
    ReviewedFilter,
    SuggestedCategoryFilter,
    VoteFilter,
    current_votes,
)
from feedback.models import Correction, SuggestionReview, Vote
from feedback.selectors import analysis_posted_values, outcome_for_analysis
from feedback.services import corrected_fields, reviews_mark
from marketplace.models import Category, name_translated
from marketplace.selectors import attribute_names

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


# An outcome's state as people read it; feedback.selectors keeps the values code compares.
OUTCOME_STATES = {"posted": _("posted"), "abandoned": _("abandoned"), "open": _("open")}


def _field_names(fields: list[str], *, category_slug: str | None) -> dict[str, str]:
    """Each field as staff read it in their language: "title", "brand" ("titolo", "marca" in Italian)."""
    details = attribute_names(
        slugs=[name for name in fields if name not in SUGGESTED_FIELDS], category_slug=category_slug
    )
    return {
        name: str(SuggestedField(name).label if name in SUGGESTED_FIELDS else details.get(name, name)).lower()
        for name in fields
    }


def diff_pair(suggested: str, posted: str) -> tuple[SafeString, SafeString]:
    """Both texts with the words the seller removed in <del> and the ones they added in <ins>, escaped."""
    old, new = _TOKENS.findall(suggested), _TOKENS.findall(posted)
    left, right = [], []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        removed, added = "".join(old[a1:a2]), "".join(new[b1:b2])
        if op == "equal":
            left.append(format_html("{}", removed))
            right.append(format_html("{}", added))
            continue
        if removed:
            left.append(format_html("<del>{}</del>", removed))
        if added:
            right.append(format_html("<ins>{}</ins>", added))
    return format_html_join("", "{}", ((part,) for part in left)), format_html_join(
        "", "{}", ((part,) for part in right)
    )


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula; seller text must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(SuggestionReview)
class SuggestionReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "created_at",
        "user",
        "suggested_title",
        "suggested_category",
        "model",
        "prompt_version",
        "vote_column",
        "changed_column",
        "outcome_column",
        "reviewed_column",
    ]
    list_display_links = ["thumbnail", "created_at"]
    list_filter = [
        VoteFilter,
        ReasonFilter,
        ChangedFieldFilter,
        SuggestedCategoryFilter,
        "model",
        "prompt_version",
        OutcomeFilter,
        ReviewedFilter,
        "created_at",
    ]
    search_fields = ["listing__title", "user__username", "user__email"]
    search_help_text = "Search by the suggested or posted title, or the seller's username or e-mail."
    list_select_related = ["user", "photo"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = ["mark_reviewed", "add_to_eval_set", "export_csv"]
    list_per_page = 50
    fieldsets = [
        (_("Photo and suggestion"), {"fields": ["photo_preview", "comparison"]}),
        (_("What the seller said and did"), {"fields": ["vote_detail", "vote_history", "outcome_detail"]}),
        (
            pgettext_lazy("the language model", "Model"),
            {"fields": ["status", "model", "prompt_version", "provider", "api_style", "variant", "calls", "error"]},
        ),
        (_("Staff"), {"fields": ["user", "created_at", "review_detail", "annotation_detail"]}),
    ]
    readonly_fields = [
        "photo_preview",
        "comparison",
        "vote_detail",
        "vote_history",
        "outcome_detail",
        "status",
        "model",
        "prompt_version",
        "provider",
        "api_style",
        "variant",
        "calls",
        "error",
        "user",
        "created_at",
        "review_detail",
        "annotation_detail",
    ]

    class Media:
        css = {"all": ["feedback/review.css"]}

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request) -> QuerySet:
        suggested_category = Category.objects.filter(slug=OuterRef("suggested_slug"))
        return (
            super()
            .get_queryset(request)
            .annotate(suggested_slug=KT("suggestion__category"))
            .annotate(
                current_vote=Subquery(current_votes().values("value")[:1]),
                abandoned_at=F("outcome__abandoned_at"),
                reviewed_at=F("review__reviewed_at"),
                # The suggested category's name in every language, so the list names it without a query per row.
                category_name=Subquery(suggested_category.values("name")[:1]),
                category_names=Subquery(suggested_category.values("names")[:1]),
            )
            .prefetch_related(
                Prefetch(
                    "corrections",
                    queryset=Correction.objects.filter(kind=Correction.Kind.INITIAL, changed=True).order_by("id"),
                    to_attr="initial_changes",
                )
            )
        )

    def get_search_results(self, request, queryset, search_term):
        # The suggested title lives in JSON, which search_fields cannot reach; every word must match somewhere.
        for word in search_term.split()[:8]:
            queryset = queryset.filter(
                Q(suggestion__title__icontains=word)
                | Q(listing__title__icontains=word)
                | Q(user__username__icontains=word)
                | Q(user__email__icontains=word)
            )
        return queryset, False

    # --- The list ---------------------------------------------------------------------------------

    @admin.display(description=_("photo"))
    def thumbnail(self, analysis: Analysis) -> str:
        if analysis.photo is None:
            return gettext("deleted")
        return format_html('<img src="{}" alt="" class="review-thumb" loading="lazy">', analysis.photo.thumbnail.url)

    @admin.display(description=_("suggested title"))
    def suggested_title(self, analysis: Analysis) -> str:
        return (analysis.suggestion or {}).get("title", "—")

    @admin.display(description=_("category"))
    def suggested_category(self, analysis: Analysis) -> str:
        if analysis.category_name:
            return name_translated(analysis.category_name, analysis.category_names)
        return (analysis.suggestion or {}).get("category", "—")

    @admin.display(description=_("vote"), ordering="current_vote")
    def vote_column(self, analysis: Analysis) -> str:
        return {"up": "👍", "down": "👎"}.get(analysis.current_vote, "—")

    @admin.display(description=_("changed"))
    def changed_column(self, analysis: Analysis) -> str:
        names = _field_names([correction.field for correction in analysis.initial_changes], category_slug=None)
        return ", ".join(names[correction.field] for correction in analysis.initial_changes) or "—"

    @admin.display(description=_("outcome"))
    def outcome_column(self, analysis: Analysis) -> str:
        if analysis.posted_at or analysis.listing_id:
            return OUTCOME_STATES["posted"]
        return OUTCOME_STATES["abandoned"] if analysis.abandoned_at else "—"

    @admin.display(description=_("reviewed"), boolean=True, ordering="reviewed_at")
    def reviewed_column(self, analysis: Analysis) -> bool:
        return analysis.reviewed_at is not None

    # --- The review screen ------------------------------------------------------------------------

    @admin.display(description=_("photo"))
    def photo_preview(self, analysis: Analysis) -> str:
        if analysis.photo is None:
            return gettext("The photo was deleted with its listing.")
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" class="review-photo"></a>',
            analysis.photo.image.url,
            analysis.photo.thumbnail.url,
            gettext("The seller's photo"),
        )

    @admin.display(description=_("suggested vs posted"))
    def comparison(self, analysis: Analysis) -> str:
        suggestion = analysis.suggestion or {}
        posted = analysis_posted_values(analysis=analysis) or self._recorded_finals(analysis)
        if not suggestion:
            return gettext("No suggestion.")
        rows = []
        values = suggestion_values(suggestion)
        # The item details (prefill-v4 on) follow the fields, by slug; a None one the model said it could not see.
        for field in corrected_fields(suggestion, {name: "" for name in values}):
            value = values.get(field, "")
            suggested_text = gettext("(not visible)") if value is None else str(value)
            posted_text = posted.get(field)
            if posted_text is None:
                rows.append((field, suggested_text, gettext("not posted")))
            else:
                rows.append((field, *diff_pair(suggested_text, posted_text)))
        names = _field_names([field for field, *_values in rows], category_slug=suggestion.get("category"))
        body = format_html_join(
            "",
            "<tr><th>{}</th><td class='review-text'>{}</td><td class='review-text'>{}</td></tr>",
            ((names[field], *values) for field, *values in rows),
        )
        return format_html(
            "<table class='review-compare'><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("field"),
            gettext("suggested"),
            gettext("posted"),
            body,
        )

    @staticmethod
    def _recorded_finals(analysis: Analysis) -> dict[str, str]:
        # The listing may be gone; the corrections still say what the seller last had.
        finals: dict[str, str] = {}
        for field, final in analysis.corrections.order_by("created_at", "id").values_list("field", "final"):
            finals[field] = final
        return finals

    @admin.display(description=_("vote"))
    def vote_detail(self, analysis: Analysis) -> str:
        vote = Vote.objects.filter(analysis=analysis, replaced_at__isnull=True).first()
        if vote is None:
            return gettext("No vote.")
        return format_html(
            gettext("{vote} · reasons: {reasons} · comment: {comment}"),
            vote=vote.get_value_display(),
            reasons=", ".join(vote.reason_labels) or gettext("none"),
            comment=vote.comment or gettext("none"),
        )

    @admin.display(description=_("earlier votes"))
    def vote_history(self, analysis: Analysis) -> str:
        earlier = Vote.objects.filter(analysis=analysis, replaced_at__isnull=False).order_by("created_at")
        lines = [
            (timezone.localtime(vote.created_at).strftime("%Y-%m-%d %H:%M"), vote.get_value_display(), vote.comment)
            for vote in earlier
        ]
        return format_html_join("", "<div>{}: {} {}</div>", lines) or gettext("None.")

    @admin.display(description=_("outcome"))
    def outcome_detail(self, analysis: Analysis) -> str:
        outcome = outcome_for_analysis(analysis=analysis)
        minutes = f"{outcome.seconds_to_post / 60:.1f} min" if outcome.seconds_to_post is not None else "—"
        return format_html(
            gettext(
                "{state} · time to post: {minutes} · regenerated: {regenerated} · sold: {sold} · "
                "messages received: {messages}"
            ),
            state=OUTCOME_STATES.get(outcome.state, outcome.state),
            minutes=minutes,
            regenerated=outcome.regenerate_count,
            sold=gettext("yes") if outcome.sold else gettext("no"),
            messages=outcome.messages_received,
        )

    @admin.display(description=_("model calls"))
    def calls(self, analysis: Analysis) -> str:
        calls = analysis.llm_calls.order_by("attempt", "started_at")
        totals = calls.aggregate(
            latency=Sum("latency_ms"),
            tokens_in=Sum("input_tokens"),
            tokens_out=Sum("output_tokens"),
            cost=Sum("cost"),
            n=Count("pk"),
        )
        return llm_calls_table(calls, totals=totals)

    @admin.display(description=_("error"))
    def error(self, analysis: Analysis) -> str:
        if not analysis.error_type:
            return "—"
        return format_html("{}: {}", analysis.error_type, analysis.error_message)

    @admin.display(description=_("reviewed"))
    def review_detail(self, analysis: Analysis) -> str:
        review = getattr(analysis, "review", None)
        if review is None or review.reviewed_at is None:
            return gettext("Not yet.")
        return format_html(
            gettext("{when} by {who}"),
            when=timezone.localtime(review.reviewed_at).strftime("%Y-%m-%d %H:%M"),
            who=review.reviewed_by or "?",
        )

    @admin.display(description=_("annotation"))
    def annotation_detail(self, analysis: Analysis) -> str:
        annotation = getattr(analysis, "annotation", None)
        if annotation is None:
            return gettext("None.")
        wrong = format_html_join(
            ", ",
            "{} → {}",
            ((field, annotation.verdicts[field].get("value") or "?") for field in annotation.wrong_fields),
        )
        return format_html(
            gettext("By {annotator}: wrong {fields} {notes}"),
            annotator=annotation.annotator or "?",
            fields=wrong or gettext("nothing"),
            notes=annotation.notes,
        )

    # --- Actions ----------------------------------------------------------------------------------

    @admin.action(description=_("Mark as reviewed"))
    def mark_reviewed(self, request, queryset):
        count = reviews_mark(analysis_ids=list(queryset.values_list("pk", flat=True)), user=request.user)
        message = ngettext(
            "Marked %(count)d suggestion as reviewed.", "Marked %(count)d suggestions as reviewed.", count
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Add to the evaluation set (expected values = what the seller posted)"))
    def add_to_eval_set(self, request, queryset):
        added = skipped = 0
        for analysis in queryset.select_related("photo"):
            if evalcase_create_from_analysis(analysis=analysis) is None:
                skipped += 1
            else:
                added += 1
        message = ngettext("Added %(added)d evaluation case.", "Added %(added)d evaluation cases.", added) % {
            "added": added
        }
        if skipped:
            message += " " + gettext("Skipped %(skipped)d: not posted, or already in the set.") % {"skipped": skipped}
        self.message_user(request, message, messages.SUCCESS if added else messages.WARNING)

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        analyses = queryset.prefetch_related(
            Prefetch(
                "corrections",
                queryset=Correction.objects.filter(kind=Correction.Kind.INITIAL),
                to_attr="initial_corrections",
            ),
            Prefetch("votes", queryset=Vote.objects.filter(replaced_at__isnull=True), to_attr="current_votes"),
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="suggestions-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        per_field = [
            f"{field}_{part}" for field in SUGGESTED_FIELDS for part in ("suggested", "posted", "changed", "similarity")
        ]
        writer.writerow(
            [
                "analysis_id",
                "created_at",
                "user",
                "model",
                "prompt_version",
                "status",
                "vote",
                "reasons",
                "comment",
                "outcome",
                "reviewed",
                *per_field,
            ]
        )
        for analysis in analyses:
            vote = analysis.current_votes[0] if analysis.current_votes else None
            corrections = {correction.field: correction for correction in analysis.initial_corrections}
            cells = []
            for field in SUGGESTED_FIELDS:
                correction = corrections.get(field)
                suggested = (analysis.suggestion or {}).get(field, "")
                cells += (
                    [correction.suggested, correction.final, correction.changed, f"{correction.similarity:.3f}"]
                    if correction
                    else [suggested, "", "", ""]
                )
            row = [
                analysis.pk,
                timezone.localtime(analysis.created_at).isoformat(),
                analysis.user or "",
                analysis.model,
                analysis.prompt_version,
                analysis.status,
                vote.value if vote else "",
                " ".join(vote.reasons) if vote else "",
                vote.comment if vote else "",
                self.outcome_column(analysis),
                "yes" if analysis.reviewed_at else "no",
                *cells,
            ]
            writer.writerow([_csv_cell(cell) for cell in row])
        return response

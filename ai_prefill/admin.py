"""Staff inspect analyses and every model call behind them; nothing here is edited by hand."""

import json
from collections.abc import Iterable

from django.contrib import admin
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ai_prefill.models import Analysis, LLMCall, Retrieval
from ai_prefill.rollout import admin as rollout_admin  # noqa: F401  (prompt versions, variants, experiments)
from ai_prefill.services import analysis_photos
from core.admin import ReadOnlyAdminMixin


def _pretty_json(value) -> str:
    return format_html('<pre class="admin-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


def llm_calls_table(calls: Iterable[LLMCall], *, show_output: bool = False, totals: dict | None = None) -> str:
    """Model calls as the admin's one table; `show_output` adds errors and raw output, `totals` a summary line."""
    context = {"calls": calls, "show_output": show_output, "totals": totals}
    return render_to_string("ai_prefill/admin/_llm_calls.html", context)


class LLMCallInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = LLMCall
    extra = 0
    can_delete = False
    ordering = ["attempt", "started_at"]
    fields = [
        ("attempt", "started_at", "latency_ms", "http_status"),
        ("provider", "model", "api_style", "prompt_version"),
        ("input_tokens", "output_tokens", "cost"),
        ("error_type", "error_message"),
        "raw_output",
        "request_pretty",
    ]
    readonly_fields = [field for row in fields for field in (row if isinstance(row, tuple) else (row,))]

    @admin.display(description=_("request (image replaced by a reference)"))
    def request_pretty(self, call: LLMCall) -> str:
        return _pretty_json(call.request)


class RetrievalInline(ReadOnlyAdminMixin, admin.StackedInline):
    """The comparables retrieved after the model answered: why the suggested price is what it is."""

    model = Retrieval
    extra = 0
    can_delete = False
    verbose_name = verbose_name_plural = _("comparables retrieved")
    fields = [
        ("outcome", "reason"),
        ("backend", "took_ms", "created_at"),
        ("model_price", "price_low", "price_high", "price"),
        "kept_links",
        "listing_ids",
    ]
    readonly_fields = [field for row in fields for field in (row if isinstance(row, tuple) else (row,))]

    @admin.display(description=_("kept after trimming outliers"))
    def kept_links(self, retrieval: Retrieval) -> str:
        links = [
            format_html('<a href="{}">{}</a>', reverse("admin:marketplace_listing_change", args=[pk]), pk)
            for pk in retrieval.kept_ids
        ]
        return format_html_join(", ", "{}", ((link,) for link in links)) if links else "–"


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "short_id",
        "thumbnail",
        "status",
        "error_type",
        "model",
        "prompt_version",
        "user",
        "created_at",
        "latency",
        "cost",
        "attempts",
    ]
    list_filter = ["status", "error_type", "model", "provider", "api_style", "prompt_version", "created_at"]
    search_fields = ["=id", "user__username", "user__email", "error_message"]
    list_select_related = ["user", "photo"]
    date_hierarchy = "created_at"
    inlines = [RetrievalInline, LLMCallInline]
    readonly_fields = [
        "id",
        "photo_preview",
        "status",
        "user",
        "session_key",
        "listing",
        "provider",
        "model",
        "api_style",
        "prompt_version",
        "variant",
        "suggestion_pretty",
        "error_type",
        "error_message",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "latency",
        "cost",
        "enqueue_failed_at",
        "lease_token",
        "lease_expires_at",
    ]
    fields = readonly_fields

    class Media:
        css = {"all": ["ai_prefill/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total_cost=Sum("llm_calls__cost"))

    @admin.display(description=_("id"))
    def short_id(self, analysis: Analysis) -> str:
        return str(analysis.id)[:8]

    @admin.display(description=_("photo"))
    def thumbnail(self, analysis: Analysis) -> str:
        if analysis.photo is None:
            return gettext("deleted")
        return format_html('<img src="{}" alt="" class="admin-thumb">', analysis.photo.thumbnail.url)

    @admin.display(description=_("photos, in the order the model was sent them"))
    def photo_preview(self, analysis: Analysis) -> str:
        photos = analysis_photos(analysis)
        if not photos:
            return gettext("The photos were deleted with their listing.")
        shown = (
            (photo.image.url, gettext("Photo %(number)d") % {"number": number})
            for number, photo in enumerate(photos, 1)
        )
        return format_html_join("", '<img src="{}" alt="{}" class="admin-photo">', shown)

    @admin.display(description=_("upload to result"), ordering="finished_at")
    def latency(self, analysis: Analysis) -> str:
        if analysis.finished_at is None:
            return "–"
        return f"{(analysis.finished_at - analysis.created_at).total_seconds():.2f} s"

    @admin.display(description=_("cost (USD)"), ordering="total_cost")
    def cost(self, analysis: Analysis) -> str:
        return f"{analysis.total_cost or 0:.6f}"

    @admin.display(description=_("suggestion"))
    def suggestion_pretty(self, analysis: Analysis) -> str:
        return _pretty_json(analysis.suggestion)


@admin.register(LLMCall)
class LLMCallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "analysis_link",
        "attempt",
        "provider",
        "model",
        "api_style",
        "prompt_version",
        "latency_ms",
        "input_tokens",
        "output_tokens",
        "cost",
        "http_status",
        "error_type",
    ]
    list_filter = ["error_type", "provider", "model", "api_style", "prompt_version", "started_at"]
    search_fields = ["=analysis__id", "error_message", "raw_output"]
    list_select_related = ["analysis"]
    date_hierarchy = "started_at"

    class Media:
        css = {"all": ["ai_prefill/admin.css"]}

    readonly_fields = [
        "analysis_link",
        "attempt",
        "provider",
        "model",
        "api_style",
        "prompt_version",
        "started_at",
        "latency_ms",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cost",
        "http_status",
        "error_type",
        "error_message",
        "raw_output",
        "request_pretty",
    ]
    fields = readonly_fields

    @admin.display(description=_("analysis"), ordering="analysis")
    def analysis_link(self, call: LLMCall) -> str:
        if call.analysis_id is None:
            return "–"
        url = reverse("admin:ai_prefill_analysis_change", args=[call.analysis_id])
        return format_html('<a href="{}">{}</a>', url, str(call.analysis_id)[:8])

    @admin.display(description=_("request (image replaced by a reference)"))
    def request_pretty(self, call: LLMCall) -> str:
        return _pretty_json(call.request)

"""Evaluation cases: staff check and edit what a case expects (the title word especially)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from evals.models import EvalCase


@admin.register(EvalCase)
class EvalCaseAdmin(admin.ModelAdmin):
    list_display = [
        "image_thumbnail",
        "dataset",
        "expected_category",
        "price_range",
        "title_must_mention",
        "source",
        "created_at",
    ]
    list_filter = ["dataset", "source", "expected_category"]
    search_fields = ["expected_title", "notes", "dataset"]
    readonly_fields = ["image_preview", "source_analysis_link", "created_at"]
    fields = [
        "dataset",
        "image",
        "image_preview",
        "expected_category",
        ("expected_price_min", "expected_price_max"),
        "title_must_mention",
        "expected_title",
        "expected_description",
        "expected_condition",
        "notes",
        "source",
        "source_analysis_link",
        "created_at",
    ]

    @admin.display(description="photo")
    def image_thumbnail(self, case: EvalCase) -> str:
        return (
            format_html('<img src="{}" alt="" class="review-thumb" loading="lazy">', case.image.url)
            if case.image
            else "—"
        )

    @admin.display(description="photo")
    def image_preview(self, case: EvalCase) -> str:
        return format_html('<img src="{}" alt="" class="review-photo">', case.image.url) if case.image else "—"

    @admin.display(description="price range")
    def price_range(self, case: EvalCase) -> str:
        if case.expected_price_min is None and case.expected_price_max is None:
            return "—"
        return f"{case.expected_price_min or 0} – {case.expected_price_max or '∞'}"

    @admin.display(description="source analysis")
    def source_analysis_link(self, case: EvalCase) -> str:
        if case.source_analysis_id is None:
            return "—"
        url = reverse("admin:feedback_suggestionreview_change", args=[case.source_analysis_id])
        return format_html('<a href="{}">{}</a>', url, case.source_analysis_id)

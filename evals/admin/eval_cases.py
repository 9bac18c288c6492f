"""Evaluation cases: staff check and edit what a case expects (the title word especially) and its photos."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from evals.models import EvalCase, EvalCasePhoto


class EvalCasePhotoInline(admin.TabularInline):
    model = EvalCasePhoto
    extra = 0
    fields = ["position", "image"]
    verbose_name_plural = _("further photos (sent after the first, by position)")


@admin.register(EvalCase)
class EvalCaseAdmin(admin.ModelAdmin):
    inlines = [EvalCasePhotoInline]
    list_display = [
        "image_thumbnail",
        "dataset",
        "expected_category",
        "price_range",
        "title_must_mention",
        "expected_attributes",
        "language",
        "photo_count",
        "source",
        "created_at",
    ]
    list_filter = ["dataset", "source", "expected_category", "language"]
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
        "expected_attributes",
        "language",
        "notes",
        "source",
        "source_analysis_link",
        "created_at",
    ]

    @admin.display(description=_("photo"))
    def image_thumbnail(self, case: EvalCase) -> str:
        return (
            format_html('<img src="{}" alt="" class="review-thumb" loading="lazy">', case.image.url)
            if case.image
            else "—"
        )

    @admin.display(description=_("photos, in the order the model is sent them"))
    def image_preview(self, case: EvalCase) -> str:
        photos = [(photo.url,) for photo in case.photos if photo] if case.pk else []
        return format_html_join("", '<img src="{}" alt="" class="review-photo">', photos) or "—"

    @admin.display(description=_("photos"))
    def photo_count(self, case: EvalCase) -> int:
        return len(case.photos)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("more_photos")

    @admin.display(description=_("price range"))
    def price_range(self, case: EvalCase) -> str:
        if case.expected_price_min is None and case.expected_price_max is None:
            return "—"
        return f"{case.expected_price_min or 0} – {case.expected_price_max or '∞'}"

    @admin.display(description=_("source analysis"))
    def source_analysis_link(self, case: EvalCase) -> str:
        if case.source_analysis_id is None:
            return "—"
        url = reverse("admin:feedback_suggestionreview_change", args=[case.source_analysis_id])
        return format_html('<a href="{}">{}</a>', url, case.source_analysis_id)

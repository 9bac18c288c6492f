"""The review screen's list filters: each one an EXISTS or a join, so the changelist stays one query."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from feedback.models import Correction, Vote
from feedback.selectors import analysis_abandoned_q, analysis_posted_q
from marketplace.models import Category, CategoryAttribute


def current_votes():
    return Vote.objects.filter(analysis=OuterRef("pk"), replaced_at__isnull=True)


def _changed(field: str):
    return Correction.objects.filter(analysis=OuterRef("pk"), kind=Correction.Kind.INITIAL, field=field, changed=True)


class VoteFilter(admin.SimpleListFilter):
    title = _("vote")
    parameter_name = "vote"

    def lookups(self, request, model_admin):
        return [*Vote.Value.choices, ("none", _("No vote"))]

    def queryset(self, request, queryset):
        if self.value() in Vote.Value.values:
            return queryset.filter(Exists(current_votes().filter(value=self.value())))
        if self.value() == "none":
            return queryset.exclude(Exists(current_votes()))
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    title = _("thumbs-down reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return Vote.Reason.choices

    def queryset(self, request, queryset):
        if self.value() not in Vote.Reason.values:
            return queryset
        # Matching the quoted value in the JSON text works on SQLite and PostgreSQL alike.
        return queryset.filter(Exists(current_votes().filter(reasons__icontains=f'"{self.value()}"')))


class ChangedFieldFilter(admin.SimpleListFilter):
    title = _("changed by the seller")
    parameter_name = "changed"

    def lookups(self, request, model_admin):
        # By slug, in the staff member's language (the same slug may name a detail of several categories).
        details = sorted(
            {attribute.slug: attribute.name_translated for attribute in CategoryAttribute.objects.all()}.items()
        )
        return [*Correction.Field.choices, *details, ("none", _("Nothing changed"))]

    def queryset(self, request, queryset):
        if self.value() in {value for value, _label in self.lookup_choices} - {"none"}:
            return queryset.filter(Exists(_changed(self.value())))
        if self.value() == "none":
            initial = Correction.objects.filter(analysis=OuterRef("pk"), kind=Correction.Kind.INITIAL)
            return queryset.filter(Exists(initial)).exclude(Exists(initial.filter(changed=True)))
        return queryset


class SuggestedCategoryFilter(admin.SimpleListFilter):
    title = _("suggested category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(category.slug, category.name_translated) for category in Category.objects.all()]

    def queryset(self, request, queryset):
        return queryset.filter(suggestion__category=self.value()) if self.value() else queryset


class OutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [("posted", _("Posted")), ("abandoned", _("Abandoned")), ("open", _("Neither yet"))]

    def queryset(self, request, queryset):
        posted, abandoned = analysis_posted_q(), analysis_abandoned_q()
        if self.value() == "posted":
            return queryset.filter(posted)
        if self.value() == "abandoned":
            return queryset.filter(abandoned)
        if self.value() == "open":
            return queryset.exclude(posted).exclude(abandoned)
        return queryset


class ReviewedFilter(admin.SimpleListFilter):
    title = _("reviewed")
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("yes", _("Reviewed")), ("no", _("Not reviewed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(review__reviewed_at__isnull=False)
        if self.value() == "no":
            return queryset.exclude(review__reviewed_at__isnull=False)
        return queryset

"""What comes back from each suggestion: votes (explicit), corrections (implicit), outcomes, staff review."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm.schema import SUGGESTED_FIELDS, SuggestedField
from ai_prefill.models import Analysis
from marketplace.models import Listing
from marketplace.selectors import attribute_names

COMMENT_MAX_LENGTH = 500


def wrong_detail_label(name: str) -> str:
    """The thumbs-down reason for an item detail, from its translated name: "Wrong brand", "Marca sbagliata"."""
    # capfirst: a language may put the name first ("Colore non corrispondente").
    return capfirst(gettext("Wrong %(detail)s") % {"detail": name.lower()})


class Vote(models.Model):
    """A seller's thumbs up or down on a suggestion. A new vote replaces the current one, which is kept."""

    class Value(models.TextChoices):
        UP = "up", _("Thumbs up")
        DOWN = "down", _("Thumbs down")

    class Reason(models.TextChoices):
        WRONG_ITEM = "wrong_item", _("Wrong item")
        WRONG_CATEGORY = "wrong_category", _("Wrong category")
        PRICE_OFF = "price_off", _("Price off")
        WRONG_TONE = "wrong_tone", _("Wrong tone")
        MADE_UP_DETAILS = "made_up_details", _("Made-up details")
        OTHER = "other", pgettext_lazy("vote reason", "Other")

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="votes", verbose_name=_("analysis"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestion_votes", verbose_name=_("user")
    )
    value = models.CharField(max_length=4, choices=Value.choices, verbose_name=_("value"))
    reasons = models.JSONField(default=list, blank=True, verbose_name=_("reasons"))
    comment = models.CharField(max_length=COMMENT_MAX_LENGTH, blank=True, verbose_name=_("comment"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    # Null while this is the user's current vote; set when a later vote replaces it.
    replaced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("replaced at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "user"], condition=Q(replaced_at__isnull=True), name="one_current_vote_per_user"
            )
        ]
        indexes = [models.Index(fields=["analysis", "replaced_at"], name="vote_analysis_current")]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")

    def __str__(self) -> str:
        return f"{self.get_value_display()} on {self.analysis_id}"

    @property
    def reason_labels(self) -> list[str]:
        """The reasons as people read them; an item detail's slug ("brand") reads "Wrong brand"."""
        details = attribute_names(slugs=[reason for reason in self.reasons if reason not in self.Reason.values])
        return [
            str(self.Reason(reason).label) if reason in self.Reason.values else wrong_detail_label(details[reason])
            for reason in self.reasons
            if reason in self.Reason.values or reason in details
        ]


class Correction(models.Model):
    """One suggested field against the listing's value at posting time (initial) or after an edit (late)."""

    Field = SuggestedField

    class Kind(models.TextChoices):
        INITIAL = "initial", _("At posting")
        LATE = "late", _("Edited later")

    analysis = models.ForeignKey(
        Analysis, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("analysis")
    )
    listing = models.ForeignKey(
        Listing, on_delete=models.SET_NULL, related_name="+", null=True, blank=True, verbose_name=_("listing")
    )
    # A suggested field (Field) or an item detail's slug (brand, colour): the flat field names of the contract.
    # No choices: the details are data staff edit (CategoryAttribute).
    field = models.CharField(max_length=40, verbose_name=_("field"))
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.INITIAL, verbose_name=_("kind"))
    # Values as text: the category slug, the price in euros ("12.50"), the condition value, a detail's value
    # ("" when the suggestion said it was not visible, or the seller left it empty).
    suggested = models.TextField(blank=True, verbose_name=_("suggested"))
    final = models.TextField(blank=True, verbose_name=_("final"))
    changed = models.BooleanField(verbose_name=_("changed"))
    # 1.0 = kept as suggested, 0.0 = nothing in common. Text: difflib ratio; price: 1 - relative error
    # (floored at 0); category and condition: 1 or 0.
    similarity = models.FloatField(verbose_name=_("similarity"))
    # Price only: |suggested - final| / final; null when the final price is 0 and the suggestion was not.
    relative_error = models.FloatField(null=True, blank=True, verbose_name=_("relative error"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["analysis", "field", "-created_at"], name="correction_analysis_field"),
            models.Index(fields=["kind", "field", "changed"], name="correction_kind_field_changed"),
        ]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return f"{self.field} ({self.kind}) on {self.analysis_id}"


class Outcome(models.Model):
    """What happened after a suggestion, where it cannot be read from the listing at query time."""

    analysis = models.OneToOneField(
        Analysis, on_delete=models.CASCADE, primary_key=True, related_name="outcome", verbose_name=_("analysis")
    )
    # Kept even when the listing is deleted later, so the analysis still counts as posted.
    posted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("posted at"))
    # Set by the sweep when no listing came within 24 hours of the suggestion; posting clears it.
    abandoned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("abandoned at"))
    # The listing's updated_at the late-correction sweep last compared; later edits need a look.
    corrections_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("corrections checked at"))

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return f"Outcome of {self.analysis_id}"


class Review(models.Model):
    """Staff attention on an analysis: reviewed in admin, and the annotation queue's sample and claim."""

    analysis = models.OneToOneField(
        Analysis, on_delete=models.CASCADE, primary_key=True, related_name="review", verbose_name=_("analysis")
    )
    # 0..9999 from a hash of the analysis id: in the random sample when below rate * 10,000.
    sample_key = models.PositiveSmallIntegerField(verbose_name=_("sample key"))
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("reviewed by"),
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("claimed by"),
    )
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed until"))

    class Meta:
        indexes = [models.Index(fields=["claimed_until"], name="review_claimed_until")]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"Review of {self.analysis_id}"


class AnnotationSkip(models.Model):
    """An annotator passed on an item; it stays in the queue for everyone else."""

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="+", verbose_name=_("analysis"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["analysis", "user"], name="one_skip_per_annotator")]
        verbose_name = _("annotation skip")
        verbose_name_plural = _("annotation skips")

    def __str__(self) -> str:
        return f"{self.user_id} skipped {self.analysis_id}"


class Annotation(models.Model):
    """A staff member's verdict on each suggested field, with the right value where they typed one."""

    analysis = models.OneToOneField(
        Analysis, on_delete=models.CASCADE, related_name="annotation", verbose_name=_("analysis")
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, verbose_name=_("annotator")
    )
    # {"title": {"correct": true, "value": ""}, "price": {"correct": false, "value": "40.00"}, ...}, the suggested
    # item details beside them by slug ("brand": {...}).
    verdicts = models.JSONField(default=dict, verbose_name=_("verdicts"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    eval_case = models.ForeignKey(
        "evals.EvalCase",
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("eval case"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"Annotation of {self.analysis_id}"

    @property
    def wrong_fields(self) -> list[str]:
        details = [field for field in self.verdicts if field not in SUGGESTED_FIELDS]
        return [
            field for field in (*SUGGESTED_FIELDS, *details) if self.verdicts.get(field, {}).get("correct") is False
        ]


class SuggestionReview(Analysis):
    """Analysis seen from the feedback side, so its admin screen can sit beside the pre-fill's own."""

    class Meta:
        proxy = True
        verbose_name = _("suggestion review")
        verbose_name_plural = _("suggestion reviews")

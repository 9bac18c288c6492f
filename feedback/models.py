"""What comes back from each suggestion: votes (explicit), corrections (implicit), outcomes, staff review."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ai_prefill.models import Analysis
from marketplace.models import Listing

# The suggestion's fields, in the order people read them.
SUGGESTED_FIELDS = ("title", "description", "category", "price", "condition")
COMMENT_MAX_LENGTH = 500


class Vote(models.Model):
    """A seller's thumbs up or down on a suggestion. A new vote replaces the current one, which is kept."""

    class Value(models.TextChoices):
        UP = "up", "Thumbs up"
        DOWN = "down", "Thumbs down"

    class Reason(models.TextChoices):
        WRONG_ITEM = "wrong_item", "Wrong item"
        WRONG_CATEGORY = "wrong_category", "Wrong category"
        PRICE_OFF = "price_off", "Price off"
        WRONG_TONE = "wrong_tone", "Wrong tone"
        MADE_UP_DETAILS = "made_up_details", "Made-up details"
        OTHER = "other", "Other"

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestion_votes")
    value = models.CharField(max_length=4, choices=Value.choices)
    reasons = models.JSONField(default=list, blank=True)
    comment = models.CharField(max_length=COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Null while this is the user's current vote; set when a later vote replaces it.
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "user"], condition=Q(replaced_at__isnull=True), name="one_current_vote_per_user"
            )
        ]
        indexes = [models.Index(fields=["analysis", "replaced_at"], name="vote_analysis_current")]

    def __str__(self) -> str:
        return f"{self.get_value_display()} on {self.analysis_id}"

    @property
    def reason_labels(self) -> list[str]:
        return [str(self.Reason(reason).label) for reason in self.reasons if reason in self.Reason.values]


class Correction(models.Model):
    """One suggested field against the listing's value at posting time (initial) or after an edit (late)."""

    class Field(models.TextChoices):
        TITLE = "title", "Title"
        DESCRIPTION = "description", "Description"
        CATEGORY = "category", "Category"
        PRICE = "price", "Price"
        CONDITION = "condition", "Condition"

    class Kind(models.TextChoices):
        INITIAL = "initial", "At posting"
        LATE = "late", "Edited later"

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="corrections")
    listing = models.ForeignKey(Listing, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    field = models.CharField(max_length=12, choices=Field.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.INITIAL)
    # Values as text: the category slug, the price in euros ("12.50"), the condition value.
    suggested = models.TextField(blank=True)
    final = models.TextField(blank=True)
    changed = models.BooleanField()
    # 1.0 = kept as suggested, 0.0 = nothing in common. Text: difflib ratio; price: 1 - relative error
    # (floored at 0); category and condition: 1 or 0.
    similarity = models.FloatField()
    # Price only: |suggested - final| / final; null when the final price is 0 and the suggestion was not.
    relative_error = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["analysis", "field", "-created_at"], name="correction_analysis_field"),
            models.Index(fields=["kind", "field", "changed"], name="correction_kind_field_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.field} ({self.kind}) on {self.analysis_id}"


class Outcome(models.Model):
    """What happened after a suggestion, where it cannot be read from the listing at query time."""

    analysis = models.OneToOneField(Analysis, on_delete=models.CASCADE, primary_key=True, related_name="outcome")
    # Kept even when the listing is deleted later, so the analysis still counts as posted.
    posted_at = models.DateTimeField(null=True, blank=True)
    # Set by the sweep when no listing came within 24 hours of the suggestion; posting clears it.
    abandoned_at = models.DateTimeField(null=True, blank=True)
    regenerate_count = models.PositiveIntegerField(default=0)
    # The listing's updated_at the late-correction sweep last compared; later edits need a look.
    corrections_checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Outcome of {self.analysis_id}"


class Review(models.Model):
    """Staff attention on an analysis: reviewed in admin, and the annotation queue's sample and claim."""

    analysis = models.OneToOneField(Analysis, on_delete=models.CASCADE, primary_key=True, related_name="review")
    # 0..9999 from a hash of the analysis id: in the random sample when below rate * 10,000.
    sample_key = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["claimed_until"], name="review_claimed_until")]

    def __str__(self) -> str:
        return f"Review of {self.analysis_id}"


class AnnotationSkip(models.Model):
    """An annotator passed on an item; it stays in the queue for everyone else."""

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["analysis", "user"], name="one_skip_per_annotator")]

    def __str__(self) -> str:
        return f"{self.user_id} skipped {self.analysis_id}"


class EvalCase(models.Model):
    """A photo with the answer we expect from the model; the evaluation runner reads these by dataset."""

    class Source(models.TextChoices):
        CORRECTION = "correction", "Seller's posted values"
        ANNOTATION = "annotation", "Staff annotation"
        IMPORT = "import", "Import"

    dataset = models.SlugField(max_length=50, default="default", db_index=True)
    # Its own copy of the photo: deleting the listing or the analysis must not take the case with it.
    image = models.ImageField(upload_to="eval/%Y/%m/")
    expected_category = models.SlugField(max_length=50)
    expected_price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    expected_price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    title_must_mention = models.JSONField(default=list, blank=True)
    # The full reference answer, for people reading results; the runner scores the fields above.
    expected_title = models.CharField(max_length=200, blank=True)
    expected_description = models.TextField(blank=True)
    expected_condition = models.CharField(max_length=16, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    source_analysis = models.ForeignKey(
        Analysis, on_delete=models.SET_NULL, related_name="eval_cases", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-created_at", "-id"]
        verbose_name = "evaluation case"

    def __str__(self) -> str:
        return f"{self.dataset}: {self.expected_title or self.expected_category}"


class EvalRun(models.Model):
    """One model configuration run over every case of a dataset; a candidate run points at its baseline."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"

    dataset = models.SlugField(max_length=50, db_index=True)
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=100)
    api_style = models.CharField(max_length=20)
    prompt_version = models.CharField(max_length=50)
    # The version's content hash (ai_prefill PromptVersion.content_hash): the exact instructions, schema, params.
    prompt_hash = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    concurrency = models.PositiveSmallIntegerField(default=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    baseline = models.ForeignKey("self", on_delete=models.SET_NULL, related_name="candidates", null=True, blank=True)
    # {"n_cases": 12, "category_accuracy": 0.75, ...}: see feedback.evals.metrics.run_metrics.
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "evaluation run"

    def __str__(self) -> str:
        return f"Run {self.pk}: {self.model} / {self.prompt_version} on {self.dataset}"


class EvalResult(models.Model):
    """What one case produced in one run, and the verdict on each metric (None: the metric does not apply)."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(EvalCase, on_delete=models.SET_NULL, related_name="results", null=True, blank=True)
    # The case's expectations when it ran: editing or deleting the case later leaves the verdicts readable.
    expected = models.JSONField(default=dict)
    produced = models.JSONField(null=True, blank=True)
    error_type = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    schema_valid = models.BooleanField()
    category_correct = models.BooleanField()
    price_in_range = models.BooleanField(null=True, blank=True)
    price_abs_pct_error = models.FloatField(null=True, blank=True)
    title_mentions = models.BooleanField(null=True, blank=True)
    tone_flagged = models.BooleanField(null=True, blank=True)
    tone_words = models.JSONField(default=list, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    # The LLMCall rows of this case's attempts (their analysis is empty: no seller asked).
    llm_call_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "case_id", "id"]
        verbose_name = "evaluation result"
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="one_result_per_case_and_run")]

    def __str__(self) -> str:
        return f"Case {self.case_id} in run {self.run_id}"


class Annotation(models.Model):
    """A staff member's verdict on each suggested field, with the right value where they typed one."""

    analysis = models.OneToOneField(Analysis, on_delete=models.CASCADE, related_name="annotation")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    # {"title": {"correct": true, "value": ""}, "price": {"correct": false, "value": "40.00"}, ...}
    verdicts = models.JSONField(default=dict)
    notes = models.TextField(blank=True)
    eval_case = models.ForeignKey(EvalCase, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Annotation of {self.analysis_id}"

    @property
    def wrong_fields(self) -> list[str]:
        return [field for field in SUGGESTED_FIELDS if self.verdicts.get(field, {}).get("correct") is False]


class SuggestionReview(Analysis):
    """Analysis seen from the feedback side, so its admin screen can sit beside the pre-fill's own."""

    class Meta:
        proxy = True
        verbose_name = "suggestion review"

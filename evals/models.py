"""Evaluation: cases with the answer we expect, runs of one model configuration over a dataset, and results."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ai_prefill.models import Analysis, LLMCall


class EvalCase(models.Model):
    """One or more photos of an item with the answer we expect from the model; the runner reads these by dataset."""

    class Source(models.TextChoices):
        CORRECTION = "correction", _("Seller's posted values")
        ANNOTATION = "annotation", _("Staff annotation")
        IMPORT = "import", _("Import")

    dataset = models.SlugField(max_length=50, default="default", db_index=True, verbose_name=_("dataset"))
    # Its own copy of the first photo (the others are EvalCasePhoto rows): deleting the listing or the analysis
    # must not take the case with it.
    image = models.ImageField(upload_to="eval/%Y/%m/", verbose_name=_("image"))
    expected_category = models.SlugField(max_length=50, verbose_name=_("expected category"))
    expected_price_min = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("expected price min")
    )
    expected_price_max = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("expected price max")
    )
    title_must_mention = models.JSONField(default=list, blank=True, verbose_name=_("title must mention"))
    # The full reference answer, for people reading results; the runner scores the fields above.
    expected_title = models.CharField(max_length=200, blank=True, verbose_name=_("expected title"))
    expected_description = models.TextField(blank=True, verbose_name=_("expected description"))
    expected_condition = models.CharField(max_length=16, blank=True, verbose_name=_("expected condition"))
    # {attribute slug: value, or None for "not visible": the model must answer null}; scored by the runner.
    expected_attributes = models.JSONField(default=dict, blank=True, verbose_name=_("expected attributes"))
    # The language the suggestion is asked in ("en", "it"); blank: the site's default (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, blank=True)
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    source = models.CharField(max_length=12, choices=Source.choices, verbose_name=_("source"))
    source_analysis = models.ForeignKey(
        Analysis,
        on_delete=models.SET_NULL,
        related_name="eval_cases",
        null=True,
        blank=True,
        verbose_name=_("source analysis"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        # Made by the feedback app before evals had its own; the table kept its name (no data moved).
        db_table = "feedback_evalcase"
        ordering = ["dataset", "-created_at", "-id"]
        verbose_name = _("evaluation case")
        verbose_name_plural = _("evaluation cases")

    def __str__(self) -> str:
        return f"{self.dataset}: {self.expected_title or self.expected_category}"

    @property
    def photos(self) -> list:
        """Every photo's file, in the order the model is sent them: the case's own first."""
        return [self.image, *(photo.image for photo in self.more_photos.all())]


class EvalCasePhoto(models.Model):
    """A case's second, third... photo: the model is sent them all, in position order, after the case's own."""

    case = models.ForeignKey(EvalCase, on_delete=models.CASCADE, related_name="more_photos", verbose_name=_("case"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    image = models.ImageField(upload_to="eval/%Y/%m/", verbose_name=_("image"))

    class Meta:
        ordering = ["case", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "position"], name="one_eval_photo_per_position")]
        verbose_name = _("further photo")
        verbose_name_plural = _("further photos")

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of case {self.case_id}"


class EvalRun(models.Model):
    """One model configuration run over every case of a dataset; a candidate run points at its baseline."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    dataset = models.SlugField(max_length=50, db_index=True, verbose_name=_("dataset"))
    provider = models.CharField(max_length=20, verbose_name=_("provider"))
    model = models.CharField(_("model"), max_length=100)
    api_style = models.CharField(max_length=20, verbose_name=_("api style"))
    prompt_version = models.CharField(max_length=50, verbose_name=_("prompt version"))
    # The version's content hash (ai_prefill PromptVersion.content_hash): the exact instructions, schema, params.
    prompt_hash = models.CharField(max_length=64, blank=True, verbose_name=_("prompt hash"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("params"))
    # The variant whose exact configuration ran (eval --variant), or "" for a --model/--prompt run.
    variant = models.CharField(max_length=50, blank=True, verbose_name=_("variant"))
    concurrency = models.PositiveSmallIntegerField(default=8, verbose_name=_("concurrency"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status"))
    baseline = models.ForeignKey(
        "self", on_delete=models.SET_NULL, related_name="candidates", null=True, blank=True, verbose_name=_("baseline")
    )
    # {"n_cases": 12, "category_accuracy": 0.75, ...}: see evals.metrics.run_metrics.
    metrics = models.JSONField(default=dict, blank=True, verbose_name=_("metrics"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        db_table = "feedback_evalrun"
        ordering = ["-created_at", "-id"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return f"Run {self.pk}: {self.model} / {self.prompt_version} on {self.dataset}"


class EvalResult(models.Model):
    """What one case produced in one run, and the verdict on each metric (None: the metric does not apply)."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results", verbose_name=_("run"))
    case = models.ForeignKey(
        EvalCase, on_delete=models.SET_NULL, related_name="results", null=True, blank=True, verbose_name=_("case")
    )
    # The case's expectations when it ran: editing or deleting the case later leaves the verdicts readable.
    expected = models.JSONField(default=dict, verbose_name=_("expected"))
    produced = models.JSONField(null=True, blank=True, verbose_name=_("produced"))
    error_type = models.CharField(max_length=40, blank=True, verbose_name=_("error type"))
    error_message = models.TextField(blank=True, verbose_name=_("error message"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    schema_valid = models.BooleanField(verbose_name=_("schema valid"))
    category_correct = models.BooleanField(verbose_name=_("category correct"))
    price_in_range = models.BooleanField(null=True, blank=True, verbose_name=_("price in range"))
    price_abs_pct_error = models.FloatField(null=True, blank=True, verbose_name=_("price abs pct error"))
    title_mentions = models.BooleanField(null=True, blank=True, verbose_name=_("title mentions"))
    tone_flagged = models.BooleanField(null=True, blank=True, verbose_name=_("tone flagged"))
    tone_words = models.JSONField(default=list, blank=True, verbose_name=_("tone words"))
    # Per expected attribute slug, whether the answer was right: the same value (case and spaces aside), or null
    # where the case expects "not visible". See evals.metrics.attribute_verdicts.
    attribute_verdicts = models.JSONField(default=dict, blank=True, verbose_name=_("attribute verdicts"))
    latency_ms = models.PositiveIntegerField(default=0, verbose_name=_("latency ms"))
    # The model calls' own latency (LLMCall.latency_ms, all attempts): what differs between models, without the
    # photo preparation and database writes around it that a process's first cases pay extra for.
    model_latency_ms = models.PositiveIntegerField(default=0, verbose_name=_("model latency ms"))
    input_tokens = models.PositiveIntegerField(default=0, verbose_name=_("input tokens"))
    output_tokens = models.PositiveIntegerField(default=0, verbose_name=_("output tokens"))
    cost = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True, verbose_name=_("cost")
    )  # null: unknown price
    # The model calls of this case's attempts (purpose "eval", no analysis: no seller asked).
    llm_calls = models.ManyToManyField(LLMCall, related_name="eval_results", blank=True, verbose_name=_("llm calls"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        db_table = "feedback_evalresult"
        ordering = ["run", "case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="one_result_per_case_and_run")]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")

    def __str__(self) -> str:
        return f"Case {self.case_id} in run {self.run_id}"

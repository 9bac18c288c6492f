import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.models import Listing, Photo


class Analysis(models.Model):
    """The photos of one item sent to the pre-fill (1 to 8, in the seller's order), and what came back."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="analyses",
        null=True,
        blank=True,
        verbose_name=_("user"),
    )
    session_key = models.CharField(max_length=40, blank=True, verbose_name=_("session key"))
    # The first of its photos (the main one); every photo, in order, is an AnalysisPhoto (analysis_photos).
    # Deleting a listing deletes its photos; the analysis stays on as a record (metrics, costs) without them.
    photo = models.ForeignKey(
        Photo, on_delete=models.SET_NULL, related_name="analyses", null=True, blank=True, verbose_name=_("photo")
    )
    photos = models.ManyToManyField(
        Photo, through="AnalysisPhoto", related_name="analysed_in", blank=True, verbose_name=_("photos")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    # What produced (or will produce) the suggestion; filled from the variant when the analysis starts.
    provider = models.CharField(max_length=20, blank=True, verbose_name=_("provider"))
    model = models.CharField(_("model"), max_length=100, blank=True)
    api_style = models.CharField(max_length=20, blank=True, verbose_name=_("api style"))
    prompt_version = models.CharField(max_length=50, blank=True, verbose_name=_("prompt version"))
    # The variant's name when an experiment assigned one, "" for the default config from settings.
    variant = models.CharField(max_length=50, blank=True, verbose_name=_("variant"))
    experiment = models.ForeignKey(
        "Experiment",
        on_delete=models.SET_NULL,
        related_name="analyses",
        null=True,
        blank=True,
        verbose_name=_("experiment"),
    )
    # The language code the suggestion's text is asked in ("en", "it"): the seller's language when it started.
    language = models.CharField(_("language"), max_length=10, default="en")
    # {"title", "description", "category" (slug), "price" (str, euros), "condition"}; from prefill-v4 on also
    # "attributes", "confidence", "category_candidates" and "language" (ai_prefill.llm.types.PrefillResult).
    suggestion = models.JSONField(null=True, blank=True, verbose_name=_("suggestion"))
    error_type = models.CharField(max_length=40, blank=True, verbose_name=_("error type"))
    error_message = models.CharField(max_length=300, blank=True, verbose_name=_("error message"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    listing = models.OneToOneField(
        Listing, on_delete=models.SET_NULL, related_name="analysis", null=True, blank=True, verbose_name=_("listing")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # Set when the broker refused the task: the page tells the seller to fill the form, and the sweep
    # enqueues it again once the broker is back.
    enqueue_failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("enqueue failed at"))
    # The running delivery's lease: only its holder may store the result, and another delivery may take
    # the analysis over once the lease has expired (its worker died). See services.analysis_run.
    lease_token = models.UUIDField(null=True, blank=True, editable=False, verbose_name=_("lease token"))
    lease_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lease expires at"))
    # The posting facts, written in the listing's transaction (ai_prefill.posting); feedback derives the
    # corrections and the outcome from them. posted_values are in the suggestion's terms (listing_values).
    posted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("posted at"))
    posted_values = models.JSONField(null=True, blank=True, verbose_name=_("posted values"))
    # How often the seller asked for another suggestion instead of this one.
    regenerate_count = models.PositiveIntegerField(default=0, verbose_name=_("regenerate count"))

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="analysis_status_created"),
            models.Index(fields=["user", "-created_at"], name="analysis_user_created"),
            models.Index(fields=["-created_at"], name="analysis_created"),
        ]
        verbose_name = _("analysis")
        verbose_name_plural = _("analyses")

    def __str__(self) -> str:
        return f"Analysis {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class AnalysisPhoto(models.Model):
    """One of an analysis's photos and its place in the order the model was sent them (0 first)."""

    analysis = models.ForeignKey(
        Analysis, on_delete=models.CASCADE, related_name="analysis_photos", verbose_name=_("analysis")
    )
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+", verbose_name=_("photo"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        ordering = ["analysis", "position"]
        constraints = [
            models.UniqueConstraint(fields=["analysis", "position"], name="one_analysis_photo_per_position"),
            models.UniqueConstraint(fields=["analysis", "photo"], name="one_position_per_analysis_photo"),
        ]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of analysis {self.analysis_id}"


class LLMCallQuerySet(models.QuerySet):
    def production(self) -> "LLMCallQuerySet":
        """The calls made for sellers: what /metrics, the dashboard, the budget and the alerts count."""
        return self.filter(purpose=LLMCall.Purpose.PRODUCTION)


class LLMCall(models.Model):
    """One attempt at the model: what was asked (without image bytes), what came back, and its cost."""

    class Purpose(models.TextChoices):
        PRODUCTION = "production", _("Production (a seller's analysis)")
        EVAL = "eval", _("Evaluation run")

    analysis = models.ForeignKey(
        Analysis, on_delete=models.CASCADE, related_name="llm_calls", null=True, blank=True, verbose_name=_("analysis")
    )
    # Why the call was made: evaluation calls never count in the production figures.
    purpose = models.CharField(
        max_length=10, choices=Purpose.choices, default=Purpose.PRODUCTION, verbose_name=_("purpose")
    )
    attempt = models.PositiveSmallIntegerField(default=1, verbose_name=_("attempt"))
    provider = models.CharField(max_length=20, verbose_name=_("provider"))
    model = models.CharField(_("model"), max_length=100)
    api_style = models.CharField(max_length=20, verbose_name=_("api style"))
    prompt_version = models.CharField(max_length=50, verbose_name=_("prompt version"))
    # The content hash of the prompt version as sent (ai_prefill.models.PromptVersion.content_hash).
    prompt_hash = models.CharField(max_length=64, blank=True, verbose_name=_("prompt hash"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    latency_ms = models.PositiveIntegerField(default=0, verbose_name=_("latency ms"))
    # As billed: input_tokens includes cached_input_tokens, output_tokens includes reasoning_tokens.
    input_tokens = models.PositiveIntegerField(default=0, verbose_name=_("input tokens"))
    cached_input_tokens = models.PositiveIntegerField(default=0, verbose_name=_("cached input tokens"))
    output_tokens = models.PositiveIntegerField(default=0, verbose_name=_("output tokens"))
    reasoning_tokens = models.PositiveIntegerField(default=0, verbose_name=_("reasoning tokens"))
    # US dollars; null when no price is known for the model (shown as "unknown price", never as $0).
    cost = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True, verbose_name=_("cost"))
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("http status"))
    error_type = models.CharField(max_length=40, blank=True, verbose_name=_("error type"))
    error_message = models.TextField(blank=True, verbose_name=_("error message"))
    raw_output = models.TextField(blank=True, verbose_name=_("raw output"))
    request = models.JSONField(default=dict, blank=True, verbose_name=_("request"))

    objects = LLMCallQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["-started_at"], name="llmcall_started"),
            models.Index(fields=["purpose", "-started_at"], name="llmcall_purpose_started"),
            models.Index(fields=["analysis", "attempt"], name="llmcall_analysis_attempt"),
        ]
        verbose_name = _("LLM call")
        verbose_name_plural = _("LLM calls")

    def __str__(self) -> str:
        return f"{self.model} attempt {self.attempt}"


class PromptVersion(models.Model):
    """A prompt version as registered from ai_prefill/prompts/ (see ai_prefill.llm.prompt); never edited."""

    version = models.CharField(max_length=50, unique=True, verbose_name=_("version"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    instructions = models.TextField(verbose_name=_("instructions"))
    # The JSON schema as sent, with "{category slugs}" standing for the taxonomy read at call time.
    output_schema = models.JSONField(verbose_name=_("output schema"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("params"))
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    registered_at = models.DateTimeField(auto_now_add=True, verbose_name=_("registered at"))

    class Meta:
        ordering = ["id"]  # registration order, which is the files' version order
        verbose_name = _("prompt version")
        verbose_name_plural = _("prompt versions")

    def __str__(self) -> str:
        return self.version

    def as_prompt(self):
        from ai_prefill.llm.prompt import prompt_from_stored

        return prompt_from_stored(
            version=self.version,
            description=self.description,
            instructions=self.instructions,
            output_schema=self.output_schema,
            params=self.params,
        )


class Variant(models.Model):
    """A named way of asking the model: provider, model, API style, prompt version and parameters."""

    class Provider(models.TextChoices):
        OPENAI = "openai", _("OpenAI (or a compatible server at OPENAI_BASE_URL)")
        DEMO = "demo", _("Demo (no model, offline)")

    class ApiStyle(models.TextChoices):
        RESPONSES = "responses", _("Responses API")
        CHAT = "chat", _("Chat Completions API")

    name = models.SlugField(max_length=50, unique=True, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    provider = models.CharField(
        max_length=20, choices=Provider.choices, default=Provider.OPENAI, verbose_name=_("provider")
    )
    model = models.CharField(
        _("model"),
        max_length=100,
        help_text=_("e.g. gpt-4o-mini; ignored by the demo provider."),
    )
    api_style = models.CharField(
        max_length=20, choices=ApiStyle.choices, default=ApiStyle.RESPONSES, verbose_name=_("api style")
    )
    prompt_version = models.ForeignKey(
        PromptVersion,
        on_delete=models.PROTECT,
        to_field="version",
        related_name="variants",
        verbose_name=_("prompt version"),
    )
    # Over the prompt version's own, e.g. {"temperature": 0.4} or {"max_output_tokens": 800}.
    params = models.JSONField(default=dict, blank=True, verbose_name=_("params"))
    comparables = models.BooleanField(
        default=True,
        help_text="Move the model's price into the range of comparable listings, when there are enough.",
        verbose_name=_("comparables"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return self.name


def _new_salt() -> str:
    return secrets.token_hex(8)


class Experiment(models.Model):
    """Sellers split between variants by weight; one arm is the control. At most one runs at a time."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        STOPPED = "stopped", _("Stopped")

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    # Mixed into the assignment hash: each experiment splits sellers afresh.
    salt = models.CharField(max_length=32, default=_new_salt, editable=False, verbose_name=_("salt"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status"))
    # The kill switch: once set, every analysis of the experiment goes to the control.
    killed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("killed at"))
    kill_reason = models.TextField(blank=True, verbose_name=_("kill reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    stopped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("stopped at"))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="one_running_experiment")
        ]
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")

    def __str__(self) -> str:
        return self.name


class ExperimentArm(models.Model):
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="arms", verbose_name=_("experiment")
    )
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="arms", verbose_name=_("variant"))
    # Relative: 90 and 10 send 90% and 10% of sellers.
    weight = models.PositiveIntegerField(verbose_name=_("weight"))
    is_control = models.BooleanField(default=False, verbose_name=_("is control"))

    class Meta:
        ordering = ["-is_control", "id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "variant"], name="one_arm_per_variant"),
            models.UniqueConstraint(fields=["experiment"], condition=Q(is_control=True), name="one_control_arm"),
        ]
        verbose_name = _("experiment arm")
        verbose_name_plural = _("experiment arms")

    def __str__(self) -> str:
        return f"{self.variant} ({self.weight}{', control' if self.is_control else ''})"


class ExperimentChange(models.Model):
    """Who changed an experiment, when, and why; the guardrail writes here too (by nobody)."""

    class Action(models.TextChoices):
        STARTED = "started", _("Started")
        STOPPED = "stopped", _("Stopped")
        KILLED = "killed", _("Kill switch: all traffic to the control")
        PROMOTED = "promoted", _("Promoted a variant")
        GUARDRAIL = "guardrail", _("Guardrail: all traffic to the control")

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("experiment")
    )
    action = models.CharField(max_length=12, choices=Action.choices, verbose_name=_("action"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("by"),
    )
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("experiment change")
        verbose_name_plural = _("experiment changes")

    def __str__(self) -> str:
        return f"{self.experiment}: {self.get_action_display()}"


class ModelLifecycle(models.Model):
    """What the provider last said about a model in use: its shutdown date (ai_prefill.lifecycle)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("No shutdown announced")
        RETIRING = "retiring", _("Shutdown announced")
        UNKNOWN = "unknown", _("Unknown: the provider does not say")

    model = models.CharField(_("model"), max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN, verbose_name=_("status"))
    shutdown_date = models.DateField(null=True, blank=True, verbose_name=_("shutdown date"))
    detail = models.CharField(max_length=300, blank=True, verbose_name=_("detail"))
    checked_at = models.DateTimeField(verbose_name=_("checked at"))
    # The alert thresholds (days before shutdown) already e-mailed for this shutdown date, e.g. [60, 30].
    alerted_days = models.JSONField(default=list, blank=True, verbose_name=_("alerted days"))

    class Meta:
        ordering = ["shutdown_date", "model"]
        verbose_name = _("model lifecycle")
        verbose_name_plural = _("model lifecycles")

    def __str__(self) -> str:
        return f"{self.model} ({self.shutdown_date or self.get_status_display()})"


class Retrieval(models.Model):
    """What an analysis retrieved after the model answered: the comparable listings, their price range, the time."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Price range applied")
        TOO_FEW = "too_few", _("Too few comparables")
        SKIPPED = "skipped", _("Skipped (search slow or failing)")
        OFF = "off", _("Off for this variant")

    analysis = models.OneToOneField(
        Analysis, on_delete=models.CASCADE, related_name="retrieval", verbose_name=_("analysis")
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, verbose_name=_("outcome"))
    reason = models.CharField(max_length=300, blank=True, verbose_name=_("reason"))
    backend = models.CharField(max_length=20, blank=True, verbose_name=_("backend"))
    # Every listing retrieved, best first; those kept after trimming outliers made the range.
    listing_ids = models.JSONField(default=list, blank=True, verbose_name=_("listing ids"))
    kept_ids = models.JSONField(default=list, blank=True, verbose_name=_("kept ids"))
    price_low = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("price low"))
    price_high = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("price high")
    )
    model_price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("model price")
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True, verbose_name=_("price"))
    took_ms = models.PositiveIntegerField(default=0, verbose_name=_("took ms"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("comparables retrieval")
        verbose_name_plural = _("comparables retrievals")

    def __str__(self) -> str:
        return f"Retrieval for {self.analysis_id}: {self.get_outcome_display()}"

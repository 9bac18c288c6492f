import uuid

from django.conf import settings
from django.db import models

from marketplace.models import Listing, Photo


class Analysis(models.Model):
    """One photo sent to the pre-fill, and what came back."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analyses", null=True, blank=True
    )
    session_key = models.CharField(max_length=40, blank=True)
    # Deleting a listing deletes its photos; the analysis stays on as a record (metrics, costs) without it.
    photo = models.ForeignKey(Photo, on_delete=models.SET_NULL, related_name="analyses", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # What produced (or will produce) the suggestion; filled from the variant when the analysis starts.
    provider = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=100, blank=True)
    api_style = models.CharField(max_length=20, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    variant = models.CharField(max_length=50, blank=True)
    # {"title", "description", "category" (slug), "price" (str, euros), "condition"}
    suggestion = models.JSONField(null=True, blank=True)
    error_type = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    listing = models.OneToOneField(Listing, on_delete=models.SET_NULL, related_name="analysis", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when the broker refused the task: the page tells the seller to fill the form, and the sweep
    # enqueues it again once the broker is back.
    enqueue_failed_at = models.DateTimeField(null=True, blank=True)
    # The running delivery's lease: only its holder may store the result, and another delivery may take
    # the analysis over once the lease has expired (its worker died). See services.analysis_run.
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "analyses"
        indexes = [
            models.Index(fields=["status", "created_at"], name="analysis_status_created"),
            models.Index(fields=["user", "-created_at"], name="analysis_user_created"),
            models.Index(fields=["-created_at"], name="analysis_created"),
        ]

    def __str__(self) -> str:
        return f"Analysis {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class LLMCall(models.Model):
    """One attempt at the model: what was asked (without image bytes), what came back, and its cost."""

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="llm_calls", null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=100)
    api_style = models.CharField(max_length=20)
    prompt_version = models.CharField(max_length=50)
    started_at = models.DateTimeField()
    latency_ms = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_type = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    raw_output = models.TextField(blank=True)
    request = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "LLM call"
        indexes = [
            models.Index(fields=["-started_at"], name="llmcall_started"),
            models.Index(fields=["analysis", "attempt"], name="llmcall_analysis_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.model} attempt {self.attempt}"

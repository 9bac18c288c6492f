"""Prompt versions (read-only, with their diff), variants and experiments in Django admin.

Admin saves and the actions below write Django's LogEntry (who, when, what); the actions also leave an
ExperimentChange row, as the guardrail does, so an experiment's page tells its whole story.
"""

import difflib
import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ai_prefill.llm.prompt import PromptVersionError, prompt_get
from ai_prefill.models import Analysis, Experiment, ExperimentArm, ExperimentChange, LLMCall, PromptVersion, Variant
from ai_prefill.rollout import services
from ai_prefill.rollout.selectors import experiment_results
from feedback.models import SUGGESTED_FIELDS

ADMIN_CSS = {"all": ["ai_prefill/rollout_admin.css"]}


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def prompt_version_text(version: PromptVersion) -> list[str]:
    """Everything a version sends, as lines to read and diff: parameters, schema descriptions, instructions."""
    return [
        "# params",
        *_pretty(version.params).splitlines(),
        "# output schema",
        *_pretty(version.output_schema).splitlines(),
        "# instructions",
        *version.instructions.splitlines(),
    ]


def _line_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "diff-file"
    if line.startswith("@@"):
        return "diff-hunk"
    return {"+": "diff-added", "-": "diff-removed"}.get(line[:1], "diff-context")


@admin.register(PromptVersion)
class PromptVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "description", "short_hash", "registered_at", "variant_count"]
    search_fields = ["version", "description", "instructions"]
    fields = [
        "version",
        "description",
        "content_hash",
        "registered_at",
        "diff_with_previous",
        "params_pretty",
        "instructions_text",
        "schema_pretty",
    ]
    readonly_fields = fields

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variant_count=Count("variants"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only a version nothing ever used may go (a development database, say): it is the record of the rest.
        if obj is None:
            return super().has_delete_permission(request)
        used = (
            Analysis.objects.filter(prompt_version=obj.version).exists()
            or LLMCall.objects.filter(prompt_version=obj.version).exists()
            or obj.variants.exists()
        )
        return not used and super().has_delete_permission(request, obj)

    @admin.display(description="hash")
    def short_hash(self, version: PromptVersion) -> str:
        return version.content_hash[:12]

    @admin.display(description="variants", ordering="variant_count")
    def variant_count(self, version: PromptVersion) -> int:
        return version.variant_count

    @admin.display(description="parameters")
    def params_pretty(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', _pretty(version.params))

    @admin.display(description="instructions")
    def instructions_text(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', version.instructions)

    @admin.display(description="output schema as sent")
    def schema_pretty(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', _pretty(version.output_schema))

    @admin.display(description="changes from the previous version")
    def diff_with_previous(self, version: PromptVersion) -> str:
        previous = PromptVersion.objects.filter(pk__lt=version.pk).order_by("-pk").first()
        if previous is None:
            return "This is the first version."
        lines = list(
            difflib.unified_diff(
                prompt_version_text(previous),
                prompt_version_text(version),
                fromfile=previous.version,
                tofile=version.version,
                lineterm="",
            )
        )
        if not lines:
            return f"The same content as {previous.version}."
        # Every line is escaped by format_html_join: prompt text is never trusted as HTML.
        body = format_html_join("\n", '<span class="{}">{}</span>', ((_line_class(line), line) for line in lines))
        return format_html('<pre class="rollout-pre rollout-diff">{}</pre>', body)


class VariantForm(forms.ModelForm):
    params = forms.JSONField(
        required=False,
        initial=dict,
        help_text='Model parameters over the prompt version\'s own, as JSON: {"temperature": 0.4}.',
    )

    class Meta:
        model = Variant
        fields = ["name", "description", "provider", "model", "api_style", "prompt_version", "params"]

    def clean_params(self) -> dict:
        params = self.cleaned_data.get("params") or {}
        if not isinstance(params, dict):
            raise forms.ValidationError('Write the parameters as a JSON object, e.g. {"temperature": 0.4}.')
        return params

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provider") == Variant.Provider.OPENAI and not cleaned.get("model"):
            self.add_error("model", "Name the model this variant asks, e.g. gpt-4o-mini.")
        version = cleaned.get("prompt_version")
        if version is not None:
            try:
                prompt_get(version.version)
            except PromptVersionError as error:
                self.add_error("prompt_version", str(error))
        return cleaned


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    form = VariantForm
    list_display = ["name", "provider", "model", "api_style", "prompt_version", "params", "created_at"]
    list_filter = ["provider", "model", "api_style", "prompt_version"]
    search_fields = ["name", "description", "model"]

    def get_readonly_fields(self, request, obj=None):
        # Once a variant has served analyses its numbers belong to what it was: a change is a new variant.
        if obj is not None and (
            Analysis.objects.filter(variant=obj.name).exists()
            or obj.arms.exclude(experiment__status=Experiment.Status.DRAFT).exists()
        ):
            return VariantForm.Meta.fields
        return []


class ExperimentArmInline(admin.TabularInline):
    model = ExperimentArm
    extra = 2
    fields = ["variant", "weight", "is_control"]
    autocomplete_fields = ["variant"]

    def _editable(self, obj) -> bool:
        # The split is fixed once sellers are assigned: a new split is a new experiment with a new salt.
        return obj is None or obj.status == Experiment.Status.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ExperimentChangeInline(admin.TabularInline):
    model = ExperimentChange
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "by", "reason"]
    readonly_fields = fields
    verbose_name_plural = "history (actions, kill switch and guardrail)"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "traffic", "arms_summary", "started_at", "stopped_at"]
    list_filter = ["status"]
    search_fields = ["name", "description"]
    actions = ["start", "kill_switch", "stop", "promote"]
    inlines = [ExperimentArmInline, ExperimentChangeInline]
    readonly_fields = [
        "status",
        "traffic",
        "kill_reason",
        "started_at",
        "stopped_at",
        "salt",
        "results",
    ]
    fieldsets = [
        (None, {"fields": ["name", "description", "status", "traffic", "kill_reason", "started_at", "stopped_at"]}),
        ("Per-variant numbers", {"fields": ["results"]}),
        ("Assignment", {"fields": ["salt"], "classes": ["collapse"]}),
    ]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("arms__variant")

    @admin.display(description="traffic")
    def traffic(self, experiment: Experiment) -> str:
        if experiment.status != Experiment.Status.RUNNING:
            return "–"
        if experiment.killed_at is not None:
            return "all to the control (kill switch)"
        return "split by weight"

    @admin.display(description="arms")
    def arms_summary(self, experiment: Experiment) -> str:
        return ", ".join(str(arm) for arm in experiment.arms.all())

    @admin.display(description="numbers")
    def results(self, experiment: Experiment) -> str:
        if experiment.pk is None:
            return "Numbers appear once the experiment has analyses."
        results = experiment_results(experiment=experiment)
        analyses_url = reverse("admin:ai_prefill_analysis_changelist")
        arms = [
            {
                "arm": arm,
                "analyses_url": f"{analyses_url}?experiment__id__exact={experiment.pk}&variant__exact={arm.variant}",
            }
            for arm in results.arms
        ]
        primary = f"Category accepted unchanged: the primary metric (n = posted; {results.min_sample} needed)"
        rows = [
            ("Analyses", [arm.analyses for arm in results.arms]),
            (primary, [arm.acceptance["category"] for arm in results.arms]),
            ("Against the control (two-proportion z-test, 5% level)", [_verdict(arm) for arm in results.arms]),
            ("Thumbs up (n = votes)", [arm.thumbs_up for arm in results.arms]),
        ]
        rows += [
            (f"{name.capitalize()} accepted unchanged", [arm.acceptance[name] for arm in results.arms])
            for name in SUGGESTED_FIELDS
            if name != "category"
        ]
        rows += [
            ("Abandoned (n = posted or abandoned)", [arm.abandon for arm in results.arms]),
            ("Errors (n = finished analyses)", [arm.errors for arm in results.arms]),
            ("Model latency p50 / p95 (n = successful calls)", [_latency(arm) for arm in results.arms]),
            ("Posted listings", [arm.posted for arm in results.arms]),
            ("LLM cost (USD)", [f"{arm.cost:.4f}" for arm in results.arms]),
            ("Cost per posted listing (USD)", [_money(arm.cost_per_posted) for arm in results.arms]),
        ]
        return render_to_string(
            "ai_prefill/rollout/experiment_results.html",
            {
                "arms": arms,
                "rows": rows,
                "dashboard_url": reverse("ai_monitoring:dashboard"),
                "guardrail": {
                    "min_sample": settings.ROLLOUT_GUARDRAIL_MIN_SAMPLE,
                    "error_rate": f"{settings.ROLLOUT_GUARDRAIL_MAX_ERROR_RATE:.1%}",
                    "cost": settings.ROLLOUT_GUARDRAIL_MAX_COST_PER_POSTED,
                },
            },
        )

    def _act(self, request, queryset, action, success: str) -> None:
        for experiment in queryset:
            try:
                action(experiment)
            except services.ExperimentInvalid as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            self.log_change(request, experiment, success)
            self.message_user(request, f"{experiment.name}: {success}", messages.SUCCESS)

    @admin.action(description="Start the selected experiments (a draft, one at a time)")
    def start(self, request, queryset):
        self._act(request, queryset, lambda e: services.experiment_start(experiment=e, by=request.user), "started.")

    @admin.action(description="Kill switch: send everyone to the control now")
    def kill_switch(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda e: services.experiment_kill(experiment=e, by=request.user, reason=f"Kill switch by {request.user}."),
            "kill switch on: all traffic goes to the control.",
        )

    @admin.action(description="Stop the selected experiments (back to the default config from settings)")
    def stop(self, request, queryset):
        self._act(request, queryset, lambda e: services.experiment_stop(experiment=e, by=request.user), "stopped.")

    @admin.action(description="Promote the candidate: give it to everyone, as a new experiment's only arm")
    def promote(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda e: services.experiment_promote(experiment=e, by=request.user),
            "candidate promoted; a new experiment gives it to everyone.",
        )


def _verdict(arm) -> str:
    if arm.primary is None:
        return "control"
    comparison = arm.primary
    if comparison.p_value is None:
        return comparison.verdict
    return f"{comparison.verdict} ({comparison.difference:+.1%}, z = {comparison.z:.2f}, p = {comparison.p_value:.3f})"


def _latency(arm) -> str:
    if arm.latency_p50_ms is None:
        return "– (n=0)"
    return f"{arm.latency_p50_ms:.0f} / {arm.latency_p95_ms:.0f} ms (n={arm.latency_n})"


def _money(value) -> str:
    return "–" if value is None else f"{value:.4f}"

"""Prompt versions (read-only, with their diff), variants and experiments in Django admin.

Admin saves and the actions below write Django's LogEntry (who, when, what); the actions also leave an
ExperimentChange row, as the guardrail does, so an experiment's page tells its whole story.
"""

import difflib
import json

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm import model_config_for
from ai_prefill.llm.capabilities import ModelParamsInvalid
from ai_prefill.llm.prompt import PromptVersionError, prompt_get
from ai_prefill.models import Analysis, Experiment, LLMCall, PromptVersion, Variant

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

    @admin.display(description=_("hash"))
    def short_hash(self, version: PromptVersion) -> str:
        return version.content_hash[:12]

    @admin.display(description=_("variants"), ordering="variant_count")
    def variant_count(self, version: PromptVersion) -> int:
        return version.variant_count

    @admin.display(description=_("parameters"))
    def params_pretty(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', _pretty(version.params))

    @admin.display(description=_("instructions"))
    def instructions_text(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', version.instructions)

    @admin.display(description=_("output schema as sent"))
    def schema_pretty(self, version: PromptVersion) -> str:
        return format_html('<pre class="rollout-pre">{}</pre>', _pretty(version.output_schema))

    @admin.display(description=_("changes from the previous version"))
    def diff_with_previous(self, version: PromptVersion) -> str:
        previous = PromptVersion.objects.filter(pk__lt=version.pk).order_by("-pk").first()
        if previous is None:
            return gettext("This is the first version.")
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
            return gettext("The same content as %(version)s.") % {"version": previous.version}
        # Every line is escaped by format_html_join: prompt text is never trusted as HTML.
        body = format_html_join("\n", '<span class="{}">{}</span>', ((_line_class(line), line) for line in lines))
        return format_html('<pre class="rollout-pre rollout-diff">{}</pre>', body)


class VariantForm(forms.ModelForm):
    params = forms.JSONField(
        required=False,
        initial=dict,
        help_text=_(
            'Model parameters over the prompt version\'s own, as JSON: {"temperature": 0.4} for gpt-4o-mini, '
            '{"reasoning_effort": "low"} for a reasoning model such as gpt-6-luna.'
        ),
    )

    class Meta:
        model = Variant
        fields = ["name", "description", "provider", "model", "api_style", "prompt_version", "params", "comparables"]

    def clean_params(self) -> dict:
        params = self.cleaned_data.get("params") or {}
        if not isinstance(params, dict):
            raise forms.ValidationError(_('Write the parameters as a JSON object, e.g. {"temperature": 0.4}.'))
        return params

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provider") == Variant.Provider.OPENAI and not cleaned.get("model"):
            self.add_error("model", _("Name the model this variant asks, e.g. gpt-4o-mini."))
        version = cleaned.get("prompt_version")
        if version is not None:
            try:
                prompt_get(version.version)
            except PromptVersionError as error:
                self.add_error("prompt_version", str(error))
                return cleaned
        if cleaned.get("provider") == Variant.Provider.OPENAI and cleaned.get("model") and version is not None:
            try:
                # As the worker will build it: a parameter the model refuses is named now, not as a 400 per analysis.
                model_config_for(
                    provider="openai",
                    model=cleaned["model"],
                    api_style=cleaned.get("api_style"),
                    prompt_version=version.version,
                    params=cleaned.get("params") or {},
                )
            except ModelParamsInvalid as error:
                self.add_error("params", str(error))
        return cleaned


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    form = VariantForm
    list_display = ["name", "provider", "model", "api_style", "prompt_version", "params", "comparables", "created_at"]
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

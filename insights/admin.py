"""The experiment admin: arms, history, the lifecycle actions and the per-variant numbers beside them."""

from django.conf import settings
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm.schema import SUGGESTED_FIELDS, SuggestedField
from ai_prefill.models import Experiment, ExperimentArm, ExperimentChange
from ai_prefill.rollout import services
from ai_prefill.rollout.admin import ADMIN_CSS
from insights import stats
from insights.calibration import LEVELS, level_label
from insights.experiments import experiment_results
from insights.stats import Proportion, localized


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
    verbose_name_plural = _("history (actions, kill switch and guardrail)")

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
        (_("Per-variant numbers"), {"fields": ["results"]}),
        (_("Assignment"), {"fields": ["salt"], "classes": ["collapse"]}),
    ]

    class Media:
        css = ADMIN_CSS

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("arms__variant")

    @admin.display(description=_("traffic"))
    def traffic(self, experiment: Experiment) -> str:
        if experiment.status != Experiment.Status.RUNNING:
            return "–"
        if experiment.killed_at is not None:
            return gettext("all to the control (kill switch)")
        return gettext("split by weight")

    @admin.display(description=_("arms"))
    def arms_summary(self, experiment: Experiment) -> str:
        return ", ".join(str(arm) for arm in experiment.arms.all())

    @admin.display(description=_("numbers"))
    def results(self, experiment: Experiment) -> str:
        if experiment.pk is None:
            return gettext("Numbers appear once the experiment has analyses.")
        results = experiment_results(experiment=experiment)
        analyses_url = reverse("admin:ai_prefill_analysis_changelist")
        arms = [
            {
                "arm": arm,
                "analyses_url": f"{analyses_url}?experiment__id__exact={experiment.pk}&variant__exact={arm.variant}",
            }
            for arm in results.arms
        ]
        primary = gettext("Category accepted unchanged: the primary metric (n = posted; %(needed)d needed)") % {
            "needed": results.min_sample
        }
        rows = [
            (gettext("Analyses"), [arm.analyses for arm in results.arms]),
            (primary, [arm.acceptance["category"] for arm in results.arms]),
            (
                gettext("Against the control (two-proportion z-test, significance 5%)"),
                [_verdict(arm) for arm in results.arms],
            ),
            (gettext("Thumbs up (n = votes)"), [arm.thumbs_up for arm in results.arms]),
        ]
        rows += [
            (
                gettext("%(field)s accepted unchanged") % {"field": SuggestedField(name).label},
                [arm.acceptance[name] for arm in results.arms],
            )
            for name in SUGGESTED_FIELDS
            if name != "category"
        ]
        rows += _calibration_rows(results.arms)
        rows += [
            (gettext("Abandoned (n = posted or abandoned)"), [arm.abandon for arm in results.arms]),
            (gettext("Errors (n = finished analyses)"), [arm.errors for arm in results.arms]),
            (gettext("Model latency p50 / p95 (n = successful calls)"), [_latency(arm) for arm in results.arms]),
            (gettext("Posted listings"), [arm.posted for arm in results.arms]),
            (gettext("LLM cost (USD)"), [_money(arm.cost, unknown=arm.cost is None) for arm in results.arms]),
            (
                gettext("Cost per posted listing (USD)"),
                [_money(arm.cost_per_posted, unknown=arm.cost is None) for arm in results.arms],
            ),
        ]
        return render_to_string(
            "insights/experiment_results.html",
            {
                "arms": arms,
                "rows": [(label, [_cell(value) for value in values]) for label, values in rows],
                "dashboard_url": reverse("ai_monitoring:dashboard"),
                "calibration_findings": [
                    f"{arm.variant}: {finding}" for arm in results.arms for finding in arm.calibration.findings
                ],
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

    @admin.action(description=_("Start the selected experiments (a draft, one at a time)"))
    def start(self, request, queryset):
        self._act(
            request, queryset, lambda e: services.experiment_start(experiment=e, by=request.user), gettext("started.")
        )

    @admin.action(description=_("Kill switch: send everyone to the control now"))
    def kill_switch(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda e: services.experiment_kill(experiment=e, by=request.user, reason=f"Kill switch by {request.user}."),
            gettext("kill switch on: all traffic goes to the control."),
        )

    @admin.action(description=_("Stop the selected experiments (back to the default config from settings)"))
    def stop(self, request, queryset):
        self._act(
            request, queryset, lambda e: services.experiment_stop(experiment=e, by=request.user), gettext("stopped.")
        )

    @admin.action(description=_("Promote the candidate: give it to everyone, as a new experiment's only arm"))
    def promote(self, request, queryset):
        self._act(
            request,
            queryset,
            lambda e: services.experiment_promote(experiment=e, by=request.user),
            gettext("candidate promoted; a new experiment gives it to everyone."),
        )


def _calibration_rows(arms) -> list[tuple[str, list]]:
    """A row per field and confidence level any arm has values at: the share kept unchanged, per arm."""
    tables = [{row.field: row.kept for row in arm.calibration.fields} for arm in arms]
    fields = list(dict.fromkeys(name for table in tables for name in table))
    return [
        (
            gettext("%(field)s kept at “%(level)s” confidence (n = posted values)")
            % {"field": name, "level": level_label(level)},
            [table.get(name, {}).get(level, Proportion(0, 0)) for table in tables],
        )
        for name in fields
        for level in LEVELS
        if any(level in table.get(name, {}) for table in tables)
    ]


# The verdicts as people read them; insights.stats keeps the values code compares.
VERDICTS = {
    stats.BETTER: pgettext_lazy("verdict", "better"),
    stats.WORSE: pgettext_lazy("verdict", "worse"),
    stats.NO_DIFFERENCE: _("no significant difference"),
    stats.NOT_ENOUGH_DATA: _("not enough data yet"),
}


def _cell(value):
    # The experiment page gives every rate its interval and sample: a verdict is only as good as its n.
    return value.with_interval if isinstance(value, Proportion) else value


def _verdict(arm) -> str:
    if arm.primary is None:
        return gettext("control")
    comparison = arm.primary
    verdict = VERDICTS.get(comparison.verdict, comparison.verdict)
    if comparison.p_value is None:
        return str(verdict)
    numbers = localized(f"{comparison.difference:+.1%}, z = {comparison.z:.2f}, p = {comparison.p_value:.3f}")
    return f"{verdict} ({numbers})"


def _latency(arm) -> str:
    if arm.latency_p50_ms is None:
        return "– (n=0)"
    return f"{arm.latency_p50_ms:.0f} / {arm.latency_p95_ms:.0f} ms (n={arm.latency_n})"


def _money(value, *, unknown: bool = False) -> str:
    if unknown:
        return gettext("unknown price")
    return "–" if value is None else localized(f"{value:.4f}")

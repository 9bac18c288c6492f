"""Reads of the rollout: which variant an analysis runs with, and the per-variant numbers of an experiment.

The numbers are counted by the database: four grouped queries per experiment, whatever its size.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from ai_prefill.llm import ModelConfig, default_model_config, model_config_for
from ai_prefill.models import Analysis, Experiment, ExperimentArm, LLMCall, Variant
from ai_prefill.monitoring.percentiles import percentiles_by_group
from ai_prefill.rollout.stats import Comparison, Proportion, compare
from feedback.models import SUGGESTED_FIELDS, Correction, Vote

Status = Analysis.Status
PRIMARY_METRIC = "category accepted unchanged"
NO_SAMPLE = Proportion(0, 0)


def running_experiment_arms() -> list[ExperimentArm]:
    """The arms of the running experiment (control first), each with its experiment and variant; [] if none."""
    return list(
        ExperimentArm.objects.filter(experiment__status=Experiment.Status.RUNNING)
        .select_related("experiment", "variant")
        .order_by("-is_control", "id")
    )


def variant_model_config(variant: Variant) -> ModelConfig:
    return model_config_for(
        provider=variant.provider,
        model=variant.model if variant.provider == Variant.Provider.OPENAI else None,
        api_style=variant.api_style,
        prompt_version=variant.prompt_version_id,
        params=variant.params,
    )


def analysis_model_config(*, analysis_id: uuid.UUID | str) -> tuple[ModelConfig, str]:
    """The config to run the analysis with, and its variant's name ("" for the default from settings).

    An analysis of an experiment whose kill switch is on runs as the control, even if it was assigned
    another arm before the switch. Read afresh for every analysis, never cached: the switch acts at once.
    Raises PromptVersionError when the prompt version cannot be sent.
    """
    row = (
        Analysis.objects.filter(pk=analysis_id).values_list("variant", "experiment_id", "experiment__killed_at").first()
    )
    if row is None or not row[0]:
        return default_model_config(), ""
    variant_name, experiment_id, killed_at = row
    if experiment_id is not None and killed_at is not None:
        control = ExperimentArm.objects.filter(experiment_id=experiment_id, is_control=True).select_related("variant")
        variant = next((arm.variant for arm in control), None)
    else:
        variant = Variant.objects.filter(name=variant_name).first()
    if variant is None:
        return default_model_config(), ""
    return variant_model_config(variant), variant.name


@dataclass
class ArmResults:
    variant: str
    is_control: bool
    weight: int
    analyses: int = 0
    errors: Proportion = NO_SAMPLE  # failed among finished
    thumbs_up: Proportion = NO_SAMPLE  # up among current votes
    # Per suggested field: kept unchanged among the corrections recorded at posting.
    acceptance: dict[str, Proportion] = field(default_factory=lambda: dict.fromkeys(SUGGESTED_FIELDS, NO_SAMPLE))
    abandon: Proportion = NO_SAMPLE  # abandoned among posted or abandoned
    posted: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_n: int = 0  # successful model calls
    cost: Decimal = Decimal(0)
    primary: Comparison | None = None  # against the control; None for the control itself

    @property
    def cost_per_posted(self) -> Decimal | None:
        return (self.cost / self.posted).quantize(Decimal("0.000001")) if self.posted else None


@dataclass
class ExperimentResults:
    experiment: Experiment
    arms: list[ArmResults]
    min_sample: int
    primary_metric: str = PRIMARY_METRIC

    @property
    def control(self) -> ArmResults | None:
        return next((arm for arm in self.arms if arm.is_control), None)

    @property
    def candidates(self) -> list[ArmResults]:
        return [arm for arm in self.arms if not arm.is_control]


def experiment_results(*, experiment: Experiment) -> ExperimentResults:
    """Per arm: sample sizes, rates with 95% intervals, latency, cost per posted listing, and the verdict on
    the primary metric (category accepted unchanged) against the control."""
    arms = {
        arm.variant.name: ArmResults(variant=arm.variant.name, is_control=arm.is_control, weight=arm.weight)
        for arm in experiment.arms.select_related("variant").order_by("-is_control", "id")
    }
    analyses = Analysis.objects.filter(experiment=experiment)
    current_votes = Vote.objects.filter(analysis=OuterRef("pk"), replaced_at__isnull=True)
    posted = Q(outcome__posted_at__isnull=False) | Q(listing__isnull=False)
    per_variant = (
        analyses.annotate(voted=Exists(current_votes), voted_up=Exists(current_votes.filter(value=Vote.Value.UP)))
        .values("variant")
        .annotate(
            total=Count("pk"),
            finished=Count("pk", filter=Q(status__in=(Status.SUCCEEDED, Status.FAILED))),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            votes=Count("pk", filter=Q(voted=True)),
            thumbs_up=Count("pk", filter=Q(voted_up=True)),
            posted=Count("pk", filter=posted),
            abandoned=Count(
                "pk",
                filter=Q(outcome__abandoned_at__isnull=False, outcome__posted_at__isnull=True, listing__isnull=True),
            ),
        )
        .order_by()
    )
    for row in per_variant:
        arm = arms.get(row["variant"])
        if arm is None:
            continue
        arm.analyses = row["total"]
        arm.errors = Proportion(row["failed"], row["finished"])
        arm.thumbs_up = Proportion(row["thumbs_up"], row["votes"])
        arm.posted = row["posted"]
        arm.abandon = Proportion(row["abandoned"], row["posted"] + row["abandoned"])

    per_field = (
        Correction.objects.filter(analysis__experiment=experiment, kind=Correction.Kind.INITIAL)
        .values("analysis__variant", "field")
        .annotate(n=Count("pk"), kept=Count("pk", filter=Q(changed=False)))
        .order_by()
    )
    for row in per_field:
        arm = arms.get(row["analysis__variant"])
        if arm is not None and row["field"] in arm.acceptance:
            arm.acceptance[row["field"]] = Proportion(row["kept"], row["n"])

    calls = LLMCall.objects.filter(analysis__experiment=experiment).annotate(group=F("analysis__variant"))
    usage = calls.values("group").annotate(cost=Sum("cost"), successful=Count("pk", filter=Q(error_type="")))
    for row in usage.order_by():
        arm = arms.get(row["group"])
        if arm is not None:
            arm.cost = row["cost"] or Decimal(0)
            arm.latency_n = row["successful"]
    successful = calls.filter(error_type="")
    latency = percentiles_by_group(successful, value="latency_ms", group="group", fractions=(0.5, 0.95))
    for name, values in latency.items():
        arm = arms.get(name)
        if arm is not None:
            arm.latency_p50_ms, arm.latency_p95_ms = values[0.5], values[0.95]

    min_sample = settings.ROLLOUT_MIN_SAMPLE
    control = next((arm for arm in arms.values() if arm.is_control), None)
    for arm in arms.values():
        if control is not None and arm is not control:
            arm.primary = compare(control.acceptance["category"], arm.acceptance["category"], min_sample=min_sample)
    return ExperimentResults(experiment=experiment, arms=list(arms.values()), min_sample=min_sample)

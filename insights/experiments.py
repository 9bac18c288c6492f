"""The per-variant numbers of an experiment, counted by the database: four grouped queries per experiment,
whatever its size, and one per field for the calibration."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis, Experiment, LLMCall
from feedback.models import Correction, Vote
from feedback.selectors import analysis_abandoned_q, analysis_posted_q
from insights.calibration import Calibration, calibration_by, corrections_kept
from insights.percentiles import percentiles_by_group
from insights.stats import Comparison, Proportion, compare

Status = Analysis.Status
PRIMARY_METRIC = "category accepted unchanged"
NO_SAMPLE = Proportion(0, 0)


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
    cost: Decimal | None = Decimal(0)  # None: some of its calls have no known price
    primary: Comparison | None = None  # against the control; None for the control itself
    # Per field and confidence level: kept unchanged among the arm's posted values (insights.calibration).
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def cost_per_posted(self) -> Decimal | None:
        if self.cost is None or not self.posted:
            return None
        return (self.cost / self.posted).quantize(Decimal("0.000001"))


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
    per_variant = (
        analyses.annotate(voted=Exists(current_votes), voted_up=Exists(current_votes.filter(value=Vote.Value.UP)))
        .values("variant")
        .annotate(
            total=Count("pk"),
            finished=Count("pk", filter=Q(status__in=(Status.SUCCEEDED, Status.FAILED))),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            votes=Count("pk", filter=Q(voted=True)),
            thumbs_up=Count("pk", filter=Q(voted_up=True)),
            posted=Count("pk", filter=analysis_posted_q()),
            abandoned=Count("pk", filter=analysis_abandoned_q()),
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

    initial = Correction.objects.filter(analysis__experiment=experiment, kind=Correction.Kind.INITIAL)
    for (variant, name), kept in corrections_kept(initial, group="analysis__variant").items():
        arm = arms.get(variant)
        if arm is not None and name in arm.acceptance:
            arm.acceptance[name] = kept

    calls = LLMCall.objects.filter(analysis__experiment=experiment).annotate(group=F("analysis__variant"))
    usage = calls.values("group").annotate(
        unpriced=Count("pk", filter=Q(cost__isnull=True)),  # before cost=, which would shadow the field here
        cost=Sum("cost"),
        successful=Count("pk", filter=Q(error_type="")),
    )
    for row in usage.order_by():
        arm = arms.get(row["group"])
        if arm is not None:
            arm.cost = None if row["unpriced"] else row["cost"] or Decimal(0)
            arm.latency_n = row["successful"]
    successful = calls.filter(error_type="")
    latency = percentiles_by_group(successful, value="latency_ms", group="group", fractions=(0.5, 0.95))
    for name, values in latency.items():
        arm = arms.get(name)
        if arm is not None:
            arm.latency_p50_ms, arm.latency_p95_ms = values[0.5], values[0.95]

    for name, arm_calibration in calibration_by(analyses=analyses, group="variant").items():
        arm = arms.get(name)
        if arm is not None:
            arm.calibration = arm_calibration

    min_sample = settings.ROLLOUT_MIN_SAMPLE
    control = next((arm for arm in arms.values() if arm.is_control), None)
    for arm in arms.values():
        if control is not None and arm is not control:
            arm.primary = compare(control.acceptance["category"], arm.acceptance["category"], min_sample=min_sample)
    return ExperimentResults(experiment=experiment, arms=list(arms.values()), min_sample=min_sample)

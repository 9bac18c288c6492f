"""The guardrail: all traffic back to the control when a candidate fails too often or costs too much."""

import logging
from dataclasses import dataclass

from django.conf import settings

from ai_prefill.models import Experiment, ExperimentChange
from ai_prefill.rollout.services import experiment_kill
from insights.experiments import ArmResults, experiment_results

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuardrailTrip:
    experiment: Experiment
    reasons: list[str]


def guardrail_reasons(*, arm: ArmResults, control: ArmResults | None) -> list[str]:
    """Why this candidate must stop now; [] while it is within the limits or has too few samples to tell."""
    reasons = []
    min_sample = settings.ROLLOUT_GUARDRAIL_MIN_SAMPLE
    error_limit = settings.ROLLOUT_GUARDRAIL_MAX_ERROR_RATE
    errors = arm.errors
    # Above the control's rate too: when the model's service is down for everyone, moving does not help.
    control_rate = control.errors.value if control is not None and control.errors.whole else 0.0
    if errors.whole >= min_sample and errors.value > error_limit and errors.value > control_rate:
        reasons.append(
            f"{arm.variant}: error rate {errors.value:.1%} ({errors.part} of {errors.whole} finished analyses) "
            f"is above the limit of {error_limit:.1%}"
        )
    cost_limit = settings.ROLLOUT_GUARDRAIL_MAX_COST_PER_POSTED
    # An arm whose price is unknown cannot be held to the cost limit (its cost shows as "unknown price").
    if cost_limit and arm.posted >= min_sample and arm.cost_per_posted is not None and arm.cost_per_posted > cost_limit:
        reasons.append(
            f"{arm.variant}: cost per posted listing ${arm.cost_per_posted:.4f} ({arm.posted} posted) "
            f"is above the limit of ${cost_limit:.4f}"
        )
    return reasons


def guardrail_check() -> GuardrailTrip | None:
    """Look at the running experiment's candidates; trip the kill switch, saying why, when one breaks a limit."""
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING, killed_at__isnull=True).first()
    if experiment is None:
        return None
    results = experiment_results(experiment=experiment)
    reasons = [reason for arm in results.candidates for reason in guardrail_reasons(arm=arm, control=results.control)]
    if not reasons:
        return None
    details = {
        "arms": {
            arm.variant: {
                "finished": arm.errors.whole,
                "failed": arm.errors.part,
                "posted": arm.posted,
                "cost": None if arm.cost is None else str(arm.cost),
            }
            for arm in results.arms
        }
    }
    experiment_kill(
        experiment=experiment,
        reason="Guardrail: " + "; ".join(reasons) + ".",
        action=ExperimentChange.Action.GUARDRAIL,
        details=details,
    )
    return GuardrailTrip(experiment=experiment, reasons=reasons)

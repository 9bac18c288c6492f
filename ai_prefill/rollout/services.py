"""Writes of the rollout: registering prompt versions, starting, stopping, killing and promoting experiments."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from ai_prefill.llm.prompt import PROMPTS_DIR, VERSION_PATTERN, PromptVersionChanged, prompt_read, version_sort_key
from ai_prefill.models import Experiment, ExperimentArm, ExperimentChange, PromptVersion
from ai_prefill.rollout.assignment import arm_for_bucket, assignment_bucket, assignment_unit
from ai_prefill.rollout.selectors import running_experiment_arms
from core.errors import DomainError

logger = logging.getLogger(__name__)


@dataclass
class RegisterResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@transaction.atomic
def prompt_versions_register(*, directory: Path = PROMPTS_DIR) -> RegisterResult:
    """Register every prompt version in the directory; the same content again is a no-op.

    Raises PromptVersionChanged, and registers nothing, when a registered version's content differs.
    """
    names = sorted(
        (path.stem for path in directory.glob("*.md") if VERSION_PATTERN.match(path.stem)), key=version_sort_key
    )
    prompts = [prompt_read(name, directory=directory) for name in names]
    registered = {row.version: row for row in PromptVersion.objects.filter(version__in=names)}
    changed = [
        prompt.version
        for prompt in prompts
        if prompt.version in registered and registered[prompt.version].content_hash != prompt.content_hash
    ]
    if changed:
        raise PromptVersionChanged(
            f"Prompt version {', '.join(changed)} changed after it was registered (files in {directory}). "
            "Registered versions are immutable: restore the files and put the change in a new version "
            "(a new NAME.md and NAME.toml)."
        )
    result = RegisterResult()
    for prompt in prompts:
        if prompt.version in registered:
            result.unchanged.append(prompt.version)
            continue
        PromptVersion.objects.create(
            version=prompt.version,
            description=prompt.description,
            instructions=prompt.instructions,
            output_schema=prompt.output_schema,
            params=prompt.params,
            content_hash=prompt.content_hash,
        )
        result.created.append(prompt.version)
    if result.created:
        logger.info("Registered prompt versions: %s", ", ".join(result.created))
    return result


class ExperimentInvalid(DomainError):
    status_code = 409


@dataclass(frozen=True)
class Assignment:
    experiment: Experiment
    variant: str


def variant_assign(*, user_id: int | None, session_key: str = "") -> Assignment | None:
    """The running experiment's arm for this seller (sticky), the control once the kill switch is on;
    None when no experiment runs, and the analysis takes the default config from settings."""
    arms = running_experiment_arms()
    if not arms:
        return None
    experiment = arms[0].experiment
    control = next((arm for arm in arms if arm.is_control), arms[0])
    unit = assignment_unit(user_id=user_id, session_key=session_key)
    if experiment.killed_at is not None or unit is None:
        return Assignment(experiment=experiment, variant=control.variant.name)
    arm = arm_for_bucket(arms, assignment_bucket(salt=experiment.salt, unit=unit))
    return Assignment(experiment=experiment, variant=arm.variant.name)


def _record(experiment: Experiment, action: str, *, by, reason: str = "", details: dict | None = None) -> None:
    ExperimentChange.objects.create(experiment=experiment, action=action, by=by, reason=reason, details=details or {})
    logger.info(
        "Experiment %r: %s by %s%s", experiment.name, action, by or "the system", f" ({reason})" if reason else ""
    )


def _locked(experiment: Experiment) -> Experiment:
    return Experiment.objects.select_for_update().get(pk=experiment.pk)


def experiment_arms_check(*, arms: list[ExperimentArm]) -> None:
    """ExperimentInvalid unless the arms make a startable split: one control, weights adding up to more than 0."""
    if sum(arm.is_control for arm in arms) != 1:
        raise ExperimentInvalid("An experiment needs exactly one control arm.")
    if sum(arm.weight for arm in arms) <= 0:
        raise ExperimentInvalid("The arms' weights add up to 0: give at least one arm a weight.")


def experiment_start(*, experiment: Experiment, by=None) -> Experiment:
    """Start a draft experiment; refused while another one runs."""
    try:
        with transaction.atomic():
            experiment = _locked(experiment)
            if experiment.status != Experiment.Status.DRAFT:
                raise ExperimentInvalid(
                    f"Experiment {experiment.name!r} is {experiment.status}; only a draft can start."
                )
            experiment_arms_check(arms=list(experiment.arms.all()))
            running = Experiment.objects.filter(status=Experiment.Status.RUNNING).first()
            if running is not None:
                raise ExperimentInvalid(f"Experiment {running.name!r} is running; stop it before starting another.")
            experiment.status = Experiment.Status.RUNNING
            experiment.started_at = timezone.now()
            experiment.save(update_fields=["status", "started_at"])
            _record(experiment, ExperimentChange.Action.STARTED, by=by, details=_arms_details(experiment))
    except IntegrityError:
        # Two starts raced past the check; the one-running-experiment constraint let only one through.
        raise ExperimentInvalid("Another experiment started at the same moment; stop it first.") from None
    return experiment


def experiment_stop(*, experiment: Experiment, by=None, reason: str = "") -> Experiment:
    """Stop a running experiment: new analyses go back to the default config from settings."""
    with transaction.atomic():
        experiment = _locked(experiment)
        if experiment.status != Experiment.Status.RUNNING:
            raise ExperimentInvalid(f"Experiment {experiment.name!r} is not running.")
        experiment.status = Experiment.Status.STOPPED
        experiment.stopped_at = timezone.now()
        experiment.save(update_fields=["status", "stopped_at"])
        _record(experiment, ExperimentChange.Action.STOPPED, by=by, reason=reason)
    return experiment


def experiment_kill(
    *, experiment: Experiment, by=None, reason: str, action: str = ExperimentChange.Action.KILLED, details=None
) -> bool:
    """The kill switch: every analysis of the experiment, even those already waiting, runs as the control.

    Returns False when the switch was already on (nothing changes, nothing is recorded).
    """
    if experiment.status != Experiment.Status.RUNNING:
        raise ExperimentInvalid(f"Experiment {experiment.name!r} is not running, so there is no traffic to move.")
    with transaction.atomic():
        switched = Experiment.objects.filter(pk=experiment.pk, killed_at__isnull=True).update(
            killed_at=timezone.now(), kill_reason=reason
        )
        if not switched:
            return False
        experiment.refresh_from_db()
        _record(experiment, action, by=by, reason=reason, details=details)
    logger.warning("Experiment %r: all traffic sent to the control: %s", experiment.name, reason)
    return True


def experiment_promote(*, experiment: Experiment, by=None) -> Experiment:
    """Stop the experiment and start one that gives its candidate to everyone, as the sole control arm.

    The candidate then serves every seller without a deploy; setting AI_MODEL and friends to its values
    and stopping that experiment makes it the default for good (README, "Model upgrades").
    """
    candidates = [arm for arm in experiment.arms.select_related("variant") if not arm.is_control]
    if len(candidates) != 1:
        raise ExperimentInvalid("Promote needs an experiment with exactly one candidate arm besides the control.")
    variant = candidates[0].variant
    with transaction.atomic():
        experiment = _locked(experiment)
        if experiment.status == Experiment.Status.RUNNING:
            experiment_stop(experiment=experiment, by=by, reason=f"{variant.name} promoted")
        _record(experiment, ExperimentChange.Action.PROMOTED, by=by, details={"variant": variant.name})
        now = timezone.localtime()
        promoted = Experiment.objects.create(
            name=f"{variant.name} for everyone, from {experiment.name}"[:80] + f" {now:%Y-%m-%d %H:%M:%S}",
            description=f"{variant.name} promoted from experiment {experiment.name!r}.",
        )
        ExperimentArm.objects.create(experiment=promoted, variant=variant, weight=100, is_control=True)
        return experiment_start(experiment=promoted, by=by)


def _arms_details(experiment: Experiment) -> dict:
    return {
        "arms": [
            {"variant": arm.variant.name, "weight": arm.weight, "control": arm.is_control}
            for arm in experiment.arms.select_related("variant")
        ]
    }

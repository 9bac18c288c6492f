"""Shared helpers for the prompt-version and rollout tests: prompt files, variants, experiments, outcomes."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis, Experiment, ExperimentArm, LLMCall, Variant
from feedback.models import Correction, Outcome, Vote
from tests.factories import UserFactory

SCHEMA_DESCRIPTIONS = {
    "title": "What the item is.",
    "description": "The item and its condition.",
    "category": "One of the listed slugs.",
    "price": "A used price in euros.",
    "condition": "The visible condition.",
}


def write_prompt(
    directory: Path, name: str, *, instructions: str = "Describe the item.\n{categories}\n", temperature=0.2, **schema
) -> None:
    descriptions = {**SCHEMA_DESCRIPTIONS, **schema}
    (directory / f"{name}.md").write_text(instructions, encoding="utf-8")
    header = [f'description = "Test prompt {name}."', "", "[params]", f"temperature = {temperature}", "", "[schema]"]
    header += [f'{field} = "{text}"' for field, text in descriptions.items()]
    (directory / f"{name}.toml").write_text("\n".join(header) + "\n", encoding="utf-8")


def variant(name: str, *, model: str = "gpt-4o-mini", prompt_version: str = "prefill-v1", **fields) -> Variant:
    return Variant.objects.create(name=name, model=model, prompt_version_id=prompt_version, **fields)


def experiment(*arms: tuple[Variant, int], name: str = "test", salt: str = "", status=None) -> Experiment:
    """An experiment whose first arm is the control; running unless another status is given."""
    created = Experiment.objects.create(
        name=name, status=status or Experiment.Status.RUNNING, **({"salt": salt} if salt else {})
    )
    for position, (arm_variant, weight) in enumerate(arms):
        ExperimentArm.objects.create(experiment=created, variant=arm_variant, weight=weight, is_control=position == 0)
    return created


def arm_analysis(
    experiment_row: Experiment,
    variant_name: str,
    *,
    status: str = Analysis.Status.SUCCEEDED,
    category_kept: bool | None = None,
    vote: str | None = None,
    posted: bool = False,
    abandoned: bool = False,
    cost: str | None = "0",  # None: a model call with no known price
    latency_ms: int | None = None,
    fields_kept: dict | None = None,
) -> Analysis:
    """One analysis of an arm with what came after it: a vote, corrections at posting, an outcome, a model call."""
    user = UserFactory()
    analysis = Analysis.objects.create(
        user=user, status=status, variant=variant_name, experiment=experiment_row, finished_at=timezone.now()
    )
    if vote:
        Vote.objects.create(analysis=analysis, user=user, value=vote)
    kept = dict(fields_kept or {})
    if category_kept is not None:
        kept["category"] = category_kept
    for field in SUGGESTED_FIELDS:
        if field in kept:
            Correction.objects.create(
                analysis=analysis,
                field=field,
                suggested="a",
                final="a" if kept[field] else "b",
                changed=not kept[field],
                similarity=1.0 if kept[field] else 0.0,
            )
    if posted or abandoned:
        now = timezone.now()
        # The posting fact (ai_prefill) and the outcome feedback derives from it, or the sweep's abandoned mark.
        if posted:
            Analysis.objects.filter(pk=analysis.pk).update(posted_at=now)
        Outcome.objects.create(
            analysis=analysis,
            posted_at=now if posted else None,
            abandoned_at=now + timedelta(days=1) if abandoned else None,
        )
    if latency_ms is not None or cost is None or Decimal(cost):
        LLMCall.objects.create(
            analysis=analysis,
            provider="openai",
            model="gpt-4o-mini",
            api_style="responses",
            prompt_version="prefill-v1",
            started_at=timezone.now(),
            latency_ms=latency_ms or 0,
            cost=None if cost is None else Decimal(cost),
            error_type="" if status == Analysis.Status.SUCCEEDED else "server_error",
        )
    return analysis

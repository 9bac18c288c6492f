"""Reads of the rollout: which variant an analysis runs with (the per-variant numbers are insights')."""

import uuid

from ai_prefill.llm import ModelConfig, default_model_config, model_config_for
from ai_prefill.models import Analysis, Experiment, ExperimentArm, Variant


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

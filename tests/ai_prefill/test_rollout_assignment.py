"""Sticky assignment, the kill switch, and analyses running with their variant's config."""

from collections import Counter

import pytest

from ai_prefill.models import Analysis, Experiment, ExperimentChange, LLMCall, PromptVersion
from ai_prefill.rollout.assignment import BUCKETS, arm_for_bucket, assignment_bucket, assignment_unit
from ai_prefill.rollout.services import (
    ExperimentInvalid,
    experiment_kill,
    experiment_promote,
    experiment_start,
    experiment_stop,
    variant_assign,
)
from ai_prefill.services import analysis_regenerate, analysis_run, analysis_start
from tests.ai_prefill.rollout_helpers import experiment, variant
from tests.factories import UserFactory, jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def control():
    return variant("control", model="gpt-4o-mini", prompt_version="prefill-v1")


@pytest.fixture
def candidate():
    return variant("candidate", model="gpt-4.1-mini", prompt_version="prefill-v2", api_style="chat")


def upload(user) -> Analysis:
    return analysis_start(user=user, uploads=[photo_upload(data=jpeg_bytes(320, 240))])


def shares(arms, salt: str, units: list[str]) -> dict[str, float]:
    counts = Counter(arm_for_bucket(arms, assignment_bucket(salt=salt, unit=unit)).variant.name for unit in units)
    return {name: count / len(units) for name, count in counts.items()}


# Stickiness and shares


def test_the_same_seller_always_gets_the_same_variant(control, candidate):
    experiment((control, 50), (candidate, 50))
    sellers = [UserFactory() for _ in range(20)]

    first = {seller.pk: variant_assign(user_id=seller.pk).variant for seller in sellers}
    again = {seller.pk: variant_assign(user_id=seller.pk).variant for seller in sellers}

    assert first == again
    assert set(first.values()) == {"control", "candidate"}  # 20 sellers at 50/50 land in both arms


def test_a_sellers_uploads_and_regenerations_store_the_same_variant(control, candidate, seller, published_tasks):
    running = experiment((control, 50), (candidate, 50))
    expected = variant_assign(user_id=seller.pk).variant

    analyses = [upload(seller), upload(seller)]
    analyses.append(analysis_regenerate(user=seller, analysis_id=analyses[0].pk))

    for analysis in analyses:
        analysis.refresh_from_db()
        assert (analysis.experiment, analysis.variant) == (running, expected)


@pytest.mark.parametrize("weights", [(90, 10), (50, 50), (95, 5)])
def test_shares_over_10000_sellers_follow_the_weights(control, candidate, weights):
    running = experiment((control, weights[0]), (candidate, weights[1]), salt="fixed-salt")
    arms = list(running.arms.select_related("variant").order_by("-is_control", "id"))

    observed = shares(
        arms, running.salt, [assignment_unit(user_id=user_id, session_key="") for user_id in range(10_000)]
    )

    total = sum(weights)
    # 5 standard deviations of a share over 10,000 draws is at most 0.025.
    assert observed["control"] == pytest.approx(weights[0] / total, abs=0.025)
    assert observed["candidate"] == pytest.approx(weights[1] / total, abs=0.025)


def test_anonymous_uploads_stick_by_session(control, candidate):
    running = experiment((control, 50), (candidate, 50), salt="fixed-salt")
    arms = list(running.arms.select_related("variant").order_by("-is_control", "id"))
    sessions = [f"session-{number:05d}" for number in range(2000)]

    assert [variant_assign(user_id=None, session_key=key).variant for key in sessions[:50]] == [
        variant_assign(user_id=None, session_key=key).variant for key in sessions[:50]
    ]
    assert shares(arms, running.salt, [assignment_unit(user_id=None, session_key=key) for key in sessions])[
        "candidate"
    ] == pytest.approx(0.5, abs=0.06)
    # Without a user or a session there is nothing to stick to: the control.
    assert variant_assign(user_id=None, session_key="").variant == "control"


def test_buckets_split_exactly_by_cumulative_weights(control, candidate):
    arms = list(experiment((control, 9), (candidate, 1)).arms.select_related("variant").order_by("-is_control"))

    assert arm_for_bucket(arms, 0).variant == control
    assert arm_for_bucket(arms, BUCKETS * 9 // 10 - 1).variant == control
    assert arm_for_bucket(arms, BUCKETS * 9 // 10).variant == candidate
    assert arm_for_bucket(arms, BUCKETS - 1).variant == candidate


def test_each_experiment_splits_sellers_afresh(control, candidate):
    units = [assignment_unit(user_id=user_id, session_key="") for user_id in range(1000)]

    first = [assignment_bucket(salt="one", unit=unit) < BUCKETS // 2 for unit in units]
    second = [assignment_bucket(salt="two", unit=unit) < BUCKETS // 2 for unit in units]

    assert 400 < sum(a != b for a, b in zip(first, second, strict=True)) < 600


# The config an analysis runs with


def test_without_a_running_experiment_an_analysis_runs_with_the_default_config(fake_openai, seller, published_tasks):
    analysis = upload(seller)
    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert (analysis.status, analysis.variant, analysis.experiment) == (Analysis.Status.SUCCEEDED, "", None)
    assert (analysis.model, analysis.prompt_version) == ("gpt-4o-mini", "prefill-v1")
    assert fake_openai.last_request.path == "/v1/responses"


def test_an_analysis_runs_with_its_variants_model_prompt_and_api_style(
    fake_openai, control, candidate, seller, published_tasks
):
    experiment((control, 0), (candidate, 1))  # everyone to the candidate

    analysis = upload(seller)
    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert (analysis.status, analysis.variant) == (Analysis.Status.SUCCEEDED, "candidate")
    assert (analysis.model, analysis.api_style, analysis.prompt_version) == ("gpt-4.1-mini", "chat", "prefill-v2")
    sent = fake_openai.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "gpt-4.1-mini"
    system = next(message["content"] for message in sent.body["messages"] if message["role"] == "system")
    assert "Work it out like this" in system  # prefill-v2's price guidance
    (call,) = LLMCall.objects.filter(analysis=analysis)
    assert call.prompt_hash == PromptVersion.objects.get(version="prefill-v2").content_hash


def test_a_variants_own_parameters_are_sent(fake_openai, seller, published_tasks):
    tuned = variant("tuned", params={"temperature": 0.6, "max_output_tokens": 400})
    experiment((tuned, 1))

    analysis_run(analysis_id=upload(seller).pk)

    assert (fake_openai.last_request.body["temperature"], fake_openai.last_request.body["max_output_tokens"]) == (
        0.6,
        400,
    )


# The kill switch


def test_the_kill_switch_sends_everyone_to_the_control_at_once(fake_openai, control, candidate, staff, published_tasks):
    running = experiment((control, 0), (candidate, 1))
    sellers = [UserFactory() for _ in range(5)]
    waiting = upload(sellers[0])  # assigned to the candidate, not run yet
    assert waiting.variant == "candidate"

    assert experiment_kill(experiment=running, by=staff, reason="Prices look wrong.") is True

    assert {variant_assign(user_id=seller.pk).variant for seller in sellers} == {"control"}
    analysis_run(analysis_id=waiting.pk)
    waiting.refresh_from_db()
    assert (waiting.variant, waiting.model, waiting.prompt_version) == ("control", "gpt-4o-mini", "prefill-v1")
    assert fake_openai.last_request.body["model"] == "gpt-4o-mini"
    change = ExperimentChange.objects.get(experiment=running)
    assert (change.action, change.by, change.reason) == (ExperimentChange.Action.KILLED, staff, "Prices look wrong.")
    # Flipping it again changes and records nothing.
    assert experiment_kill(experiment=running, by=staff, reason="again") is False
    assert ExperimentChange.objects.filter(experiment=running).count() == 1


def test_the_kill_switch_acts_at_once_on_a_worker_that_already_ran_the_candidate(
    fake_openai, control, candidate, staff, published_tasks
):
    running = experiment((control, 0), (candidate, 1))
    sellers = [UserFactory() for _ in range(2)]
    analysis_run(analysis_id=upload(sellers[0]).pk)  # this process has now sent the candidate's prompt
    waiting = upload(sellers[1])

    experiment_kill(experiment=running, by=staff, reason="Prices look wrong.")
    analysis_run(analysis_id=waiting.pk)

    waiting.refresh_from_db()
    assert (waiting.variant, waiting.model, waiting.api_style, waiting.prompt_version) == (
        "control",
        "gpt-4o-mini",
        "responses",
        "prefill-v1",
    )
    first, second = (request.body for request in fake_openai.requests)
    assert (first["model"], second["model"]) == ("gpt-4.1-mini", "gpt-4o-mini")
    assert "Work it out like this" not in second["instructions"]  # prefill-v1, not the candidate's v2
    (call,) = LLMCall.objects.filter(analysis=waiting)
    assert call.prompt_hash == PromptVersion.objects.get(version="prefill-v1").content_hash


# Starting, stopping, promoting


def test_only_one_experiment_runs_at_a_time(control, candidate, staff):
    experiment((control, 90), (candidate, 10), name="first")
    draft = experiment((control, 50), (candidate, 50), name="second", status=Experiment.Status.DRAFT)

    with pytest.raises(ExperimentInvalid, match="'first' is running; stop it"):
        experiment_start(experiment=draft, by=staff)


def test_a_split_needs_one_control_and_some_weight(control, candidate):
    no_weight = experiment((control, 0), (candidate, 0), name="no weight", status=Experiment.Status.DRAFT)
    no_control = experiment((control, 1), name="no control", status=Experiment.Status.DRAFT)
    no_control.arms.update(is_control=False)

    with pytest.raises(ExperimentInvalid, match="weights add up to 0"):
        experiment_start(experiment=no_weight)
    with pytest.raises(ExperimentInvalid, match="exactly one control"):
        experiment_start(experiment=no_control)


def test_stopping_sends_new_analyses_back_to_the_default_config(control, candidate, staff):
    running = experiment((control, 0), (candidate, 1))

    experiment_stop(experiment=running, by=staff, reason="Enough data.")

    assert variant_assign(user_id=1) is None
    assert running.changes.get().action == ExperimentChange.Action.STOPPED


def test_promoting_gives_the_candidate_to_everyone(control, candidate, staff):
    draft = experiment((control, 95), (candidate, 5), status=Experiment.Status.DRAFT)
    experiment_start(experiment=draft, by=staff)

    promoted = experiment_promote(experiment=draft, by=staff)

    draft.refresh_from_db()
    assert draft.status == Experiment.Status.STOPPED
    assert promoted.status == Experiment.Status.RUNNING
    assert [(arm.variant, arm.is_control) for arm in promoted.arms.all()] == [(candidate, True)]
    assert {variant_assign(user_id=user_id).variant for user_id in range(200)} == {"candidate"}
    assert list(draft.changes.order_by("id").values_list("action", flat=True)) == ["started", "stopped", "promoted"]


def test_an_analysis_whose_prompt_version_drifted_fails_without_calling_the_model(
    fake_openai, candidate, seller, published_tasks
):
    experiment((candidate, 1))
    PromptVersion.objects.filter(version="prefill-v2").update(content_hash="0" * 64)

    analysis = upload(seller)
    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert (analysis.status, analysis.error_type) == (Analysis.Status.FAILED, "prompt_version")
    assert "fill in the form yourself" in analysis.error_message
    assert fake_openai.requests == []

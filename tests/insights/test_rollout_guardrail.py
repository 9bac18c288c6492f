"""The guardrail: all traffic back to the control when a candidate fails too often or costs too much."""

import logging

import pytest

from ai_prefill.models import Analysis, ExperimentChange
from ai_prefill.rollout.services import variant_assign
from insights.guardrail import guardrail_check
from insights.tasks import rollout_guardrail_task
from tests.ai_prefill.rollout_helpers import arm_analysis, experiment, variant

pytestmark = pytest.mark.django_db

FAILED = Analysis.Status.FAILED


@pytest.fixture(autouse=True)
def limits(settings):
    settings.ROLLOUT_GUARDRAIL_MIN_SAMPLE = 20
    settings.ROLLOUT_GUARDRAIL_MAX_ERROR_RATE = 0.1
    settings.ROLLOUT_GUARDRAIL_MAX_COST_PER_POSTED = 0.01


@pytest.fixture
def running():
    return experiment((variant("control"), 90), (variant("candidate", model="gpt-4.1"), 10))


def analyses(running, name: str, count: int, **fields) -> None:
    for _ in range(count):
        arm_analysis(running, name, **fields)


def test_it_trips_on_the_candidates_error_rate_and_records_why(running, caplog):
    analyses(running, "control", 20)
    analyses(running, "candidate", 15)
    analyses(running, "candidate", 5, status=FAILED)

    with caplog.at_level(logging.WARNING, logger="ai_prefill.rollout.services"):
        trip = guardrail_check()

    assert trip.reasons == ["candidate: error rate 25.0% (5 of 20 finished analyses) is above the limit of 10.0%"]
    running.refresh_from_db()
    assert running.killed_at is not None
    change = running.changes.get()
    assert (change.action, change.by) == (ExperimentChange.Action.GUARDRAIL, None)
    assert change.reason == f"Guardrail: {trip.reasons[0]}."
    assert change.details["arms"]["candidate"] == {"finished": 20, "failed": 5, "posted": 0, "cost": "0"}
    assert "all traffic sent to the control" in caplog.text and "error rate 25.0%" in caplog.text
    assert {variant_assign(user_id=user_id).variant for user_id in range(100)} == {"control"}


def test_it_trips_on_the_cost_per_posted_listing(running):
    analyses(running, "candidate", 20, posted=True, cost="0.015")

    trip = guardrail_check()

    assert trip.reasons == ["candidate: cost per posted listing $0.0150 (20 posted) is above the limit of $0.0100"]


def test_an_arm_without_a_known_price_is_not_held_to_the_cost_limit(running):
    analyses(running, "candidate", 20, posted=True, cost=None)

    assert guardrail_check() is None


def test_a_handful_of_bad_samples_trips_nothing(running):
    analyses(running, "candidate", 19, status=FAILED, posted=True, cost="1")

    assert guardrail_check() is None
    running.refresh_from_db()
    assert running.killed_at is None
    assert not running.changes.exists()


def test_within_the_limits_nothing_happens(running):
    analyses(running, "candidate", 19, posted=True, cost="0.009")
    analyses(running, "candidate", 2, status=FAILED)  # 2 of 21 = 9.5%

    assert guardrail_check() is None


def test_an_outage_of_every_arm_is_not_the_candidates_fault(running):
    analyses(running, "control", 10)
    analyses(running, "control", 10, status=FAILED)
    analyses(running, "candidate", 12)
    analyses(running, "candidate", 8, status=FAILED)  # 40%, less than the control's 50%

    assert guardrail_check() is None


def test_the_periodic_task_trips_once_and_is_scheduled(running, settings):
    analyses(running, "candidate", 20, status=FAILED)

    first, second = rollout_guardrail_task(), rollout_guardrail_task()

    assert first and "error rate 100.0%" in first[0]
    assert second == []  # already on the control: nothing more to do or record
    assert running.changes.count() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["rollout-guardrail"]
    assert schedule["task"] == rollout_guardrail_task.name

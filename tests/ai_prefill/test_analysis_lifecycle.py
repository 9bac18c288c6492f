"""The analysis lifecycle through its services: start, run, finish, sweep. The model is the fake server."""

import io
import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.selectors import analysis_error
from ai_prefill.services import (
    AnalysisRateLimited,
    LeaseHeld,
    analysis_run,
    analysis_start,
    analysis_sweep_stale,
)
from core.errors import PhotoRejected
from marketplace.models import Category, Photo
from marketplace.services.photos import photo_delete_files
from tests.ai_prefill.llm_helpers import gps_exif, photo_jpeg, received_image
from tests.factories import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db

ANALYZE = "ai_prefill.tasks.analyze_task"


def start(user, **kwargs) -> Analysis:
    return analysis_start(user=user, uploads=[photo_upload(data=jpeg_bytes(800, 600))], **kwargs)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def age(analysis: Analysis, *, seconds: float, **fields) -> None:
    """Move an analysis back in time, as if it had been created (and claimed) that long ago."""
    past = timezone.now() - timedelta(seconds=seconds)
    Analysis.objects.filter(pk=analysis.pk).update(created_at=past, **fields)


# Starting


def test_it_stores_a_reencoded_photo_and_a_pending_analysis(seller, published_tasks):
    analysis = start(seller, session_key="abc")

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.PENDING
    assert analysis.user == seller
    assert analysis.session_key == "abc"
    assert analysis.photo.owner == seller
    assert analysis.photo.listing is None
    assert analysis.photo.image.name.endswith(".jpg")
    assert (analysis.photo.width, analysis.photo.height) == (800, 600)


def test_it_enqueues_the_analysis_id_only_after_commit(seller, published_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        analysis = start(seller)
        assert published_tasks() == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert published_tasks() == [(ANALYZE, [str(analysis.pk)])]


def test_it_never_enqueues_when_the_transaction_rolls_back(seller, published_tasks, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        start(seller)
        raise RuntimeError("the request failed after the upload")

    assert callbacks == []
    assert published_tasks() == []
    assert not Analysis.objects.exists()


def test_it_rejects_a_file_that_is_not_a_photo_and_stores_nothing(seller, published_tasks):
    with pytest.raises(PhotoRejected, match="not a photo we can read"):
        analysis_start(user=seller, uploads=[photo_upload(name="notes.jpg", data=b"just some text")])

    assert not Analysis.objects.exists()
    assert not Photo.objects.exists()


def test_it_limits_analyses_per_user_per_hour(seller, buyer, settings):
    settings.AI_ANALYSES_PER_HOUR = 2
    first = start(seller)
    start(seller)

    with pytest.raises(AnalysisRateLimited, match="2 photo suggestions in the last hour") as raised:
        start(seller)
    assert raised.value.status_code == 429
    assert Analysis.objects.filter(user=seller).count() == 2

    start(buyer)  # the limit is per user
    age(first, seconds=3601)
    start(seller)  # an hour later the oldest no longer counts


def test_it_keeps_the_upload_and_says_so_when_the_broker_is_down(
    seller, celery_broker, published_tasks, django_capture_on_commit_callbacks
):
    celery_broker(f"redis://127.0.0.1:{closed_port()}/5", {"socket_connect_timeout": 1})
    with django_capture_on_commit_callbacks(execute=True):
        analysis = start(seller)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.PENDING
    assert analysis.enqueue_failed_at is not None
    error = analysis_error(analysis=analysis)
    assert error.type == "queue_unavailable"
    assert error.message == "We couldn't start the suggestion; please fill in the form yourself."


def test_the_sweep_enqueues_refused_analyses_once_the_broker_is_back(
    seller, celery_broker, published_tasks, django_capture_on_commit_callbacks
):
    celery_broker(f"redis://127.0.0.1:{closed_port()}/5", {"socket_connect_timeout": 1})
    with django_capture_on_commit_callbacks(execute=True):
        analysis = start(seller)
    assert analysis_sweep_stale().requeued == 0  # still down: it stays marked for the next sweep
    assert Analysis.objects.get(pk=analysis.pk).enqueue_failed_at is not None

    celery_broker("memory://")
    result = analysis_sweep_stale()

    assert result.requeued == 1
    assert published_tasks() == [(ANALYZE, [str(analysis.pk)])]
    analysis.refresh_from_db()
    assert analysis.enqueue_failed_at is None
    assert analysis_error(analysis=analysis) is None


# Running


def test_it_stores_the_suggestion_from_the_model(seller, fake_openai, published_tasks):
    analysis = start(seller)

    assert analysis_run(analysis_id=analysis.pk) is None

    analysis.refresh_from_db()
    first_category = Category.objects.order_by("position", "name").first().slug
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.suggestion == {
        "title": "Red ceramic mug",
        "description": "Red mug, used a few times, no chips.",
        "category": first_category,
        "price": "6.50",
        "condition": "good",
    }
    assert analysis.attempts == 1
    assert (analysis.provider, analysis.model, analysis.api_style) == ("openai", "gpt-4o-mini", "responses")
    assert analysis.prompt_version
    assert analysis.started_at <= analysis.finished_at
    assert analysis.error_type == ""
    assert analysis_error(analysis=analysis) is None


def test_the_model_gets_the_medium_rendition_made_at_upload_without_the_photos_exif(seller, fake_openai):
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=photo_jpeg(6000, 4000, exif=gps_exif()))])

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    sent = received_image(fake_openai.last_request.body)
    assert sent == Path(analysis.photo.medium.path).read_bytes()  # sent as stored: the worker decodes nothing
    image = Image.open(io.BytesIO(sent))
    assert (image.format, image.size) == ("JPEG", (800, 534))
    assert not image.getexif()
    recorded = json.dumps(LLMCall.objects.get(analysis=analysis).request)
    assert analysis.photo.medium.name in recorded and "data:image" not in recorded  # the file sent, by name


def test_a_photo_stored_before_medium_renditions_is_downscaled_by_the_worker(seller, fake_openai):
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=photo_jpeg(6000, 4000, exif=gps_exif()))])
    analysis.photo.medium.delete(save=True)

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    image = Image.open(io.BytesIO(received_image(fake_openai.last_request.body)))
    assert image.format == "JPEG"
    assert 768 <= max(image.size) <= 1024
    assert not image.getexif()
    call = LLMCall.objects.get(analysis=analysis)
    assert call.attempt == 1
    assert len(fake_openai.requests) == 1


def test_it_stores_a_demo_suggestion_without_any_server(seller, settings):
    settings.AI_PROVIDER = "demo"
    analysis = start(seller)

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.provider == "demo"
    assert set(analysis.suggestion) >= {"title", "description", "category", "price", "condition"}


def test_running_an_analysis_twice_calls_the_model_once(seller, fake_openai):
    analysis = start(seller)

    analysis_run(analysis_id=analysis.pk)
    assert analysis_run(analysis_id=analysis.pk) is None  # a redelivery finds the stored result

    assert len(fake_openai.requests) == 1
    assert LLMCall.objects.filter(analysis=analysis).count() == 1
    assert Analysis.objects.get(pk=analysis.pk).status == Analysis.Status.SUCCEEDED


def test_it_leaves_an_analysis_alone_while_another_delivery_holds_its_lease(seller, fake_openai):
    analysis = start(seller)
    lease_expires_at = timezone.now() + timedelta(seconds=30)
    Analysis.objects.filter(pk=analysis.pk).update(
        status=Analysis.Status.RUNNING, started_at=timezone.now(), lease_expires_at=lease_expires_at
    )

    held = analysis_run(analysis_id=analysis.pk)

    assert isinstance(held, LeaseHeld)
    assert 25 < held.seconds_left <= 30
    assert fake_openai.requests == []
    assert Analysis.objects.get(pk=analysis.pk).status == Analysis.Status.RUNNING


def test_it_takes_over_an_analysis_whose_worker_died(seller, fake_openai):
    analysis = start(seller)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Analysis.objects.filter(pk=analysis.pk).update(
        status=Analysis.Status.RUNNING, started_at=an_hour_ago, lease_expires_at=an_hour_ago
    )

    assert analysis_run(analysis_id=analysis.pk) is None

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.started_at > an_hour_ago
    assert len(fake_openai.requests) == 1


def test_it_fails_with_the_model_layers_reason_after_its_retries(seller, fake_openai):
    fake_openai.script(["invalid_json", "invalid_json"])
    analysis = start(seller)

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.FAILED
    assert analysis.error_type == "invalid_output"
    assert analysis.error_message == "We couldn't suggest details for this photo. Please fill in the form yourself."
    assert analysis.attempts == 2
    assert analysis.suggestion is None
    assert analysis.finished_at is not None
    assert analysis.lease_expires_at is None
    assert LLMCall.objects.filter(analysis=analysis).count() == 2
    assert analysis_error(analysis=analysis).type == "invalid_output"


def test_it_fails_after_three_server_errors(seller, fake_openai):
    fake_openai.script(["500", "503", "500"])
    analysis = start(seller)

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert (analysis.status, analysis.error_type, analysis.attempts) == (Analysis.Status.FAILED, "server_error", 3)
    assert len(fake_openai.requests) == 3


def test_it_fails_cleanly_when_something_unexpected_breaks(seller, fake_openai, caplog):
    analysis = start(seller)
    photo_delete_files(analysis.photo)  # the stored photo went missing

    analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.FAILED
    assert analysis.error_type == "internal_error"
    assert "fill in the form yourself" in analysis.error_message
    assert analysis.finished_at is not None
    assert fake_openai.requests == []
    assert "failed unexpectedly" in caplog.text


def test_it_ignores_an_unknown_analysis_id(db, fake_openai):
    assert analysis_run(analysis_id="6f1c7a52-30f3-4b4e-9a59-2f5d0c6a1e11") is None
    assert fake_openai.requests == []


# The sweep


def test_the_sweep_fails_analyses_stuck_pending_or_running(seller, settings):
    settings.AI_STALE_AFTER_SECONDS = 300
    lost = start(seller)  # enqueued, but no worker ever took it
    age(lost, seconds=301)
    dead = start(seller)  # a worker took it and died; its lease ran out
    age(dead, seconds=400, status=Analysis.Status.RUNNING, started_at=timezone.now() - timedelta(seconds=350))
    Analysis.objects.filter(pk=dead.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    refused = start(seller)  # the broker refused it and never came back
    age(refused, seconds=301, enqueue_failed_at=timezone.now() - timedelta(seconds=300))

    result = analysis_sweep_stale()

    assert result.timed_out == 3
    for analysis in (lost, dead, refused):
        analysis.refresh_from_db()
        assert analysis.status == Analysis.Status.FAILED
        assert analysis.finished_at is not None
    assert (lost.error_type, dead.error_type, refused.error_type) == ("timed_out", "timed_out", "queue_unavailable")
    assert lost.error_message == "The suggestion took too long; please fill in the form yourself."


def test_the_sweep_spares_young_finished_and_live_analyses(seller, settings):
    settings.AI_STALE_AFTER_SECONDS = 300
    young = start(seller)
    age(young, seconds=299)
    done = start(seller)
    age(done, seconds=3600, status=Analysis.Status.SUCCEEDED, suggestion={"title": "Mug"})
    live = start(seller)  # old, but its worker still holds a valid lease
    age(live, seconds=400, status=Analysis.Status.RUNNING, started_at=timezone.now() - timedelta(seconds=350))
    Analysis.objects.filter(pk=live.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=30))

    assert analysis_sweep_stale().timed_out == 0

    statuses = dict(Analysis.objects.values_list("pk", "status"))
    assert statuses == {young.pk: "pending", done.pk: "succeeded", live.pk: "running"}


def test_the_page_stops_waiting_once_the_time_budget_is_spent(seller, settings):
    settings.AI_TIMEOUT_SECONDS = 1
    settings.AI_RETRY_MAX_SECONDS = 1
    settings.AI_RETRY_AFTER_MAX_SECONDS = 1
    analysis = start(seller)
    assert analysis_error(analysis=analysis) is None

    age(analysis, seconds=60)
    analysis.refresh_from_db()

    assert analysis.status == Analysis.Status.PENDING
    assert analysis_error(analysis=analysis).type == "timed_out"

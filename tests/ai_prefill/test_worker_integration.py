"""Real Redis and real Celery workers, from upload to suggestion; the model is the fake server.

Run with CELERY_BROKER_URL=redis://… (and DATABASE_URL=postgres://… for the tests that run workers
as separate processes, which must see the test database); skipped without, failed under
TROVA_REQUIRE_SERVICES=1.
"""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import translation

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import analysis_start
from config.celery import app
from tests.conftest import require_service
from tests.factories import jpeg_bytes, photo_upload

# Workers see only committed rows, so these tests commit.
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_categories"),
]

ROOT = Path(__file__).resolve().parents[2]
FINISHED = (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker(celery_broker):
    url = settings.TROVA_TEST_BROKER_URL
    require_service(url.startswith("redis://") and _redis_up(url), "Redis (CELERY_BROKER_URL=redis://…)")
    celery_broker(url, {"visibility_timeout": 10, "unacked_restore_interval": 1, "unacked_restore_throttle": 1})
    _forget_queued_tasks(url)
    yield url
    _forget_queued_tasks(url)


def _forget_queued_tasks(url: str) -> None:
    # Only what kombu keeps for the default queue: tasks left over from an earlier run must not leak in.
    redis.Redis.from_url(url).delete(app.conf.task_default_queue, "unacked", "unacked_index")


def wait_for(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"Gave up after {seconds} s waiting for {what}.")


def finished(analysis_id) -> Analysis | None:
    return Analysis.objects.filter(pk=analysis_id, status__in=FINISHED).first()


def test_a_worker_turns_an_uploaded_photo_into_a_suggestion(client, seller, redis_broker, fake_openai):
    fake_openai.latency = 0.2
    client.force_login(seller)

    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING"):
        response = client.post("/api/analyses", {"image": photo_upload(data=jpeg_bytes(1200, 900))})
        assert response.status_code == 202
        analysis_id = response.json()["id"]
        wait_for(lambda: finished(analysis_id), seconds=30, what="the worker to finish the analysis")

    body = client.get(f"/api/analyses/{analysis_id}").json()
    assert body["status"] == "succeeded"
    assert body["suggestion"]["title"] == "Red ceramic mug"
    assert body["error"] is None
    assert len(fake_openai.requests) == 1
    assert LLMCall.objects.filter(analysis_id=analysis_id).count() == 1


@pytest.mark.parametrize("api_style", ["responses", "chat"])
def test_a_worker_analyses_with_gpt_6_luna_and_records_what_it_was_billed(
    client, seller, redis_broker, fake_openai, settings, api_style
):
    # The worker thread reads these settings: the same process, as in the test above.
    settings.AI_MODEL, settings.AI_API_STYLE = "gpt-6-luna", api_style
    fake_openai.cached_input_tokens = 512
    client.force_login(seller)

    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING"):
        response = client.post("/api/analyses", {"image": photo_upload(data=jpeg_bytes(1200, 900))})
        analysis_id = response.json()["id"]
        wait_for(lambda: finished(analysis_id), seconds=30, what="the worker to finish the analysis")

    assert client.get(f"/api/analyses/{analysis_id}").json()["status"] == "succeeded"
    body = fake_openai.last_request.body
    assert body["model"] == "gpt-6-luna" and "temperature" not in body and "max_tokens" not in body
    call = LLMCall.objects.get(analysis_id=analysis_id)
    reasoning = fake_openai.reasoning_tokens["medium"]  # prefill-v1 sets no effort: the model's default
    assert (call.model, call.cached_input_tokens, call.reasoning_tokens) == ("gpt-6-luna", 512, reasoning)
    # gpt-6-luna: $0.10 per million input, $0.01 cached, $0.50 output, the reasoning counted as output.
    expected = Decimal(850 - 512) * Decimal("0.10") + 512 * Decimal("0.01") + (60 + reasoning) * Decimal("0.50")
    assert call.cost == (expected / 1_000_000).quantize(Decimal("0.000001"))


def test_an_italian_seller_gets_an_italian_suggestion_with_attributes(
    client, seller, redis_broker, fake_openai, settings
):
    import_module("marketplace.migrations.0014_category_attributes").seed(apps, None)
    settings.AI_MODEL, settings.AI_PROMPT_VERSION, settings.AI_STREAM = "gpt-6-luna", "prefill-v4", True
    fake_openai.answer = {"category": "electronics", "attributes": {"brand": "Sony", "colour": "black"}}
    client.force_login(seller)

    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING"):
        # The seller's active language, as the request's LocaleMiddleware sets it.
        with translation.override("it"):
            analysis = analysis_start(user=seller, uploads=[photo_upload(data=jpeg_bytes(1200, 900))])
        wait_for(lambda: finished(analysis.pk), seconds=30, what="the worker to finish the analysis")

    body = client.get(f"/api/analyses/{analysis.pk}").json()
    assert (body["status"], body["language"]) == ("succeeded", "it")
    suggestion = body["suggestion"]
    assert suggestion["title"] == "Tazza in ceramica rossa"
    assert suggestion["description"] == "Tazza rossa, usata poche volte, senza scheggiature."
    assert suggestion["attributes"] == {"brand": "Sony", "model": None, "colour": "black"}
    assert suggestion["language"] == "it" and suggestion["category_candidates"][0] == "electronics"
    instructions = fake_openai.last_request.body["instructions"]
    assert "in Italian" in instructions and "  - electronics: Elettronica" in instructions


# A worker killed while the model is thinking


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_environment(broker_url: str, fake_openai, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "worker-under-test",
        "DATABASE_URL": _database_url(),  # the test database, which this test commits to
        "DATABASE_CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TROVA_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": "10",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": fake_openai.base_url,
        "OPENAI_API_KEY": "",
        # A short time budget keeps the lease, and so the takeover, about 20 s away.
        "AI_TIMEOUT_SECONDS": "2",
        "AI_RETRY_BASE_SECONDS": "0.01",
        "AI_RETRY_MAX_SECONDS": "0.01",
        "AI_RETRY_AFTER_MAX_SECONDS": "0.01",
    }


def _start_worker_process(pool: str, environment: dict, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool, "--loglevel", "INFO"]
    command += ["--concurrency", "4" if pool == "threads" else "1", "--without-mingle", "--without-gossip"]
    log = log_path.open("ab")
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize(
    "pool",
    [
        "threads",  # the whole worker process dies; Redis hands its unacknowledged task to another worker
        "prefork",  # the pool's child dies; reject_on_worker_lost puts the task back at once
    ],
)
def test_an_analysis_survives_a_worker_killed_mid_call(seller, redis_broker, fake_openai, tmp_path, pool):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    environment = _worker_environment(redis_broker, fake_openai, tmp_path)
    log_path = tmp_path / "workers.log"
    fake_openai.latency = 1.5  # the first call is in flight long enough to be cut off
    analysis = analysis_start(user=seller, uploads=[photo_upload()])  # no test transaction: enqueued now

    workers = [_start_worker_process(pool, environment, log_path)]
    try:
        wait_for(lambda: fake_openai.requests, seconds=60, what=f"the first worker to call the model\n{log_path}")
        fake_openai.latency = 0.1
        if pool == "threads":
            workers[0].kill()
            workers[0].wait()
            workers.append(_start_worker_process(pool, environment, log_path))
        else:
            for child in _children(workers[0].pid):
                os.kill(child, signal.SIGKILL)
        assert Analysis.objects.get(pk=analysis.pk).status == Analysis.Status.RUNNING  # nobody is on it now

        done = wait_for(lambda: finished(analysis.pk), seconds=90, what=f"another worker to finish\n{log_path}")
    finally:
        for worker in workers:
            _stop(worker)

    assert done.status == Analysis.Status.SUCCEEDED, log_path.read_text()[-3000:]
    assert done.suggestion["title"] == "Red ceramic mug"
    # Charged at most twice: the call that was cut off, and the one that finished. Never a third.
    assert len(fake_openai.requests) == 2
    assert LLMCall.objects.filter(analysis=analysis).count() == 1  # the killed call was never recorded
    assert done.attempts == 1

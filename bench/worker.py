"""Worker throughput and pipeline overhead: one real worker process, Redis, PostgreSQL, the fake model.

The worker runs with the recommended command (config/celery.py: threads pool), against a throwaway
database created for the run and the fake OpenAI server answering after a fixed delay. Give it a
Redis database of its own (redis://…/N): any other worker on the same one would take its tasks.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from ai_prefill.models import Analysis
from ai_prefill.services import analysis_enqueue
from bench.preprocess import phone_photo
from bench.report import percentile, report, skipped
from marketplace.models import User
from marketplace.services.photos import make_renditions, photo_create
from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
# The recommended worker command (config/celery.py); the benchmark checks what it promises.
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "200"))
WORKER_COMMAND = ["-m", "celery", "-A", "config", "worker", "--pool", "threads", "--concurrency", str(CONCURRENCY)]
MODEL_SECONDS = 2.0
THROUGHPUT_WAVES = 6  # analyses = waves x concurrency, so the ramp-up and the tail weigh little
OVERHEAD_SAMPLES = 60
# Not counted: a process's first request loads code and fills caches (~100 ms more), which says nothing
# about the overhead of the uploads after it.
OVERHEAD_WARMUP = 2
OVERHEAD_MODEL_SECONDS = 1.0


def run() -> None:
    names = ("worker_throughput", "upload_to_suggestion_overhead_p95")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not broker_url.startswith(("redis://", "rediss://")) or connection.vendor != "postgresql":
        for name in names:
            skipped(name, "needs CELERY_BROKER_URL=redis://… and DATABASE_URL=postgres://…")
        return
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
        original_database = _create_bench_database()
    except Exception as error:
        for name in names:
            skipped(name, f"Redis or PostgreSQL is not reachable: {error}")
        return

    try:
        with FakeOpenAI(latency=MODEL_SECONDS) as fake, tempfile.TemporaryDirectory() as scratch:
            user = User.objects.create_user(username="bench", password="bench-password-unused")
            with _worker_process(fake, Path(scratch)) as worker_log:
                _throughput(user, fake, worker_log)
                _overhead(user, fake, worker_log)
    finally:
        connection.creation.destroy_test_db(original_database, verbosity=0)


def _throughput(user: User, fake: FakeOpenAI, worker_log: Path) -> None:
    count = THROUGHPUT_WAVES * CONCURRENCY
    fake.latency = MODEL_SECONDS
    upload = SimpleUploadedFile("photo.jpg", phone_photo(), content_type="image/jpeg")
    photo = photo_create(owner=user, renditions=make_renditions(upload))
    # The web side is not under test here: rows and messages are made directly, all queued at once.
    analyses = Analysis.objects.bulk_create([Analysis(user=user, photo=photo) for _ in range(count)])
    fake.reset()
    for analysis in analyses:
        analysis_enqueue(analysis_id=analysis.pk)
    rows = _wait_until_finished([analysis.pk for analysis in analyses], seconds=count * MODEL_SECONDS, log=worker_log)

    succeeded = [row for row in rows if row["status"] == Analysis.Status.SUCCEEDED]
    elapsed = (max(row["finished_at"] for row in rows) - min(row["started_at"] for row in rows)).total_seconds()
    limit = CONCURRENCY / MODEL_SECONDS
    rate = len(succeeded) / elapsed
    goal = f">= 50/s; {count} analyses, the model answers after {MODEL_SECONDS:g} s"
    report("worker_throughput", rate, "analyses/s", goal)
    report(
        "worker_throughput_vs_limit",
        100 * rate / limit,
        "%",
        f"close to 100; physical limit {limit:g}/s = {CONCURRENCY} in flight / {MODEL_SECONDS:g} s",
    )
    report("worker_max_calls_in_flight", fake.max_in_flight, "calls", f"{CONCURRENCY}", digits=0)
    report("worker_failed_analyses", count - len(succeeded), "analyses", "0", digits=0)


def _overhead(user: User, fake: FakeOpenAI, worker_log: Path) -> None:
    fake.latency = OVERHEAD_MODEL_SECONDS
    photo = phone_photo()  # a 12-megapixel phone photo, uploaded through the API as a seller would
    client = Client()
    client.force_login(user)
    uploads, after_uploads, totals = [], [], []
    for sample in range(-OVERHEAD_WARMUP, OVERHEAD_SAMPLES):
        started_at = timezone.now()
        response = client.post(
            "/api/analyses", {"image": SimpleUploadedFile("photo.jpg", photo, "image/jpeg")}, secure=True
        )
        stored_at = timezone.now()
        assert response.status_code == 202, response.content
        (row,) = _wait_until_finished([response.json()["id"]], seconds=30, log=worker_log)
        assert row["status"] == Analysis.Status.SUCCEEDED, row
        if sample < 0:
            continue
        uploads.append((stored_at - started_at).total_seconds())
        after_uploads.append((row["finished_at"] - stored_at).total_seconds() - OVERHEAD_MODEL_SECONDS)
        totals.append((row["finished_at"] - started_at).total_seconds() - OVERHEAD_MODEL_SECONDS)
    runs = f"{OVERHEAD_SAMPLES} runs after {OVERHEAD_WARMUP} to warm up, the model's {OVERHEAD_MODEL_SECONDS:g} s out"
    report("upload_request_p95", percentile(uploads, 0.95) * 1000, "ms", "none; POST /api/analyses, 12 MP photo")
    report("queued_to_suggestion_overhead_p95", percentile(after_uploads, 0.95) * 1000, "ms", f"none; {runs}")
    report("upload_to_suggestion_overhead_p50", percentile(totals, 0.5) * 1000, "ms", "none")
    report("upload_to_suggestion_overhead_p95", percentile(totals, 0.95) * 1000, "ms", f"< 150 ms; {runs}")


def _wait_until_finished(ids: list, *, seconds: float, log: Path) -> list[dict]:
    deadline = time.monotonic() + seconds
    finished = (Analysis.Status.SUCCEEDED, Analysis.Status.FAILED)
    while time.monotonic() < deadline:
        rows = list(Analysis.objects.filter(pk__in=ids).values("status", "started_at", "finished_at"))
        if all(row["status"] in finished for row in rows):
            return rows
        time.sleep(0.005 if len(ids) == 1 else 0.5)
    raise SystemExit(f"The worker did not finish {len(ids)} analyses in {seconds:g} s; see {log}")


def _create_bench_database() -> str:
    """A database of its own for the run, migrated; returns the name to go back to when dropping it."""
    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True)


@contextmanager
def _worker_process(fake: FakeOpenAI, scratch: Path):
    log = scratch / "worker.log"
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "",
        "LOG_LEVEL": "INFO",
    }
    with log.open("ab") as output:
        worker = subprocess.Popen(
            [sys.executable, *WORKER_COMMAND, "--loglevel", "INFO"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

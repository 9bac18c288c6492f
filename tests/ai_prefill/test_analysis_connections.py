"""A worker thread waiting on the model holds no database connection (PostgreSQL allows 100 in all)."""

import threading
import time

import pytest
from django.db import connection

from ai_prefill.models import Analysis
from ai_prefill.services import analysis_run, analysis_start
from tests.conftest import require_service
from tests.factories import photo_upload

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_categories"),
]


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_no_connection_is_held_while_the_model_thinks(seller, fake_openai):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    analysis = analysis_start(user=seller, uploads=[photo_upload()])
    fake_openai.latency = 1.5
    worker = threading.Thread(target=analysis_run, kwargs={"analysis_id": analysis.pk})

    worker.start()
    deadline = time.monotonic() + 10
    while not fake_openai.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    in_flight = bool(fake_openai.requests) and fake_openai.in_flight == 1
    connections_while_waiting = other_connections()
    worker.join()

    assert in_flight
    assert connections_while_waiting == 0
    assert Analysis.objects.get(pk=analysis.pk).status == Analysis.Status.SUCCEEDED
    # Nor after it finished (a closed connection's server process takes a moment to leave the list).
    deadline = time.monotonic() + 5
    while other_connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_connections() == 0

import io
import json
import logging
import logging.config
import os
import shutil

import pytest
from django.conf import settings as django_settings
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from config.logging import JsonFormatter
from tests.factories import UserFactory

REQUIRE_SERVICES = os.environ.get("TROVA_REQUIRE_SERVICES") == "1"


def require_service(available: bool, what: str) -> None:
    """Skip a test that needs a service which is not here, unless CI demands every service."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (TROVA_REQUIRE_SERVICES=1) but not available.")
    pytest.skip(f"{what} is not available here; set it up and TROVA_REQUIRE_SERVICES=1 to run this test.")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate-limit counters and cached snapshots do not carry over."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def fake_openai(settings):
    """A fake OpenAI server on loopback, with the pre-fill pointed at it and retry waits made tiny."""
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        settings.AI_PROVIDER = "openai"
        # The machinery tests (retries, records, assignment, evals) are written against a classic model and
        # its prompt, whose numbers they spell out; the default reasoning model has its own tests
        # (tests/ai_prefill/test_current_models.py, test_worker_integration.py).
        settings.AI_MODEL, settings.AI_PROMPT_VERSION = "gpt-4o-mini", "prefill-v1"
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = ""
        settings.AI_TIMEOUT_SECONDS = 5
        settings.AI_RETRY_BASE_SECONDS = 0.001
        settings.AI_RETRY_MAX_SECONDS = 0.01
        settings.AI_RETRY_AFTER_MAX_SECONDS = 1
        yield server


@pytest.fixture
def seller(db):
    return UserFactory(username="seller", display_name="Sam Seller")


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer", display_name="Bea Buyer")


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def published_tasks():
    """Drain what was published to the in-memory broker (test settings): [(task name, args), ...]."""
    from config.celery import app

    def drain() -> list[tuple[str, list]]:
        published = []
        with app.connection_for_write() as connection, connection.SimpleQueue(app.conf.task_default_queue) as queue:
            while queue.qsize():
                message = queue.get_nowait()
                assert message.content_type == "application/json"
                published.append((message.headers["task"], message.payload[0]))
                message.ack()
        return published

    drain()
    return drain


@pytest.fixture
def celery_broker():
    """Point the Celery app at another broker for one test: celery_broker(url, transport_options)."""
    from config.celery import app

    original = (app.conf.broker_url, app.conf.broker_transport_options)

    def point(url: str, transport_options: dict | None = None) -> None:
        # Both spellings: Celery 5.6 looks the CELERY_-prefixed name (the Django setting) up first.
        app.conf.update(
            broker_url=url,
            CELERY_BROKER_URL=url,
            broker_transport_options=transport_options or {},
            CELERY_BROKER_TRANSPORT_OPTIONS=transport_options or {},
        )
        # The app caches its connection and producer pools; the next publish builds them for this URL.
        app._pool = None
        app.amqp._producer_pool = None

    yield point
    point(*original)


@pytest.fixture
def seeded_categories(db):
    """The categories from the seed migrations, again: a transactional test's flush empties every table. 0014 adds
    their item details and their Italian names."""
    from importlib import import_module

    from django.apps import apps

    import_module("marketplace.migrations.0002_seed_categories").seed(apps, None)
    import_module("marketplace.migrations.0014_category_attributes").seed(apps, None)


_exporter = InMemorySpanExporter()


@pytest.fixture
def spans():
    # The global provider can be set once per process; the exporter is emptied for each test.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        trace.set_tracer_provider(provider)
    _exporter.clear()
    return _exporter.get_finished_spans


@pytest.fixture
def log_lines():
    """The lines the configured console handler writes (JSON: the tests run with DEBUG off)."""
    # A Celery worker started by an earlier test may have replaced the root handlers: configure afresh.
    logging.config.dictConfig(django_settings.LOGGING)
    handler = next(handler for handler in logging.getLogger().handlers if isinstance(handler.formatter, JsonFormatter))
    stream = io.StringIO()
    original = handler.setStream(stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    handler.setStream(original)

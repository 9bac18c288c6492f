"""Request ids and structured logs: from the request through the worker, every line about an analysis
carries the analysis id, the request id and the variant."""

import logging
import uuid

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from ai_prefill.llm import default_model_config, prefill_suggest
from ai_prefill.models import LLMCall
from config.logging import ReadableFormatter
from core.context import LogContextFilter, current_log_context, log_context
from tests.ai_prefill.llm_helpers import photo_jpeg

# Request ids


@pytest.mark.django_db
def test_it_gives_every_response_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert uuid.UUID(first) and uuid.UUID(second)
    assert first != second


@pytest.mark.django_db
def test_it_keeps_a_sane_incoming_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c.42"})

    assert response["X-Request-ID"] == "lb-7f3a9c.42"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "a b", "x" * 200, "id\nforged log line", '"><script>'])
def test_it_replaces_an_incoming_request_id_that_is_not_sane(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert uuid.UUID(response["X-Request-ID"])


@pytest.mark.django_db
def test_the_request_id_is_on_the_requests_log_lines(client, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "req-123"})

    access = [line for line in log_lines() if line["logger"] == "trova.http"]
    assert response["X-Request-ID"] == "req-123"
    assert access == [
        {
            "time": access[0]["time"],
            "level": "INFO",
            "logger": "trova.http",
            "message": "GET /healthz 200",
            "request_id": "req-123",
            "route": "monitoring:healthz",
            "status": 200,
            "duration_ms": access[0]["duration_ms"],
        }
    ]


# The log context


def test_log_lines_carry_the_context_they_are_written_in(log_lines):
    logger = logging.getLogger("trova.test")
    with log_context(request_id="r1", variant="b"):
        with log_context(analysis_id="a1"):
            logger.warning("inside, with %s", "details", extra={"attempt": 2})
        logger.warning("outer")
    logger.warning("outside")

    inner, outer, outside = log_lines()
    assert inner["message"] == "inside, with details"
    assert (inner["request_id"], inner["analysis_id"], inner["variant"], inner["attempt"]) == ("r1", "a1", "b", 2)
    assert (outer["request_id"], outer["variant"]) == ("r1", "b")
    assert "analysis_id" not in outer
    assert "request_id" not in outside
    assert current_log_context() == {}


def test_json_lines_include_the_traceback(log_lines):
    try:
        raise ValueError("bad value")
    except ValueError:
        logging.getLogger("trova.test").exception("It broke")

    (line,) = log_lines()
    assert line["level"] == "ERROR"
    assert "ValueError: bad value" in line["exception"]


def test_the_readable_format_shows_the_context_after_the_message():
    record = logging.makeLogRecord({"name": "trova.test", "levelname": "INFO", "msg": "Analysis done"})
    with log_context(request_id="r9", analysis_id="a9"):
        LogContextFilter().filter(record)

    line = ReadableFormatter().format(record)

    assert line.endswith("INFO    trova.test Analysis done [request_id=r9 analysis_id=a9]")


def test_the_log_format_follows_debug_unless_set(monkeypatch):
    from importlib import reload

    import config.settings.base as base

    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert reload(base).LOGGING["handlers"]["console"]["formatter"] == "readable"
    monkeypatch.setenv("DEBUG", "0")
    assert reload(base).LOGGING["handlers"]["console"]["formatter"] == "json"
    monkeypatch.setenv("LOG_FORMAT", "text")
    assert reload(base).LOGGING["handlers"]["console"]["formatter"] == "readable"


# Through the worker


@pytest.fixture(scope="module")
def running_worker():
    """A real Celery worker (thread pool, in-memory broker) running one task that logs about an analysis."""
    app = Celery("log-context-test", broker="memory://", backend="cache+memory://")
    app.conf.task_serializer = "json"
    app.conf.accept_content = ["json"]
    seen: dict = {}

    @app.task(name="log_context_test.analyse")
    def analyse(analysis_id: str) -> str:
        with log_context(analysis_id=analysis_id):
            logging.getLogger("trova.worker_test").info("Analysing")
        seen["context"] = current_log_context()
        return "done"

    with start_worker(app, perform_ping_check=False, pool="threads", concurrency=1, loglevel="WARNING"):
        yield analyse, seen


@pytest.fixture
def worker_app(running_worker):
    running_worker[1].clear()
    return running_worker


def test_the_request_id_and_variant_travel_with_the_task_to_the_worker(worker_app, log_lines):
    analyse, seen = worker_app

    with log_context(request_id="upload-77", variant="b"):
        result = analyse.delay("analysis-5")
    assert result.get(timeout=10) == "done"

    lines = [line for line in log_lines() if line["logger"] == "trova.worker_test"]
    assert [(line["request_id"], line["analysis_id"], line["variant"]) for line in lines] == [
        ("upload-77", "analysis-5", "b")
    ]
    assert seen["context"] == {"request_id": "upload-77", "variant": "b"}


def test_a_task_published_outside_any_context_logs_without_one(worker_app, log_lines):
    analyse, seen = worker_app

    assert analyse.delay("analysis-6").get(timeout=10) == "done"

    (line,) = [line for line in log_lines() if line["logger"] == "trova.worker_test"]
    assert line["analysis_id"] == "analysis-6"
    assert "request_id" not in line
    assert seen["context"] == {}


def test_celery_keeps_the_django_logging_configuration():
    """Celery empties the root logger's handlers at worker start unless someone answers setup_logging."""
    handlers = list(logging.getLogger().handlers)

    Celery("logging-test").log.setup_logging_subsystem(loglevel="INFO")

    assert logging.getLogger().handlers == handlers


@pytest.mark.django_db
def test_a_model_call_leaves_no_http_client_line(fake_openai, log_lines):
    """Each model call is an LLMCall row; the SDK's HTTP client would add an INFO line per request as well."""
    prefill_suggest(images=[photo_jpeg()], config=default_model_config(), image_refs=["photos/x.jpg"])

    assert len(fake_openai.requests) == 1
    assert LLMCall.objects.count() == 1
    assert [line for line in log_lines() if line["logger"].startswith(("httpx", "httpcore"))] == []

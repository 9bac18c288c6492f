"""OpenTelemetry spans for LLM calls, with the GenAI semantic-convention attribute names."""

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from core.context import log_context
from core.tracing import llm_span


class APITimeoutError(Exception):
    pass


def test_it_records_a_model_call_with_genai_attributes(spans):
    with (
        log_context(request_id="req-1", analysis_id="an-1", variant="b"),
        llm_span(provider="openai", request_model="gpt-4o-mini", api_style="responses", attempt=2) as span,
    ):
        span.record_response(model="gpt-4o-mini-2024-07-18", input_tokens=812, output_tokens=64, response_id="resp_1")

    (recorded,) = spans()
    assert recorded.name == "chat gpt-4o-mini"
    assert recorded.kind == SpanKind.CLIENT
    assert recorded.status.status_code == StatusCode.UNSET
    assert dict(recorded.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "resp_1",
        "gen_ai.usage.input_tokens": 812,
        "gen_ai.usage.output_tokens": 64,
        "trova.api_style": "responses",
        "trova.attempt": 2,
        "trova.request_id": "req-1",
        "trova.analysis_id": "an-1",
        "trova.variant": "b",
    }


def test_an_exception_marks_the_span_failed_with_its_type(spans):
    with pytest.raises(APITimeoutError), llm_span(provider="openai", request_model="gpt-4o-mini"):
        raise APITimeoutError("Request timed out.")

    (recorded,) = spans()
    assert recorded.status.status_code == StatusCode.ERROR
    assert recorded.attributes["error.type"] == "APITimeoutError"
    assert [event.name for event in recorded.events] == ["exception"]


def test_a_handled_failure_is_recorded_with_the_callers_error_type(spans):
    with llm_span(provider="openai", request_model="gpt-4o-mini") as span:
        span.record_response(input_tokens=700, output_tokens=12)
        span.record_error("refusal", "The model refused.")

    (recorded,) = spans()
    assert recorded.status.status_code == StatusCode.ERROR
    assert recorded.status.description == "The model refused."
    assert recorded.attributes["error.type"] == "refusal"
    assert recorded.attributes["gen_ai.usage.input_tokens"] == 700


def test_nothing_is_exported_without_an_otlp_endpoint(monkeypatch):
    """Without OTEL_EXPORTER_OTLP_ENDPOINT the exporter is never installed (checked in a fresh process,
    where no test provider is set)."""
    import subprocess
    import sys

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    code = (
        "from opentelemetry import trace\n"
        "from core.tracing import llm_span\n"
        "with llm_span(provider='openai', request_model='m') as span: recording = span.span.is_recording()\n"
        "print(type(trace.get_tracer_provider()).__name__, recording)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.split() == ["ProxyTracerProvider", "False"]


def test_an_otlp_endpoint_installs_the_exporter(monkeypatch):
    import subprocess
    import sys

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    # Nothing is exported during this short run, and os._exit skips the exit-time flush to the closed port.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")
    code = (
        "from opentelemetry import trace\n"
        "from core.tracing import llm_span\n"
        "with llm_span(provider='openai', request_model='m') as span: recording = span.span.is_recording()\n"
        "provider = trace.get_tracer_provider()\n"
        "print(type(provider).__name__, provider.resource.attributes['service.name'], recording, flush=True)\n"
        "import os; os._exit(0)\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert output.split() == ["TracerProvider", "trova", "True"]

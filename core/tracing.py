"""OpenTelemetry spans for LLM calls, named with the GenAI semantic conventions so that Langfuse, Phoenix
or any OTLP collector shows them as model calls.

Spans leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
set; the OTLP/HTTP exporter reads its other settings from the standard variables (OTEL_EXPORTER_OTLP_HEADERS
for an API key, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). Without an endpoint no tracer provider is
installed and a span costs next to nothing.
"""

import contextlib
import os
import threading
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from core.context import current_log_context

_configure_lock = threading.Lock()
_configured = False


def tracing_configure() -> None:
    """Install the OTLP exporter once per process when an endpoint is configured."""
    global _configured
    with _configure_lock:
        if _configured:
            return
        _configured = True
        if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
            return
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "trova"}
        provider = TracerProvider(resource=Resource.create(attributes))
        # The batch processor re-creates its export thread after a fork, so prefork workers are fine.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)


class LLMSpan:
    """What the caller learns during the call: the answer's model and usage, or how it failed."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self.error_type = ""

    def record_response(
        self,
        *,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        response_id: str | None = None,
        finish_reasons: list[str] | None = None,
    ) -> None:
        attributes = {
            "gen_ai.response.model": model,
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
            "gen_ai.response.id": response_id,
            "gen_ai.response.finish_reasons": finish_reasons,
        }
        self.span.set_attributes({name: value for name, value in attributes.items() if value is not None})

    def record_error(self, error_type: str, message: str = "") -> None:
        """For a failure the caller handles without raising (a refusal, output that breaks the schema)."""
        self.error_type = error_type
        self.span.set_attribute("error.type", error_type)
        self.span.set_status(Status(StatusCode.ERROR, message or error_type))


@contextlib.contextmanager
def llm_span(
    *,
    provider: str,
    request_model: str,
    operation: str = "chat",
    api_style: str = "",
    attempt: int | None = None,
    prompt_version: str = "",
    server_address: str = "",
) -> Iterator[LLMSpan]:
    """A CLIENT span around one call to the model; an exception leaving the block marks it failed with
    error.type set to the exception's class name. The analysis id, variant and request id of the current
    log context are attached, so a trace can be matched to the logs and the admin record."""
    tracing_configure()
    attributes: dict[str, str | int] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        # The attribute name before semantic conventions 1.37, still what many backends read.
        "gen_ai.system": provider,
        "gen_ai.request.model": request_model,
    }
    optional = {
        "server.address": server_address,
        "trova.api_style": api_style,
        "trova.attempt": attempt,
        "trova.prompt_version": prompt_version,
        **{f"trova.{name}": value for name, value in current_log_context().items()},
    }
    attributes.update({name: value for name, value in optional.items() if value not in (None, "")})
    tracer = trace.get_tracer("trova.ai_prefill")
    with tracer.start_as_current_span(
        f"{operation} {request_model}", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        handle = LLMSpan(span)
        try:
            yield handle
        except Exception as exc:
            if not handle.error_type:
                span.set_attribute("error.type", type(exc).__qualname__)
            raise

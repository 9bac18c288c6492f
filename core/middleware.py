"""Request id and request metrics: the outermost middleware, so every line and every response carries them."""

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

from core.context import log_context
from core.metrics import observe_http_request

REQUEST_ID_HEADER = "X-Request-ID"
# A load balancer's or client's id is kept when it looks like an id; anything else could forge log lines.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

access_logger = logging.getLogger("trova.http")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with log_context(request_id=request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestMetricsMiddleware:
    """Counts and times each request by route name (never the raw path, which would explode the labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        match = request.resolver_match
        route = (match.view_name or match.route) if match else "unmatched"
        observe_http_request(method=request.method, route=route, status=response.status_code, seconds=seconds)
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={"route": route, "status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
        )
        return response

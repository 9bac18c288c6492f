"""The error answers. 500: a database that cannot be reached (a restart, a failover) is a 503 that says so. 404:
the site's own page, in development too. Under /api/ every one of them, 404 and 405 included, is JSON
{"detail": sentence} like the rest of the API."""

import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

UNAVAILABLE_SENTENCE = _("Trova can't reach its database right now. Please try again in a minute.")
FAILED_SENTENCE = _("Something went wrong on our side. Please try again in a moment.")
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler while the exception is being handled, so it is still at hand here.
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE_SENTENCE if unavailable else FAILED_SENTENCE}, status=status)
    else:
        # No request context, as Django's own handler: context processors would query the database again.
        response = HttpResponse(loader.get_template(f"{status}.html").render(), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


NOT_FOUND_API_SENTENCE = _("There is nothing at this address. The API's endpoints are listed at /api/docs.")
# Developers who want Django's yellow debug page back (the URL patterns tried, the exception): DEBUG on and
# DEBUG_TECHNICAL_404=1, or ?technical_404 on the address.
TECHNICAL_404_QUERY = "technical_404"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under /api/, otherwise the site's 404 page (templates/404.html)."""
    if _is_api(request):
        return JsonResponse({"detail": NOT_FOUND_API_SENTENCE}, status=404)
    return defaults.page_not_found(request, exception or Http404())


def _method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    allowed = response.get("Allow", "")
    if allowed:
        sentence = gettext("This address does not accept %(method)s; use %(allowed)s.") % {
            "method": request.method,
            "allowed": allowed,
        }
    else:
        sentence = gettext("This address does not accept %(method)s.") % {"method": request.method}
    answer = JsonResponse({"detail": sentence}, status=405)
    if allowed:
        answer["Allow"] = allowed
    return answer


def _wants_technical_404(request: HttpRequest) -> bool:
    return settings.DEBUG and (settings.DEBUG_TECHNICAL_404 or TECHNICAL_404_QUERY in request.GET)


class ErrorPagesMiddleware:
    """What Django answers itself, before or around our views, brought in line with the site's error answers.

    - With DEBUG on Django shows its debug page for a 404, which is not what a person should judge the site by:
      the site's own page is shown instead (unless a developer asks for the debug one, see above).
    - Under /api/, a 405 (ninja's plain-text one) and an HTML 404 become JSON sentences.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if _is_api(request) and response.status_code == 405 and not is_json:
            return _method_not_allowed(request, response)
        # No URL matched (resolver_match stays unset): with DEBUG on, this 404 is Django's debug page (with it
        # off, Django already answered with handler404 above).
        unresolved = getattr(request, "resolver_match", None) is None
        if settings.DEBUG and response.status_code == 404 and unresolved and not _wants_technical_404(request):
            return page_not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A view's Http404 (a deleted listing): with DEBUG on Django would show its debug page for it.
        if isinstance(exception, Http404) and settings.DEBUG and not _wants_technical_404(request):
            return page_not_found(request, exception)
        return None

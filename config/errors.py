"""The 500 handler: a database that cannot be reached (a restart, a failover) is a 503 that says so, and the API
answers in JSON like the rest of it."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

UNAVAILABLE_SENTENCE = "Trova can't reach its database right now. Please try again in a minute."
FAILED_SENTENCE = "Something went wrong on our side. Please try again in a moment."
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

"""The one NinjaAPI instance; each app contributes a Router. Errors come back as {"detail": sentence}."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ai_prefill.api import router as analyses_router
from core.api import JsonOrFormParser
from core.errors import DomainError, with_retry_after
from feedback.api import router as feedback_router
from marketplace.api import router as marketplace_router

api = NinjaAPI(title="Trova API", version="1.0", urls_namespace="api", parser=JsonOrFormParser())


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return with_retry_after(api.create_response(request, {"detail": exc.message}, status=exc.status_code), exc)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # ninja answers "Cannot parse request body" when the parser raises; the parser's own sentence says why.
    if isinstance(exc.__cause__, DomainError):
        return domain_error(request, exc.__cause__)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


# A body with 200,000 wrong fields must not get an answer ten times its size: the answer lists the first few
# problems, each cut short, and says how many more there were.
MAX_ERRORS_LISTED = 20
MAX_ERROR_TEXT = 200


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


def _bounded_error(error: dict) -> dict:
    """One of pydantic's errors without the parts that grow with the request (the input, long names)."""
    bounded = {
        "type": error.get("type", ""),
        "loc": [_short(part) if isinstance(part, str) else part for part in error.get("loc", ())],
        "msg": _short(str(error.get("msg", "is not valid"))),
    }
    value = error.get("input")
    if isinstance(value, bool | int | float) or value is None:
        bounded["input"] = value
    elif isinstance(value, str):
        bounded["input"] = _short(value)
    return bounded


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """Pydantic's errors turned into one readable sentence, with the (first few) details kept for programs."""
    errors = [_bounded_error(error) for error in exc.errors[:MAX_ERRORS_LISTED]]
    parts = []
    for error in errors:
        field = ".".join(str(part) for part in error["loc"][1:] if part != "__root__") or "request"
        # Our own validators' sentences come without pydantic's "Value error, " prefix.
        parts.append(f"{field}: {error['msg'].removeprefix('Value error, ')}")
    more = len(exc.errors) - len(errors)
    detail = "Please check the request. " + "; ".join(parts) + (f"; and {more:,} more problems." if more else ".")
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc: AuthenticationError):
    response = api.create_response(
        request,
        {
            "detail": "Please log in first: send Authorization: Bearer <token> (python manage.py issue_token "
            "USERNAME prints one), or the session cookie with its CSRF token."
        },
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


# Django raises these while reading the body; left alone they become an HTML error page (or a 500).
@api.exception_handler(RequestDataTooBig)
def request_too_big(request, exc: RequestDataTooBig):
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    message = f"The request is too large: send at most {limit_mb} MB besides the photos themselves."
    return api.create_response(request, {"detail": message}, status=413)


@api.exception_handler(TooManyFilesSent)
@api.exception_handler(TooManyFieldsSent)
def too_many_parts(request, exc: Exception):
    return api.create_response(request, {"detail": "The request has too many files or fields."}, status=400)


@api.exception_handler(MultiPartParserError)
def bad_multipart(request, exc: MultiPartParserError):
    message = "The upload could not be read as multipart/form-data. Please send the form again."
    return api.create_response(request, {"detail": message}, status=400)


api.add_router("/", marketplace_router)
api.add_router("/", analyses_router)
api.add_router("/", feedback_router)

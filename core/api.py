"""API helpers every router uses: the body parser of the one NinjaAPI, the names of the body shapes, strict inputs,
and the error answers (config/api.py installs them with api_errors_handle)."""

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from ninja import Body, Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic import ConfigDict, model_validator

from core.errors import DomainError, with_retry_after


class BodyUnreadable(DomainError):
    pass


class JsonOrFormParser(Parser):
    """The API's parser (config/api.py): bad JSON gets a sentence, and form fields may come as a JSON object."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError):
            raise BodyUnreadable("The request body is not valid JSON.") from None

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> Any:
        # Form fields are read from request.POST, which is empty for a JSON body: then the object stands in for
        # them (POST /api/listings with `analysis_id` needs no file, so JSON is the natural way to send it).
        if data is not request.POST or not (request.content_type or "").endswith("json"):
            return super().parse_querydict(data, list_fields, request)
        if not request.body:
            return None
        fields = self.parse_body(request)
        if not isinstance(fields, dict):
            raise BodyUnreadable(gettext("The request body must be a JSON object."))
        return fields


# Body and Form params read through JsonOrFormParser; the names say which shape an endpoint documents.
Json = Body
FormOrJson = Form


class UnknownFields(DomainError):
    status_code = 422


UNKNOWN_FIELDS_NAMED = 5


class StrictIn(Schema):
    """An input that refuses fields it does not know, with one sentence, before validating anything else.

    Validation alone (extra="forbid") reports every unknown key in turn: 200,000 of them took seconds and a 30 MB
    answer. The error is a DomainError, not a ValueError, so pydantic lets it through to the API's handler.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {field.alias or name for name, field in cls.model_fields.items()}
        unknown = [key for key in data if key not in known]
        if unknown:
            named = ", ".join(repr(str(key)[:40]) for key in unknown[:UNKNOWN_FIELDS_NAMED])
            more = f" and {len(unknown) - UNKNOWN_FIELDS_NAMED:,} more" if len(unknown) > UNKNOWN_FIELDS_NAMED else ""
            noun = "field" if len(unknown) == 1 else "fields"
            raise UnknownFields(f"Unknown {noun} {named}{more}. This endpoint takes only: {', '.join(sorted(known))}.")
        return data


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


def api_errors_handle(api: NinjaAPI) -> None:
    """Every error under /api/ answers {"detail": sentence}: domain errors with their status, validation with
    the first problems only, and the body errors Django raises while reading a request."""

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return with_retry_after(api.create_response(request, {"detail": exc.message}, status=exc.status_code), exc)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # ninja answers "Cannot parse request body" when the parser raises; the parser's own sentence says why.
        if isinstance(exc.__cause__, DomainError):
            return domain_error(request, exc.__cause__)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

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
        detail = gettext("Please check the request.") + " " + "; ".join(parts)
        if more:
            problems = ngettext("and %(more)s more problem.", "and %(more)s more problems.", more)
            detail += "; " + problems % {"more": number_format(more, force_grouping=True)}
        else:
            detail += "."
        return api.create_response(request, {"detail": detail, "errors": errors}, status=422)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc: AuthenticationError):
        response = api.create_response(
            request,
            {
                "detail": gettext(
                    "Please log in first: send Authorization: Bearer <token> (python manage.py issue_token "
                    "USERNAME prints one), or the session cookie with its CSRF token."
                )
            },
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    # Django raises these while reading the body; left alone they become an HTML error page (or a 500).
    @api.exception_handler(RequestDataTooBig)
    def request_too_big(request, exc: RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        message = gettext("The request is too large: send at most %(megabytes)d MB besides the photos themselves.") % {
            "megabytes": limit_mb
        }
        return api.create_response(request, {"detail": message}, status=413)

    @api.exception_handler(TooManyFilesSent)
    @api.exception_handler(TooManyFieldsSent)
    def too_many_parts(request, exc: Exception):
        return api.create_response(
            request, {"detail": gettext("The request has too many files or fields.")}, status=400
        )

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request, exc: MultiPartParserError):
        message = gettext("The upload could not be read as multipart/form-data. Please send the form again.")
        return api.create_response(request, {"detail": message}, status=400)

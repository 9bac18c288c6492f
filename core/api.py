"""API helpers every router uses: the body parser of the one NinjaAPI, and the names of the body shapes."""

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja import Body, Form, Schema
from ninja.parser import Parser
from pydantic import ConfigDict, model_validator

from core.errors import DomainError


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
            raise BodyUnreadable("The request body must be a JSON object.")
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

"""The structured output we ask the model for, and the checks its answer must pass.

The Pydantic model carries no length or range keywords (maxLength, minimum): OpenAI's strict
structured outputs reject some of them and compatible servers differ, so the limits are stated in
the field descriptions and enforced by suggestion_check after parsing.

Two shapes, named by the prompt version (its .toml's `output`): "v1" (prefill-v1 to v3: five fields, all
filled) and "v4" (prefill-v4 on: nullable values for "not visible", the categories' attributes, a confidence
per field and attribute, category candidates). In strict mode every property is required and every object
says additionalProperties false, so a value the model may leave out is nullable instead
(`"type": ["string", "null"]`, an enum with null among its values).
"""

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, create_model

from ai_prefill.confidence import CATEGORY_CANDIDATES_MAX
from ai_prefill.llm.types import AttributeSpec, Taxonomy
from marketplace.models import PRICE_MAX, TITLE_MAX_LENGTH, Condition

# Shorter than a listing allows (4000): a suggestion is a starting point for the seller.
DESCRIPTION_MAX_LENGTH = 1000


class SuggestionInvalid(ValueError):
    pass


class SuggestedField(TextChoices):
    """The suggestion's fields, in the order the schema lists them and people read them: their one home."""

    TITLE = "title", _("Title")
    DESCRIPTION = "description", _("Description")
    CATEGORY = "category", _("Category")
    PRICE = "price", _("Price")
    CONDITION = "condition", _("Condition")


SUGGESTED_FIELDS: tuple[str, ...] = tuple(SuggestedField.values)


@lru_cache(maxsize=16)
def suggestion_model(
    category_slugs: tuple[str, ...], field_descriptions: tuple[tuple[str, str], ...]
) -> type[BaseModel]:
    """The output schema, with the category an enum of the given slugs (the taxonomy at call time) and the
    field descriptions of the prompt version (ai_prefill.llm.prompt)."""
    descriptions = dict(field_descriptions)
    return create_model(
        "ListingSuggestion",
        title=(str, Field(description=descriptions["title"])),
        description=(str, Field(description=descriptions["description"])),
        category=(Literal[category_slugs], Field(description=descriptions["category"])),
        price=(float, Field(description=descriptions["price"])),
        condition=(Literal[tuple(Condition.values)], Field(description=descriptions["condition"])),
    )


def suggestion_json_schema(category_slugs: tuple[str, ...], field_descriptions: tuple[tuple[str, str], ...]) -> dict:
    """The strict JSON schema sent as the structured-output format, written out here rather than generated.

    Ours, so that the prompt version's content hash (which covers it) does not move when pydantic or the
    SDK change how they generate schemas; a test checks it still describes suggestion_model.
    """
    descriptions = dict(field_descriptions)

    def text(name: str, json_type: str = "string", **extra) -> dict:
        return {"description": descriptions[name], **extra, "title": name.capitalize(), "type": json_type}

    return {
        "properties": {
            "title": text("title"),
            "description": text("description"),
            "category": text("category", enum=list(category_slugs)),
            "price": text("price", "number"),
            "condition": text("condition", enum=list(Condition.values)),
        },
        "required": list(SUGGESTED_FIELDS),
        "title": "ListingSuggestion",
        "type": "object",
        "additionalProperties": False,
    }


def suggestion_check(output: BaseModel, *, category_slugs: tuple[str, ...]) -> dict:
    """The suggestion as stored, or SuggestionInvalid saying which limit the model's answer broke."""
    title = output.title.strip()
    description = output.description.strip()
    if not title:
        raise SuggestionInvalid("The title is empty.")
    if len(title) > TITLE_MAX_LENGTH:
        raise SuggestionInvalid(f"The title has {len(title)} characters; at most {TITLE_MAX_LENGTH} are allowed.")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise SuggestionInvalid(
            f"The description has {len(description)} characters; at most {DESCRIPTION_MAX_LENGTH} are allowed."
        )
    if output.category not in category_slugs:
        raise SuggestionInvalid(f"The category {output.category!r} is not one of ours.")
    if output.condition not in Condition.values:
        raise SuggestionInvalid(f"The condition {output.condition!r} is not one of ours.")
    if not math.isfinite(output.price) or not 0 <= output.price <= PRICE_MAX:
        raise SuggestionInvalid(f"The price {output.price!r} is not between 0 and {PRICE_MAX} euros.")
    price = Decimal(str(output.price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {
        "title": title,
        "description": description,
        "category": output.category,
        "price": str(price),
        "condition": output.condition,
    }


# prefill-v4 on ("v4"): the fields in the order the schema lists them, each described in the version's [schema].
OUTPUT_SHAPES = ("v1", "v4")
SHAPE_FIELDS: dict[str, tuple[str, ...]] = {
    "v1": SUGGESTED_FIELDS,
    "v4": (
        "title",
        "description",
        "category",
        "category_candidates",
        "price",
        "condition",
        "attributes",
        "confidence",
    ),
}
CONFIDENCE_LEVELS = ("high", "medium", "low")
ATTRIBUTE_VALUE_MAX_LENGTH = 100
# The stored schema holds these in place of the taxonomy's attributes, as it holds CATEGORY_SLUGS_MARK in place
# of the slugs: one free-text and one closed-list attribute, so the hash covers how each kind is written.
ATTRIBUTE_MARKS = (
    AttributeSpec("{attribute slug}", "{attribute name}", (), "{attribute hint}"),
    AttributeSpec("{choice attribute slug}", "{attribute name}", ("{attribute choices}",), "{attribute hint}"),
)


def output_shape_of(json_schema: dict) -> str:
    """The shape a stored output schema has: "v4" when it asks for a confidence, else "v1"."""
    return "v4" if "confidence" in json_schema.get("properties", {}) else "v1"


@lru_cache(maxsize=16)
def suggestion_model_v4(category_slugs: tuple[str, ...]) -> type[BaseModel]:
    """The v4 answer as parsed. The attributes and confidence are dicts here, their keys checked by
    suggestion_check_v4: an attribute slug is staff data and could shadow a BaseModel method as a field name."""
    level = Literal[CONFIDENCE_LEVELS]
    return create_model(
        "ListingSuggestion",
        __config__=ConfigDict(extra="forbid"),
        title=(str, ...),
        description=(str | None, ...),
        category=(Literal[category_slugs], ...),
        category_candidates=(list[Literal[category_slugs]], ...),
        price=(float | None, ...),
        condition=(Literal[tuple(Condition.values)] | None, ...),
        attributes=(dict[str, str | None], ...),
        confidence=(dict[str, level], ...),
    )


def suggestion_json_schema_v4(
    category_slugs: tuple[str, ...],
    attributes: tuple[AttributeSpec, ...],
    field_descriptions: tuple[tuple[str, str], ...],
) -> dict:
    """The strict v4 schema: the attributes are the union over the categories (each nullable, a closed list
    an enum with null), the confidence one level per field and per attribute."""
    descriptions = dict(field_descriptions)

    def prop(name: str, json_type, **extra) -> dict:
        return {"description": descriptions[name], **extra, "title": name.replace("_", " ").title(), "type": json_type}

    attribute_properties = {spec.slug: _attribute_property(spec) for spec in attributes}
    rated = [*SUGGESTED_FIELDS, *attribute_properties]
    return {
        "properties": {
            "title": prop("title", "string"),
            "description": prop("description", ["string", "null"]),
            "category": prop("category", "string", enum=list(category_slugs)),
            "category_candidates": prop(
                "category_candidates", "array", items={"type": "string", "enum": list(category_slugs)}
            ),
            "price": prop("price", ["number", "null"]),
            "condition": prop("condition", ["string", "null"], enum=[*Condition.values, None]),
            "attributes": prop(
                "attributes",
                "object",
                properties=attribute_properties,
                required=list(attribute_properties),
                additionalProperties=False,
            ),
            "confidence": prop(
                "confidence",
                "object",
                properties={name: {"type": "string", "enum": list(CONFIDENCE_LEVELS)} for name in rated},
                required=rated,
                additionalProperties=False,
            ),
        },
        "required": list(SHAPE_FIELDS["v4"]),
        "title": "ListingSuggestion",
        "type": "object",
        "additionalProperties": False,
    }


def _attribute_property(spec: AttributeSpec) -> dict:
    described = {"description": spec.hint or f"The item's {spec.slug}.", "type": ["string", "null"]}
    return {**described, "enum": [*spec.choices, None]} if spec.choices else described


def suggestion_check_v4(output: BaseModel, *, taxonomy: Taxonomy, language: str) -> dict:
    """The v4 suggestion as stored (the contract in ai_prefill.llm.types.PrefillResult), or SuggestionInvalid."""
    title = output.title.strip()
    if not title:
        raise SuggestionInvalid("The title is empty.")
    if len(title) > TITLE_MAX_LENGTH:
        raise SuggestionInvalid(f"The title has {len(title)} characters; at most {TITLE_MAX_LENGTH} are allowed.")
    description = (output.description or "").strip() or None
    if description is not None and len(description) > DESCRIPTION_MAX_LENGTH:
        raise SuggestionInvalid(
            f"The description has {len(description)} characters; at most {DESCRIPTION_MAX_LENGTH} are allowed."
        )
    category = output.category
    if category not in taxonomy.category_slugs:
        raise SuggestionInvalid(f"The category {category!r} is not one of ours.")
    if output.condition is not None and output.condition not in Condition.values:
        raise SuggestionInvalid(f"The condition {output.condition!r} is not one of ours.")
    price = None
    if output.price is not None:
        if not math.isfinite(output.price) or not 0 <= output.price <= PRICE_MAX:
            raise SuggestionInvalid(f"The price {output.price!r} is not between 0 and {PRICE_MAX} euros.")
        price = str(Decimal(str(output.price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    attributes = _attributes_checked(output.attributes, taxonomy=taxonomy, category=category)
    confidence = {}
    for name in (*SUGGESTED_FIELDS, *attributes):
        level = output.confidence.get(name)
        if level not in CONFIDENCE_LEVELS:
            levels = ", ".join(CONFIDENCE_LEVELS)
            raise SuggestionInvalid(f"The confidence of {name!r} is {level!r}, not one of {levels}.")
        confidence[name] = level
    candidates = [category]
    for slug in output.category_candidates:
        if slug in taxonomy.category_slugs and slug not in candidates:
            candidates.append(slug)
    return {
        "title": title,
        "description": description,
        "category": category,
        "price": price,
        "condition": output.condition,
        "attributes": attributes,
        "confidence": confidence,
        "category_candidates": candidates[:CATEGORY_CANDIDATES_MAX],
        "language": language,
    }


def _attributes_checked(answered: dict, *, taxonomy: Taxonomy, category: str) -> dict:
    """Exactly the category's attributes, empty text as None; the other categories' attributes are dropped."""
    attributes = {}
    for spec in taxonomy.attributes_of(category):
        if spec.slug not in answered:
            raise SuggestionInvalid(f"The answer has no value for the attribute {spec.slug!r}.")
        value = (answered[spec.slug] or "").strip() or None
        if value is not None and spec.choices and value not in spec.choices:
            raise SuggestionInvalid(f"The {spec.slug} {value!r} is not one of {', '.join(spec.choices)}.")
        if value is not None and len(value) > ATTRIBUTE_VALUE_MAX_LENGTH:
            raise SuggestionInvalid(
                f"The {spec.slug} has {len(value)} characters; at most {ATTRIBUTE_VALUE_MAX_LENGTH} are allowed."
            )
        attributes[spec.slug] = value
    return attributes

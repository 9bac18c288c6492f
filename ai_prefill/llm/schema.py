"""The structured output we ask the model for, and the checks its answer must pass.

The Pydantic model carries no length or range keywords (maxLength, minimum): OpenAI's strict
structured outputs reject some of them and compatible servers differ, so the limits are stated in
the field descriptions and enforced by suggestion_check after parsing.
"""

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

from django.db.models import TextChoices
from pydantic import BaseModel, Field, create_model

from marketplace.models import PRICE_MAX, TITLE_MAX_LENGTH, Condition

# Shorter than a listing allows (4000): a suggestion is a starting point for the seller.
DESCRIPTION_MAX_LENGTH = 1000


class SuggestionInvalid(ValueError):
    pass


class SuggestedField(TextChoices):
    """The suggestion's fields, in the order the schema lists them and people read them: their one home."""

    TITLE = "title", "Title"
    DESCRIPTION = "description", "Description"
    CATEGORY = "category", "Category"
    PRICE = "price", "Price"
    CONDITION = "condition", "Condition"


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

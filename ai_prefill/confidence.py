"""Which suggested values fill the form and which are only offered: the model's confidence against the thresholds.

A suggestion (ai_prefill.llm.types.PrefillResult) carries, from prefill-v4 on, a confidence per field
("high", "medium" or "low") and may leave a value null ("not visible"). A value fills its field only at or
above the field's threshold (settings.AI_FILL_THRESHOLD, AI_FILL_THRESHOLDS); below it the seller is offered
it as a choice to tap (the category with up to three candidates), never as a filled value. Suggestions from
earlier prompt versions have no confidence: their values fill the form, as they always did.
"""

from dataclasses import dataclass, field

from django.conf import settings

LEVELS = ("low", "medium", "high")  # in rising order
CATEGORY_CANDIDATES_MAX = 3


@dataclass(frozen=True)
class SuggestionSplit:
    # Field name (a listing field, or an attribute slug) to the value that fills it.
    filled: dict = field(default_factory=dict)
    # Field name to the values offered for the seller to tap, best first (category: up to three slugs).
    choices: dict = field(default_factory=dict)
    # Fields the model said it could not see: left empty, neither filled nor offered.
    not_visible: tuple[str, ...] = ()


def level_rank(level: str | None) -> int:
    """0 for low, 1 medium, 2 high; -1 for a missing or unknown level."""
    return LEVELS.index(level) if level in LEVELS else -1


def fill_threshold(field_name: str) -> str:
    return settings.AI_FILL_THRESHOLDS.get(field_name, settings.AI_FILL_THRESHOLD)


def suggestion_values(suggestion: dict) -> dict:
    """Every suggested value by field name, the attributes flattened in beside the listing fields."""
    values = {name: value for name, value in suggestion.items() if name not in _NOT_VALUES}
    values.update(suggestion.get("attributes") or {})
    return values


# Not field values: the details (flattened in), the confidence, the candidates, the language, the price evidence.
_NOT_VALUES = frozenset({"attributes", "confidence", "category_candidates", "language", "comparables"})


def suggestion_split(suggestion: dict) -> SuggestionSplit:
    """The suggestion as the sell page and the API present it: filled values, choices, and what was not visible."""
    confidence = suggestion.get("confidence")
    values = suggestion_values(suggestion)
    if confidence is None:
        return SuggestionSplit(filled={name: value for name, value in values.items() if value not in (None, "")})
    filled, choices, not_visible = {}, {}, []
    for name, value in values.items():
        if value is None or value == "":
            not_visible.append(name)
        elif level_rank(confidence.get(name)) >= level_rank(fill_threshold(name)):
            filled[name] = value
        elif name == "category":
            candidates = [value, *(slug for slug in suggestion.get("category_candidates") or () if slug != value)]
            choices[name] = candidates[:CATEGORY_CANDIDATES_MAX]
        else:
            choices[name] = [value]
    return SuggestionSplit(filled=filled, choices=choices, not_visible=tuple(not_visible))

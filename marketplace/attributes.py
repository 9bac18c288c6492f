"""Item details' values (Listing.attributes): one rule for what a seller may give, and for how filters compare them."""

from marketplace.text import text_clean

ATTRIBUTE_VALUE_MAX_LENGTH = 80


def attribute_value_normalise(value: str) -> str:
    """A value as stored: the site's text rule (NFKC, no invisible characters), runs of spaces as one, trimmed."""
    return " ".join(text_clean(value).split())


def attribute_search_key(value: str) -> str:
    """What a filter compares: the value case-folded, so Sony, SONY and sony are one brand."""
    return attribute_value_normalise(value).casefold()


def attributes_search_keys(attributes: dict[str, str]) -> dict[str, str]:
    """Listing.attributes_search: the attributes with their search keys, written beside them on every save."""
    return {slug: attribute_search_key(value) for slug, value in attributes.items()}


def attribute_choice_label(value: str) -> str:
    """How a closed-list value (the colours' "black") reads in a select and on the listing page."""
    return value.replace("_", " ").capitalize()

"""Item details' values (Listing.attributes): one rule for what a seller may give, and for how filters compare them."""

from django.utils.translation import gettext, gettext_noop

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


# The closed-list values the taxonomy ships with (the colours of 0014_category_attributes), marked so that
# `make messages` puts them in the catalogues; a value staff add later reads as it is until it is translated.
CHOICE_LABELS = (
    gettext_noop("black"),
    gettext_noop("white"),
    gettext_noop("grey"),
    gettext_noop("silver"),
    gettext_noop("gold"),
    gettext_noop("brown"),
    gettext_noop("beige"),
    gettext_noop("red"),
    gettext_noop("orange"),
    gettext_noop("yellow"),
    gettext_noop("green"),
    gettext_noop("blue"),
    gettext_noop("purple"),
    gettext_noop("pink"),
    gettext_noop("multicoloured"),
)


def attribute_choice_label(value: str) -> str:
    """How a closed-list value (the colours' "black") reads in a select and on the listing page, in the page's
    language; the stored value, what filters and the API use, stays the same in every language."""
    return gettext(value.replace("_", " ")).capitalize()

"""One rule for the text people type (titles, descriptions, names, messages, comments) and for the digits of a
price, used by the forms, the API schemas and the services alike."""

import unicodedata

# Bidirectional embeddings, overrides and isolates reorder what is shown: with U+202E a title or a name can read
# as something else than what it says. The plain marks (LRM, RLM, ALM) stay: right-to-left text needs them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Invisible characters that make two names look alike or split a word so search and moderation miss it. The
# zero-width joiner and non-joiner stay: emoji sequences and Persian words need them.
INVISIBLE = "\u200b\u2060\ufeff\u180e"
_REMOVED = dict.fromkeys(map(ord, BIDI_CONTROLS + INVISIBLE))
# The Arabic decimal separator and thousands separator, read as "." and "," are.
_ARABIC_SEPARATORS = {0x066B: ".", 0x066C: ","}


def text_clean(text: str) -> str:
    """NFKC-normalised (so length limits count what is shown), without bidi controls or invisible characters."""
    return unicodedata.normalize("NFKC", text.translate(_REMOVED))


def price_digits_ascii(text: str) -> str:
    """A typed price with any script's decimal digits (Arabic-Indic ٢٥, Persian ۲۵, fullwidth U+FF12 U+FF15) as ASCII.

    The rule for every path (the forms and the API): such digits are accepted and read as the same number.
    """
    text = text.translate(_ARABIC_SEPARATORS)
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)

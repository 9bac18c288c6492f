"""Is the suggestion's text in the language it was asked in? A cheap check on the title and description.

py3langid (langid.py's naive Bayes model over byte n-grams, shipped in the wheel, about 0.1 ms a text) is
restricted to the site's languages (settings.LANGUAGES): the question is never "which of 97 languages", only
"Italian or English". A short text with a brand in it ("iPhone 12 Pro") says little, so the answer is wrong
only when the model is sure of another of our languages; anything less is given the benefit of the doubt.
Loading the model takes about 1.5 s of CPU, once per process: workers load it at start (ai_prefill.tasks), and
a lock keeps threads that check at once (an eval run's pool) from each loading it.
"""

import threading

from django.conf import settings

# Normalised probability of another language above which the text counts as written in it.
WRONG_LANGUAGE_PROBABILITY = 0.9


class WrongLanguage(ValueError):
    pass


_loaded = None
_loading = threading.Lock()


def language_model_load():
    """The language identifier, loaded on first use."""
    global _loaded
    with _loading:
        if _loaded is None:
            # Imported here: numpy and the model only for the processes that check a language.
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(sorted({code.split("-")[0] for code, _ in settings.LANGUAGES}))
            _loaded = identifier
    return _loaded


def text_language(text: str) -> tuple[str, float]:
    """The most likely of the site's languages for the text, and its probability (0 to 1)."""
    language, probability = (_loaded or language_model_load()).classify(text)
    return language, float(probability)


def language_check(suggestion: dict, *, language: str) -> None:
    """Raises WrongLanguage when the title and description are surely in another of the site's languages."""
    text = " ".join(part for part in (suggestion.get("title"), suggestion.get("description")) if part)
    if not text.strip():
        return
    found, probability = text_language(text)
    if found != language.split("-")[0] and probability >= WRONG_LANGUAGE_PROBABILITY:
        raise WrongLanguage(f"The text is in {found!r} (p={probability:.2f}), not in {language!r} as asked.")

"""The languages listings are written in, and their words' stems in each, as PostgreSQL's configurations stem them.

A listing may be written in English or in Italian, and a buyer may search in either, so both backends index every
listing's words in both languages and match each query word in either: PostgreSQL with its `english` and
`italian` text search configurations (migration 0015), SQLite with the same Snowball algorithms run here.
"""

import threading

import snowballstemmer

from marketplace.search.synonyms import PIECE

# PostgreSQL's text search configuration names, which are also the Snowball stemmers' names.
LANGUAGES = ("english", "italian")

_local = threading.local()  # a Snowball stemmer keeps its state while it stems: one per thread


def _stemmer(language: str):
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(language)
    return stemmers[language]


def word_forms(word: str, language: str) -> tuple[str, ...]:
    """The forms of a typed word to look up, the word first: in Italian also its other endings of number and gender.

    Italian nouns and adjectives change their last vowel (divano, divani; sedia, sedie), which the stemmer mostly
    takes off; but PostgreSQL's Italian stemmer reads some as verb endings (divano -> div, divani -> divan;
    telefono -> telef), so each ending is looked up. The English word is a prefix instead (the backends add that).
    """
    if language != "italian" or len(word) < 3 or word[-1] not in "aeio":
        return (word,)
    return tuple(dict.fromkeys([word, *(word[:-1] + vowel for vowel in "aeio")]))


def stems(text: str | None, language: str) -> str:
    """The text's words lower-cased and stemmed, one stem for each word and in their order (phrases still match).

    SQLite's triggers call it (as search_stems) with a listing's old text to take it out of the index, so it must
    give the same stems as when the text went in: an upgrade of snowballstemmer that changes them needs the index
    rebuilt (marketplace.search.sqlite.rebuild).
    """
    stemmer = _stemmer(language)
    return " ".join(stemmer.stemWord(word) or word for word in PIECE.findall((text or "").lower()))

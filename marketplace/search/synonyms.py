"""The synonyms list (synonyms.toml), and a query's words as groups of alternatives."""

import functools
import re
import tomllib
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")
MAX_WORDS = 8
_TOKEN = re.compile(r"\w+(?:-\w+)*", re.UNICODE)
PIECE = re.compile(r"\w+", re.UNICODE)


def synonym_key(word: str) -> str:
    return word.lower().replace("-", "")


@functools.cache
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """Each word's alternatives (itself first), read once per process."""
    groups: dict[str, tuple[str, ...]] = {}
    for group in tomllib.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))["groups"]:
        for word in group:
            known = groups.get(synonym_key(word), ())
            groups[synonym_key(word)] = tuple(dict.fromkeys([*known, *(w.lower() for w in group)]))
    return groups


def query_terms(text: str) -> list[tuple[str, ...]]:
    """The words of a query (at most MAX_WORDS), each as (the word as typed, its synonyms...).

    Every group must match; any alternative of a group will do. Each alternative is a word or a phrase
    of \\w+ pieces, so backends may quote it safely.
    """
    terms = []
    for token in _TOKEN.findall(text.lower())[:MAX_WORDS]:
        synonyms = synonym_groups().get(synonym_key(token), ())
        terms.append(tuple(dict.fromkeys([token, *synonyms])))
    return terms

"""No template shows text that is not marked for translation: outside {% translate %} and {% blocktranslate %}
every template under templates/ has only markup, variables, numbers, punctuation and entities."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType
from django.template.loader import get_template

from tests.i18n.catalogues import ROOT

TEMPLATES = ROOT / "templates"
# Attributes a person reads (or hears from a screen reader).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-valuetext", "label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
WORD = re.compile(r"[^\W\d_]{2,}")
# Words that are the same in every language, so a template may show them as they are.
ALLOWED_WORDS = {
    "Trova": "the site's name",
    "USD": "a currency code (ISO 4217)",
    "ms": "the SI symbol for milliseconds",
    "p50": "a percentile's name",
    "p95": "a percentile's name",
}
PLACEHOLDER = "\x00"  # where a variable or a translated string goes: not text of the template's own


def template_paths() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.is_file() and path.suffix in {".html", ".txt"})


def masked_source(source: str) -> str:
    """The template with every variable and translated string replaced by PLACEHOLDER and every other tag,
    comment and {% comment %} block removed: what is left is the template's own text and markup."""
    parts, skip_until = [], None
    for token in Lexer(source).tokenize():
        contents = token.contents.split()
        command = contents[0] if contents else ""
        if skip_until:
            if token.token_type == TokenType.BLOCK and command in skip_until:
                skip_until = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            parts.append(PLACEHOLDER)
        elif token.token_type == TokenType.BLOCK:
            if command in {"blocktranslate", "blocktrans"}:
                parts.append(PLACEHOLDER)
                skip_until = {"endblocktranslate", "endblocktrans"}
            elif command == "comment":
                skip_until = {"endcomment"}
            elif command in {"translate", "trans"} and "as" not in contents:
                parts.append(PLACEHOLDER)
    return "".join(parts)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.texts.append(value)
        if tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS and values.get("value"):
            self.texts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def untranslated_texts(source: str, *, html: bool = True) -> list[str]:
    """The pieces of a template's own text with words in them that are not in ALLOWED_WORDS."""
    masked = masked_source(source)
    if html:
        collector = _TextCollector()
        collector.feed(masked)
        collector.close()
        texts = collector.texts
    else:
        texts = masked.splitlines()
    found = []
    for text in texts:
        words = [word for word in WORD.findall(text.replace(PLACEHOLDER, " ")) if word not in ALLOWED_WORDS]
        if words:
            found.append(" ".join(text.replace(PLACEHOLDER, "…").split()))
    return found


def test_the_check_finds_text_outside_the_translation_tags():
    source = """{% load i18n %}{# a note #}{% comment %}Staff only.{% endcomment %}
        <p title="{% translate "Saved" %}">{% translate "Saved" %}: {{ count }} · 12 € &amp; 5%</p>
        {% blocktranslate trimmed with n=count %}You have {{ n }} listings.{% endblocktranslate %}
        <script>const label = "not for people";</script><small>USD</small>
        <img alt="A red mug" src="{{ url }}"> <input type="submit" value="Send"> <b>Left in English</b>"""
    assert untranslated_texts(source) == ["A red mug", "Send", "Left in English"]


def test_the_check_reads_plain_text_templates_too():
    source = '{% load i18n %}{% translate "Hello" %} {{ name }},\nSee you soon.\n'
    assert untranslated_texts(source, html=False) == ["See you soon."]


@pytest.mark.parametrize("path", template_paths(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_template_text_is_left_untranslated(path):
    found = untranslated_texts(path.read_text(), html=path.suffix == ".html")
    assert not found, f"{path.relative_to(ROOT)} shows text outside {{% translate %}}:\n" + "\n".join(found)


@pytest.mark.parametrize("path", template_paths(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_every_template_compiles_with_its_translation_tags(path):
    """A {% blocktranslate %} with a filter or a tag inside it, or a missing {% load i18n %}, fails here."""
    get_template(str(path.relative_to(TEMPLATES)))

"""The Italian catalogue ships complete for the marketplace's pages, mails and sentences: every string from its
templates and code has a translation, none is fuzzy, and each keeps the placeholders of its English."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.template.loader import get_template

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"
# The files this part of the site is made of (the marketplace, the site's frame and error pages, core's sentences).
OURS = re.compile(r"^(templates/base\.html|templates/[45]\d\d\.html|templates/marketplace/|marketplace/|core/|config/)")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _messages():
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    return [message for message in catalog if message.id and any(OURS.match(path) for path, _ in message.locations)]


def test_the_catalogue_has_the_marketplaces_strings():
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in _messages()}

    assert {"Log in", "Sell", "Please enter a price.", "Welcome to Trova"} <= ids
    assert len(ids) > 400


def test_every_marketplace_string_is_translated_and_none_is_fuzzy():
    untranslated = [message.id for message in _messages() if not all(_strings(message.string))]
    fuzzy = [message.id for message in _messages() if message.fuzzy]

    assert untranslated == [] and fuzzy == []


def test_each_translation_keeps_the_placeholders_of_its_english():
    mismatched = []
    for message in _messages():
        english = _strings(message.id)
        expected = set(PLACEHOLDER.findall(english[-1]))
        for translated in _strings(message.string):
            if set(PLACEHOLDER.findall(translated)) != expected:
                mismatched.append((english[0], translated))

    assert mismatched == []


TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.mark.parametrize(
    "name",
    sorted(
        str(path.relative_to(TEMPLATES))
        for path in [*TEMPLATES.glob("*.html"), *(TEMPLATES / "marketplace").rglob("*.*")]
    ),
)
def test_every_template_of_ours_compiles_with_its_translation_tags(name):
    """A {% blocktranslate %} with a filter or a tag inside it, or a missing {% load i18n %}, fails here."""
    get_template(name)


def _strings(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]

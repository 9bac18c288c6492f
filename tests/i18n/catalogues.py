"""The shipped catalogues (locale/<language>/LC_MESSAGES/*.po), read with Babel, for the i18n tests."""

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
# %(name)s, %s, %d, %r (python-format; "%%" is a literal percent sign) and {name} (format_html, format_lazy).
PYTHON_PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrfi]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class Entry:
    path: Path
    context: str | None
    ids: tuple[str, ...]  # the msgid, and the msgid_plural of a plural entry
    strings: tuple[str, ...]  # msgstr, or msgstr[0], msgstr[1], ...
    fuzzy: bool
    line: int

    def __str__(self) -> str:
        context = f" (context {self.context!r})" if self.context else ""
        return f"{self.path.relative_to(ROOT)}:{self.line} msgid {self.ids[0]!r}{context}"


def po_files() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def entries(path: Path) -> list[Entry]:
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    result = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        result.append(Entry(path, message.context, ids, strings, message.fuzzy, message.lineno))
    return result


def header_is_fuzzy(path: Path) -> bool:
    with path.open("rb") as handle:
        return read_po(handle).fuzzy


def compile_errors(path: Path) -> list[str]:
    """What Babel's compiler (make install) finds wrong in the catalogue: mismatched python-format placeholders."""
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    return [
        f"{path.relative_to(ROOT)}:{message.lineno}: {error}"
        for message, errors in catalogue.check()
        for error in errors
    ]


def placeholders(text: str) -> list[str]:
    text = text.replace("%%", "")
    return sorted(PYTHON_PLACEHOLDER.findall(text) + BRACE_PLACEHOLDER.findall(text))


def translations(language: str) -> dict[str, set[str]]:
    """Every msgid (singular and plural) of the language's catalogues, with the translations it has there."""
    found: dict[str, set[str]] = {}
    for path in sorted((LOCALE / language / "LC_MESSAGES").glob("*.po")):
        for entry in entries(path):
            for text in entry.ids:
                # A template's {% translate %} keeps "%" as "%%" in the catalogue; the page shows one.
                shown = {string.replace("%%", "%") for string in entry.strings if string}
                found.setdefault(text.replace("%%", "%"), set()).update(shown)
    return found

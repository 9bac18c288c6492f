"""The shipped catalogues are complete (every entry translated, none fuzzy, the same placeholders) and current
(extracting the strings again finds nothing the catalogues lack)."""

import shutil
import subprocess
import sys

import pytest

from tests.i18n.catalogues import LOCALE, ROOT, compile_errors, entries, header_is_fuzzy, placeholders, po_files

# What `make messages` passes to makemessages (Makefile): the same sources, the same domains.
IGNORED = [".venv/*", "var/*", "node_modules/*", "tests/*"]
DOMAINS = {"django": IGNORED, "djangojs": [*IGNORED, "static/insights/vendor/*"]}
# Copied for the extraction; everything else makemessages would look at is under these.
SKIPPED_IN_COPY = shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "tests", "docs", "*.pyc", "*.mo")


def test_there_are_catalogues_for_every_language_but_the_default(settings):
    languages = {path.parts[-3] for path in po_files()}
    expected = {code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE}
    assert expected <= languages, f"No catalogue under locale/ for {sorted(expected - languages)}."
    assert {"django.po", "djangojs.po"} <= {path.name for path in po_files()}


@pytest.mark.parametrize("path", po_files(), ids=lambda path: str(path.relative_to(LOCALE)))
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    assert not header_is_fuzzy(path), f"{path}: the header is marked fuzzy, so the compiler skips the whole file."
    problems = []
    for entry in entries(path):
        if entry.fuzzy:
            problems.append(f"{entry}: fuzzy")
        if not all(entry.strings):
            problems.append(f"{entry}: no translation")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", po_files(), ids=lambda path: str(path.relative_to(LOCALE)))
def test_translations_keep_the_placeholders_of_the_original(path):
    problems = []
    for entry in entries(path):
        originals = [placeholders(text) for text in entry.ids]
        for string in filter(None, entry.strings):
            if placeholders(string) not in originals:
                problems.append(f"{entry}: {placeholders(string)} in the translation, {originals[0]} in the original")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", po_files(), ids=lambda path: str(path.relative_to(LOCALE)))
def test_every_catalogue_passes_the_compilers_checks(path):
    # `make install` compiles with Babel, which refuses a catalogue its checks fail ("% le" in "5% level" reads as a
    # placeholder to it and to xgettext): the same checks here, so the build does not break first.
    assert not compile_errors(path), "\n".join(compile_errors(path))


def test_the_placeholder_check_finds_a_lost_or_renamed_placeholder():
    assert placeholders("%(count)d left of %(total)s, 5%% off, {name}") == ["%(count)d", "%(total)s", "{name}"]
    assert placeholders("rimasti %(conto)d") != placeholders("%(count)d left")


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext's xgettext")
def test_the_catalogues_hold_every_string_the_code_marks(tmp_path):
    # makemessages writes into the tree it runs in: run it in a copy, then compare the copy's catalogues.
    copy = tmp_path / "trova"
    shutil.copytree(ROOT, copy, ignore=SKIPPED_IN_COPY)
    shipped = {path.relative_to(LOCALE): {(e.context, e.ids) for e in entries(path)} for path in po_files()}
    for domain, ignored in DOMAINS.items():
        command = [sys.executable, "manage.py", "makemessages", "--all", "--no-obsolete", "--add-location", "file"]
        command += ["--domain", domain, *(f"--ignore={pattern}" for pattern in ignored)]
        subprocess.run(command, cwd=copy, check=True, capture_output=True, text=True)
    missing = []
    for path in sorted((copy / "locale").glob("*/LC_MESSAGES/*.po")):
        relative = path.relative_to(copy / "locale")
        for entry in entries(path):
            if (entry.context, entry.ids) not in shipped.get(relative, set()):
                missing.append(f"locale/{relative}: msgid {entry.ids[0]!r}")
    assert not missing, "Not in the shipped catalogues; run `make messages` and translate:\n" + "\n".join(missing)

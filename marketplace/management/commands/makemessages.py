"""Django's makemessages without fuzzy matching: a new string starts untranslated (msgstr ""), so the catalogue
test names it, instead of inheriting a near-miss translation marked fuzzy that the site would not show and a
compiler may refuse (a placeholder of another type). Customised as Django's docs describe for xgettext_options.
Here, in the first installed app, because the site's catalogues are one (locale/) and not an app's."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]

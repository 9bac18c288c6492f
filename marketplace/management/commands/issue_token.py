from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from marketplace.auth import token_issue


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (use it as `Authorization: Bearer <token>`)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user called {username!r}.")
        self.stdout.write(token_issue(user=user))

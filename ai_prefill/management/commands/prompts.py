from django.core.management.base import BaseCommand, CommandError

from ai_prefill.llm.prompt import PromptVersionError, current_prompt_version, prompt_versions
from ai_prefill.models import PromptVersion
from ai_prefill.rollout.services import prompt_versions_register


class Command(BaseCommand):
    help = (
        "Prompt versions (ai_prefill/prompts/). `register`: store new ones in the database and refuse changed ones "
        "(migrate does this too). `list`: every version, registered or not, and which one settings use."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["register", "list"])

    def handle(self, *args, action: str, **options):
        if action == "register":
            try:
                result = prompt_versions_register()
            except PromptVersionError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Registered: {', '.join(result.created) or 'nothing new'}.")
            self.stdout.write(f"Already registered, unchanged: {', '.join(result.unchanged) or 'none'}.")
            return
        hashes = dict(PromptVersion.objects.values_list("version", "content_hash"))
        current = current_prompt_version()
        for version in prompt_versions():
            state = f"registered {hashes[version][:12]}" if version in hashes else "not registered"
            marker = "  (AI_PROMPT_VERSION)" if version == current else ""
            self.stdout.write(f"{version}  {state}{marker}")

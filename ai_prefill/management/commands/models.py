"""List the models Trova uses, with the shutdown date the provider announces for each."""

from django.core.management.base import BaseCommand

from ai_prefill.lifecycle import days_left, model_lifecycle_check, models_in_use, shutdown_sentence
from ai_prefill.models import ModelLifecycle


class Command(BaseCommand):
    help = (
        "List the models in use (the default, the running experiment's variants, the last 30 days of eval runs) "
        "with their shutdown dates, asking the provider (GET /v1/models/{id}) first unless --stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stored", action="store_true", help="Show what the daily check stored; ask nobody.")

    def handle(self, *args, stored: bool = False, **options):
        in_use = models_in_use()
        if not in_use:
            self.stdout.write("No OpenAI model is in use (the demo provider needs none).")
            return
        if not stored:
            model_lifecycle_check(models=[use.model for use in in_use])
        rows = {row.model: row for row in ModelLifecycle.objects.filter(model__in=[use.model for use in in_use])}
        lines = [("model", "shutdown", "days left", "used by", "")]
        for use in in_use:
            row = rows.get(use.model)
            if row is None:
                lines.append((use.model, "not checked yet", "", ", ".join(use.uses), ""))
                continue
            left = days_left(row)
            note = shutdown_sentence(row) if row.status == ModelLifecycle.Status.RETIRING else row.detail
            shutdown = str(row.shutdown_date) if row.shutdown_date else row.get_status_display().split(":")[0].lower()
            lines.append((use.model, shutdown, "" if left is None else str(left), ", ".join(use.uses), note))
        widths = [max(len(line[column]) for line in lines) for column in range(4)]
        for line in lines:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)) + "  " + line[4]
            )

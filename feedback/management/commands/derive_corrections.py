"""Derive the corrections and outcomes of postings again, e.g. after the similarity metric changed."""

from django.core.management.base import BaseCommand

from ai_prefill.models import Analysis
from feedback.services import corrections_derive


class Command(BaseCommand):
    help = (
        "Derive every posted analysis's initial corrections and outcome again from its posting facts (what the "
        "derivation task does at each posting; safe to run any number of times). --missing: only the postings "
        "that have no outcome yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Only postings whose derivation never ran.")

    def handle(self, *args, missing: bool, **options):
        posted = Analysis.objects.filter(posted_at__isnull=False).order_by("posted_at")
        if missing:
            posted = posted.filter(outcome__isnull=True)
        count = 0
        for analysis_id in posted.values_list("pk", flat=True).iterator():
            corrections_derive(analysis_id=analysis_id)
            count += 1
        self.stdout.write(f"Derived {count} posting{'s' if count != 1 else ''}.")

"""Evaluation sets: import and export a directory, draw the demo set, or take cases from posted listings."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from evals.datasets import (
    CASES_FILE,
    dataset_name_for,
    evalset_export,
    evalset_from_production,
    evalset_import,
)
from evals.demo import DEMO_CASES, DEMO_DATASET, evalset_demo

# The eval command's convention: 1 is kept for "the candidate regressed", 2 means the command was misused.
USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        f"Evaluation sets. A set on disk is DIR/{CASES_FILE}, one JSON case per line, with the photos beside it: "
        '{"images": ["front.jpg", "label.jpg"], "category": "electronics", "price_min": 20, "price_max": 80, '
        '"title_must_mention": ["headphones"], "attributes": {"brand": "Sony", "model": null}, "language": "en", '
        '"notes": "..."} ("image": "photo.jpg" for one photo; null: not visible). '
        "Exit status 2 when the input is refused."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        importing = actions.add_parser(
            "import", help="Check every line and photo, then store them all in one go (nothing when any is wrong)."
        )
        importing.add_argument("directory", type=Path)
        importing.add_argument("--dataset", help="The dataset to fill (default: the directory's name).")
        importing.add_argument("--replace", action="store_true", help="Replace the dataset's cases if it has any.")
        exporting = actions.add_parser("export", help="Write a dataset into a new or empty directory.")
        exporting.add_argument("directory", type=Path)
        exporting.add_argument("--dataset", help="The dataset to write (default: the directory's name).")
        demo = actions.add_parser(
            "demo", help=f"Draw the {len(DEMO_CASES)} demo cases (running it again adds only missing ones)."
        )
        demo.add_argument("--dataset", default=DEMO_DATASET)
        production = actions.add_parser(
            "from-production",
            help="Cases from posted suggestions: the stored photo, with the seller's posted values as the answer.",
        )
        production.add_argument("--dataset", default="production")
        production.add_argument("--since", type=int, default=30, help="Analyses of the last DAYS days (default 30).")
        production.add_argument("--limit", type=int, default=200, help="At most N new cases, newest first.")
        production.add_argument(
            "--sold", action="store_true", help="Only listings that sold, with the sale price as the expected price."
        )

    def handle(self, *args, action: str, **options):
        try:
            self.stdout.write(getattr(self, "_" + action.replace("-", "_"))(**options))
        except DomainError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None

    def _import(self, *, directory: Path, dataset: str | None, replace: bool, **options) -> str:
        dataset = dataset or dataset_name_for(directory)
        cases = evalset_import(directory=directory, dataset=dataset, replace=replace)
        return f"Imported {len(cases)} cases into the dataset {dataset!r}."

    def _export(self, *, directory: Path, dataset: str | None, **options) -> str:
        dataset = dataset or dataset_name_for(directory)
        count = evalset_export(dataset=dataset, directory=directory)
        return f"Wrote {count} cases of {dataset!r} to {directory / CASES_FILE}."

    def _demo(self, *, dataset: str, **options) -> str:
        added = evalset_demo(dataset=dataset)
        return f"Added {added} demo cases to {dataset!r} ({len(DEMO_CASES) - added} were there already)."

    def _from_production(self, *, dataset: str, since: int, limit: int, sold: bool = False, **options) -> str:
        if since < 1 or limit < 1:
            raise CommandError("--since and --limit must be 1 or more.", returncode=USAGE_ERROR)
        added = evalset_from_production(dataset=dataset, since_days=since, limit=limit, sold=sold)
        return f"Added {added} cases from {'sold' if sold else 'posted'} listings to {dataset!r}."

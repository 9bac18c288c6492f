"""The dashboard split by the language a suggestion was asked in (Analysis.language): two grouped queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q

from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from feedback.models import Correction
from feedback.selectors import analysis_posted_q
from insights.calibration import corrections_kept
from insights.stats import Proportion

Status = Analysis.Status


@dataclass
class LanguageRow:
    language: str  # "" for analyses from before languages were recorded
    analyses: int = 0
    failed: Proportion = field(default_factory=lambda: Proportion(0, 0))  # failed among finished
    posted: int = 0
    # Per listing field: kept unchanged among the corrections recorded at posting.
    kept: dict[str, Proportion] = field(default_factory=lambda: dict.fromkeys(SUGGESTED_FIELDS, Proportion(0, 0)))

    @property
    def fields(self) -> list[tuple[str, Proportion]]:
        return [(name, self.kept[name]) for name in SUGGESTED_FIELDS]


def language_rows(*, since: datetime) -> list[LanguageRow]:
    """Per language of the analyses uploaded since then: how many, how many failed and were posted, and the share
    of each listing field sellers kept."""
    rows: dict[str, LanguageRow] = {}
    counts = (
        Analysis.objects.filter(created_at__gte=since)
        .values("language")
        .annotate(
            total=Count("pk"),
            finished=Count("pk", filter=Q(status__in=(Status.SUCCEEDED, Status.FAILED))),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            posted=Count("pk", filter=analysis_posted_q()),
        )
        .order_by()
    )
    for count in counts:
        rows[count["language"]] = LanguageRow(
            language=count["language"],
            analyses=count["total"],
            failed=Proportion(count["failed"], count["finished"]),
            posted=count["posted"],
        )
    initial = Correction.objects.filter(kind=Correction.Kind.INITIAL, analysis__created_at__gte=since)
    for (language, name), kept in corrections_kept(initial, group="analysis__language").items():
        row = rows.get(language)
        if row is not None and name in row.kept:
            row.kept[name] = kept
    return [rows[language] for language in sorted(rows)]

"""Calibration: per field and stated confidence level, how often sellers kept the suggested value unchanged.

The suggestion says how sure the model is of each value (Analysis.suggestion["confidence"], flat: "category",
"brand"); the seller's posting says whether it was right enough to keep. A field of a posted analysis is kept
unless an initial correction (feedback) says the seller changed it, so a field no correction was recorded for
counts as kept. Counted: values the model gave (a null, "not visible", is no value to keep) with a stated level;
suggestions from before prompt prefill-v4 state none and are left out rather than counted as "high".

A level whose acceptance does not rise with it (medium kept at least as often as high, or low as medium) is a
finding once both levels have CALIBRATION_MIN_SAMPLE values: below that, the 95% interval of a share is about
±18 points wide and a reversal is mostly noise.
"""

from dataclasses import dataclass, field
from itertools import pairwise

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields.json import KT
from django.utils.translation import gettext, pgettext_lazy

from ai_prefill.confidence import LEVELS as RISING_LEVELS
from ai_prefill.llm.schema import SUGGESTED_FIELDS
from ai_prefill.models import Analysis
from feedback.models import Correction
from feedback.selectors import analysis_posted_q
from insights.stats import Proportion
from marketplace.models import CategoryAttribute

LEVELS = tuple(reversed(RISING_LEVELS))  # as the tables show them, highest first
CALIBRATION_MIN_SAMPLE = 30
LEVEL_LABELS = {
    "high": pgettext_lazy("confidence", "high"),
    "medium": pgettext_lazy("confidence", "medium"),
    "low": pgettext_lazy("confidence", "low"),
}


def level_label(level: str) -> str:
    """A confidence level as the active language names it ("alta" for "high")."""
    return str(LEVEL_LABELS.get(level, level))


def corrections_kept(corrections: QuerySet[Correction], *, group: str) -> dict[tuple[str, str], Proportion]:
    """Per (group, field): the share of these corrections whose value the seller kept unchanged, counted in one
    grouped query. group is a path from Correction, e.g. "analysis__language" or "analysis__variant"."""
    counts = (
        corrections.values(group, "field").annotate(n=Count("pk"), kept=Count("pk", filter=Q(changed=False))).order_by()
    )
    return {(row[group], row["field"]): Proportion(row["kept"], row["n"]) for row in counts}


@dataclass(frozen=True)
class FieldCalibration:
    field: str
    kept: dict[str, Proportion]  # level -> kept of the values suggested at it

    @property
    def cells(self) -> list[tuple[str, Proportion]]:
        return [(level, self.kept.get(level, Proportion(0, 0))) for level in LEVELS]


@dataclass(frozen=True)
class Calibration:
    fields: list[FieldCalibration] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # one sentence per level that does not rise
    min_sample: int = CALIBRATION_MIN_SAMPLE

    @property
    def values(self) -> int:
        return sum(int(share.whole) for row in self.fields for share in row.kept.values())


def calibration_by(*, analyses: QuerySet[Analysis], group: str | None = None) -> dict[str, Calibration]:
    """Calibration over the posted analyses among `analyses`, per value of the `group` field ("language",
    "variant"; "" stands for a blank one), or once under "" without a group. Two queries: the field names, then
    one grouped count per field, sent together as a UNION ALL."""
    posted = analyses.filter(analysis_posted_q(), status=Analysis.Status.SUCCEEDED)
    groups = [group] if group else []
    per_field = [_field_counts(posted, name=name, groups=groups) for name in _field_names(posted)]
    counts = per_field[0].union(*per_field[1:], all=True)
    cells: dict[str, dict[str, dict[str, Proportion]]] = {}
    for row in counts:
        if row["level"] in LEVELS:
            key = (row[group] or "") if group else ""
            by_level = cells.setdefault(key, {}).setdefault(row["field_name"], {})
            by_level[row["level"]] = Proportion(row["kept"], row["n"])
    return {
        key: _calibration(dict(sorted(by_field.items(), key=lambda item: _field_order(item[0]))))
        for key, by_field in sorted(cells.items())
    }


def _field_counts(posted: QuerySet[Analysis], *, name: str, groups: list[str]) -> QuerySet:
    """Per group and level: the posted values of this field, and how many of them no correction says changed."""
    value_key = f"suggestion__{name}" if name in SUGGESTED_FIELDS else f"suggestion__attributes__{name}"
    changed = Correction.objects.filter(analysis=OuterRef("pk"), field=name, kind=Correction.Kind.INITIAL, changed=True)
    return (
        posted.filter(**{"suggestion__confidence__has_key": name, f"{value_key}__isnull": False})
        .exclude(**{value_key: None})
        .exclude(**{value_key: ""})
        .annotate(field_name=Value(name), level=KT(f"suggestion__confidence__{name}"), was_changed=Exists(changed))
        .values(*groups, "field_name", "level")
        .annotate(n=Count("pk"), kept=Count("pk", filter=Q(was_changed=False)))
        .order_by()
    )


def calibration(*, analyses: QuerySet[Analysis]) -> Calibration:
    """Calibration over the posted analyses among `analyses`, all together."""
    return calibration_by(analyses=analyses).get("", Calibration())


def calibration_total(groups: dict[str, Calibration]) -> Calibration:
    """The groups' calibrations as one, their counts added (no second round of queries)."""
    by_field: dict[str, dict[str, Proportion]] = {}
    for group in groups.values():
        for row in group.fields:
            cells = by_field.setdefault(row.field, {})
            for level, share in row.kept.items():
                before = cells.get(level, Proportion(0, 0))
                cells[level] = Proportion(before.part + share.part, before.whole + share.whole)
    return _calibration(dict(sorted(by_field.items(), key=lambda item: _field_order(item[0]))))


def _field_names(posted: QuerySet[Analysis]) -> list[str]:
    """Every field a confidence may name: the listing's, each attribute's, and any a correction names (an attribute
    deleted since). One query."""
    attributes = CategoryAttribute.objects.values_list("slug", flat=True).order_by()
    corrected = Correction.objects.filter(analysis__in=posted.values("pk")).values_list("field", flat=True).order_by()
    others = set(attributes.union(corrected)) - set(SUGGESTED_FIELDS)
    return [*SUGGESTED_FIELDS, *sorted(others)]


def _field_order(name: str) -> tuple[int, str]:
    return (SUGGESTED_FIELDS.index(name), "") if name in SUGGESTED_FIELDS else (len(SUGGESTED_FIELDS), name)


def _calibration(by_field: dict[str, dict[str, Proportion]]) -> Calibration:
    rows = [FieldCalibration(field=name, kept=kept) for name, kept in by_field.items()]
    return Calibration(fields=rows, findings=[sentence for row in rows for sentence in calibration_findings(row)])


def calibration_findings(row: FieldCalibration, *, min_sample: int = CALIBRATION_MIN_SAMPLE) -> list[str]:
    """A sentence for each level whose values sellers kept at least as often as those of the next level up,
    among the levels with enough values (so low is held against high when medium has too few)."""
    rising = [level for level in RISING_LEVELS if row.kept.get(level, Proportion(0, 0)).whole >= min_sample]
    findings = []
    for lower, higher in pairwise(rising):
        low_share, high_share = row.kept[lower], row.kept[higher]
        if low_share.value >= high_share.value:
            findings.append(
                gettext(
                    "%(field)s: sellers kept “%(lower)s” values (%(lower_share)s) at least as often as "
                    "“%(higher)s” ones (%(higher_share)s), so the model's “%(higher)s” is no surer than "
                    "its “%(lower)s” for this field."
                )
                % {
                    "field": row.field,
                    "lower": level_label(lower),
                    "higher": level_label(higher),
                    "lower_share": low_share.with_interval,
                    "higher_share": high_share.with_interval,
                }
            )
    return findings

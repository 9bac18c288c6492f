"""Calibration: per field and confidence level, the share of suggested values sellers kept, and its findings."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import Analysis
from feedback.models import Correction
from insights.calibration import CALIBRATION_MIN_SAMPLE, FieldCalibration, calibration, calibration_by
from insights.calibration import calibration_findings as findings_of
from insights.experiments import experiment_results
from insights.stats import Proportion
from tests.ai_prefill.rollout_helpers import experiment, variant

pytestmark = pytest.mark.django_db

BASE = {"title": "Headphones", "description": "Works.", "category": "electronics", "price": "40.00"}


def posted(rows, *, confidence: dict | None, changed=(), unchanged_rows=(), language="en", attributes=None, **fields):
    """A posted analysis with the given confidence, an initial correction (changed) per field in `changed`, and a
    correction that records no change for each field in `unchanged_rows` (both forms of "kept" must count)."""
    suggestion = {**BASE, "condition": "good", "attributes": attributes or {"brand": "Sony", "model": None}}
    if confidence is not None:
        suggestion["confidence"] = confidence
    analysis = rows.analysis(suggestion=suggestion, **fields)
    Analysis.objects.filter(pk=analysis.pk).update(posted_at=timezone.now(), language=language)
    for name in changed:
        Correction.objects.create(analysis=analysis, field=name, suggested="a", final="b", changed=True, similarity=0)
    for name in unchanged_rows:
        Correction.objects.create(analysis=analysis, field=name, suggested="a", final="a", changed=False, similarity=1)
    return analysis


def many(rows, count: int, kept: int, *, level_of: dict, field_name: str, **extra) -> None:
    """`count` posted analyses with these levels, of which the first `kept` keep `field_name`."""
    for number in range(count):
        changed = () if number < kept else (field_name,)
        unchanged = (field_name,) if number < kept and number % 2 else ()
        posted(rows, confidence=level_of, changed=changed, unchanged_rows=unchanged, **extra)


def test_it_counts_kept_values_per_field_and_level_from_corrections(rows):
    levels = {"category": "high", "brand": "medium", "model": "low", "title": "high"}
    posted(rows, confidence=levels)  # everything kept, no corrections at all
    posted(rows, confidence=levels, changed=["category", "brand"], unchanged_rows=["title"])
    posted(rows, confidence={**levels, "category": "low"}, changed=["category"])
    posted(rows, confidence=None, changed=["category"])  # before prefill-v4: no level stated, left out
    not_posted = rows.analysis(suggestion={**BASE, "confidence": levels})  # never posted: nothing to keep
    Correction.objects.create(
        analysis=not_posted, field="category", suggested="a", final="b", changed=True, similarity=0
    )

    result = calibration(analyses=Analysis.objects.all())

    by_field = {row.field: row.kept for row in result.fields}
    assert by_field["category"] == {"high": Proportion(1, 2), "low": Proportion(0, 1)}
    assert by_field["brand"] == {"medium": Proportion(2, 3)}
    assert by_field["title"] == {"high": Proportion(3, 3)}
    assert "model" not in by_field  # always null, "not visible": no value to keep
    assert result.findings == []  # far below the sample floor


def test_any_field_a_confidence_names_is_counted_attributes_included(rows):
    posted(rows, confidence={"colour": "high"}, attributes={"colour": "black"}, changed=["colour"])
    posted(rows, confidence={"colour": "high"}, attributes={"colour": "red"})

    assert calibration(analyses=Analysis.objects.all()).fields == [
        FieldCalibration(field="colour", kept={"high": Proportion(1, 2)})
    ]


def test_a_level_kept_at_least_as_often_as_the_one_above_is_named_once_both_have_enough_values():
    floor = CALIBRATION_MIN_SAMPLE
    inverted = FieldCalibration("brand", {"high": Proportion(15, floor), "medium": Proportion(27, floor)})
    rising = FieldCalibration("brand", {"high": Proportion(27, floor), "medium": Proportion(15, floor)})
    thin = FieldCalibration("brand", {"high": Proportion(15, floor), "medium": Proportion(27, floor - 1)})
    # medium has too few: low is held against high directly.
    skipping = FieldCalibration(
        "category", {"high": Proportion(20, floor), "medium": Proportion(5, 5), "low": Proportion(25, floor)}
    )

    (sentence,) = findings_of(inverted)
    assert sentence.startswith("brand: sellers kept “medium” values (90.0% [")
    assert "(n=30)) at least as often as “high” ones (50.0% [" in sentence
    assert findings_of(rising) == [] and findings_of(thin) == []
    (skipped,) = findings_of(skipping)
    assert "“low” values (83.3%" in skipped and "“high” ones (66.7%" in skipped


def test_the_dashboard_shows_calibration_names_the_finding_and_splits_by_language(client, staff, rows):
    floor = CALIBRATION_MIN_SAMPLE
    many(rows, floor, floor // 2, level_of={"brand": "high", "category": "high"}, field_name="brand")
    many(rows, floor, floor - 2, level_of={"brand": "medium", "category": "high"}, field_name="brand", language="it")

    client.force_login(staff)
    html = client.get(reverse("ai_monitoring:dashboard")).content.decode()

    assert "Calibration" in html
    assert "brand: sellers kept “medium” values (93.3% [" in html
    assert "50.0% [" in html
    by_language = calibration_by(analyses=Analysis.objects.all(), group="language")
    assert set(by_language) == {"en", "it"}
    assert {row.field: row.kept for row in by_language["it"].fields}["brand"] == {"medium": Proportion(28, 30)}
    assert "By language" in html and "<code>it</code>" in html


def test_the_experiment_results_carry_each_arms_calibration(rows):
    control, candidate = variant("control"), variant("candidate")
    running = experiment((control, 50), (candidate, 50))
    for name, kept in (("control", (True, True, False)), ("candidate", (False, True))):
        for keep in kept:
            posted(rows, confidence={"category": "high"}, changed=() if keep else ("category",), variant=name)
    Analysis.objects.update(experiment=running)

    results = experiment_results(experiment=running)

    arms = {arm.variant: arm for arm in results.arms}
    assert {row.field: row.kept for row in arms["control"].calibration.fields} == {
        "category": {"high": Proportion(2, 3)}
    }
    assert {row.field: row.kept for row in arms["candidate"].calibration.fields} == {
        "category": {"high": Proportion(1, 2)}
    }


def test_the_experiment_page_shows_calibration_per_arm_and_names_a_finding(client, staff, rows):
    control, candidate = variant("control"), variant("candidate")
    running = experiment((control, 50), (candidate, 50))
    floor = CALIBRATION_MIN_SAMPLE
    many(rows, floor, 12, level_of={"category": "high"}, field_name="category", variant="candidate")
    many(rows, floor, 24, level_of={"category": "medium"}, field_name="category", variant="candidate")
    many(rows, 4, 4, level_of={"category": "high"}, field_name="category", variant="control")
    Analysis.objects.update(experiment=running)

    client.force_login(staff)
    page = client.get(reverse("admin:ai_prefill_experiment_change", args=[running.pk])).content.decode()

    assert "category kept at “high” confidence (n = posted values)" in page
    assert "100.0% [51.0%, 100.0%] (n=4)" in page  # the control's four, all kept
    assert "candidate: category: sellers kept “medium” values (80.0% [" in page
    assert "control: category" not in page  # too few values to judge

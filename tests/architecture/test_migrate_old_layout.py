"""A database made by the migrations of the old layout (eval models inside feedback, the posting facts only in
feedback's outcome, eval results naming their model calls in a JSON list) migrates forward with every row."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

# The last migration of each app before the layout changed.
OLD_LAYOUT = [
    ("marketplace", "0004_photo_medium"),
    ("ai_prefill", "0005_prompt_versions_variants_experiments"),
    ("feedback", "0002_eval_runs_and_results"),
    ("evals", None),
]


def migrate(targets):
    """Migrate to the targets and return the apps as they stood there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_apps():
    try:
        yield migrate(OLD_LAYOUT)
    finally:
        # Whatever happened, the rest of the suite gets the schema it expects.
        migrate_to_latest()


def old_rows(apps) -> dict:
    """One of each kind of row, written with the models as the old migrations knew them."""
    User = apps.get_model("marketplace", "User")
    now = timezone.now()
    seller = User.objects.create(username="old-seller", email="old@example.com")
    # A flush by an earlier test may have removed the seeded taxonomy.
    category, _ = apps.get_model("marketplace", "Category").objects.get_or_create(
        slug="electronics", defaults={"name": "Electronics"}
    )
    listing = apps.get_model("marketplace", "Listing").objects.create(
        seller=seller, title="Sony headphones", description="Fine.", category=category, price=Decimal("25"),
        condition="good",
    )  # fmt: skip
    photo = apps.get_model("marketplace", "Photo").objects.create(
        owner=seller, listing=listing, image="photos/old.jpg", thumbnail="photos/old-t.jpg", width=1, height=1
    )
    Analysis = apps.get_model("ai_prefill", "Analysis")
    suggestion = {"title": "Headphones", "description": "Fine.", "category": "electronics", "price": "20.00",
                  "condition": "good"}  # fmt: skip
    analysis = Analysis.objects.create(
        user=seller, photo=photo, status="succeeded", suggestion=suggestion, listing=listing, finished_at=now
    )
    production_call = apps.get_model("ai_prefill", "LLMCall").objects.create(
        analysis=analysis, provider="openai", model="gpt-4o-mini", api_style="responses", prompt_version="prefill-v1",
        started_at=now, cost=Decimal("0.0002"),
    )  # fmt: skip
    eval_call = apps.get_model("ai_prefill", "LLMCall").objects.create(
        analysis=None, provider="openai", model="gpt-4o-mini", api_style="responses", prompt_version="prefill-v1",
        started_at=now, cost=Decimal("0.0003"), request={"image_ref": "eval-run-1-case-1"},
    )  # fmt: skip
    posted_at = now - timedelta(minutes=5)
    apps.get_model("feedback", "Outcome").objects.create(analysis=analysis, posted_at=posted_at, regenerate_count=2)
    Correction = apps.get_model("feedback", "Correction")
    for field, final in (("title", "Sony headphones"), ("description", "Fine."), ("category", "electronics"),
                         ("price", "25.00"), ("condition", "good")):  # fmt: skip
        Correction.objects.create(
            analysis=analysis, listing=listing, field=field, kind="initial", suggested=str(suggestion[field]),
            final=final, changed=final != str(suggestion[field]), similarity=0.5,
        )  # fmt: skip
    vote = apps.get_model("feedback", "Vote").objects.create(analysis=analysis, user=seller, value="up")
    apps.get_model("feedback", "Review").objects.create(analysis=analysis, sample_key=17, reviewed_at=now)
    case = apps.get_model("feedback", "EvalCase").objects.create(
        dataset="old-set", image="eval/old.jpg", expected_category="electronics", source="annotation",
        source_analysis=analysis, expected_title="Sony headphones",
    )  # fmt: skip
    annotation = apps.get_model("feedback", "Annotation").objects.create(
        analysis=analysis, annotator=seller, verdicts={"title": {"correct": False, "value": "Sony headphones"}},
        eval_case=case,
    )  # fmt: skip
    EvalRun = apps.get_model("feedback", "EvalRun")
    baseline = EvalRun.objects.create(
        dataset="old-set", provider="openai", model="gpt-4o-mini", api_style="responses", prompt_version="prefill-v1",
        status="finished", metrics={"n_cases": 1, "category_accuracy": 1.0},
    )  # fmt: skip
    candidate = EvalRun.objects.create(
        dataset="old-set", provider="openai", model="gpt-4o-mini", api_style="responses", prompt_version="prefill-v2",
        status="finished", baseline=baseline,
    )  # fmt: skip
    result = apps.get_model("feedback", "EvalResult").objects.create(
        run=candidate, case=case, expected={"category": "electronics"}, produced=suggestion, schema_valid=True,
        category_correct=True, llm_call_ids=[eval_call.pk, 999_999],
    )  # fmt: skip
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="feedback", model="evalrun")
    return {
        "analysis": analysis.pk, "listing": listing.pk, "vote": vote.pk, "case": case.pk, "annotation": annotation.pk,
        "baseline": baseline.pk, "candidate": candidate.pk, "result": result.pk, "eval_call": eval_call.pk,
        "production_call": production_call.pk, "posted_at": posted_at,
    }  # fmt: skip


def test_every_row_of_the_old_layout_is_there_after_migrating(old_apps):
    rows = old_rows(old_apps)
    old_content_type = ContentType.objects.get(app_label="feedback", model="evalrun").pk

    migrate_to_latest()

    from ai_prefill.models import Analysis, LLMCall
    from evals.models import EvalCase, EvalResult, EvalRun
    from feedback.models import Annotation, Correction, Outcome, Review, Vote

    analysis = Analysis.objects.get(pk=rows["analysis"])
    assert (analysis.listing_id, analysis.posted_at, analysis.regenerate_count) == (
        rows["listing"],
        rows["posted_at"],
        2,
    )
    assert analysis.posted_values == {"title": "Sony headphones", "description": "Fine.", "category": "electronics",
                                      "price": "25.00", "condition": "good"}  # fmt: skip
    assert Outcome.objects.get(analysis=analysis).posted_at == rows["posted_at"]
    assert Correction.objects.filter(analysis=analysis, kind="initial").count() == 5
    assert Vote.objects.get(pk=rows["vote"]).value == "up"
    assert Review.objects.get(analysis=analysis).sample_key == 17
    case = EvalCase.objects.get(pk=rows["case"])
    assert (case.dataset, case.expected_title, case.source_analysis_id) == ("old-set", "Sony headphones", analysis.pk)
    assert Annotation.objects.get(pk=rows["annotation"]).eval_case == case
    candidate = EvalRun.objects.get(pk=rows["candidate"])
    assert candidate.baseline_id == rows["baseline"] and candidate.baseline.metrics["category_accuracy"] == 1.0
    result = EvalResult.objects.get(pk=rows["result"])
    assert (result.run, result.case) == (candidate, case)
    # The id of a call that no longer exists is dropped; the one that exists is now a real relation.
    assert list(result.llm_calls.values_list("pk", flat=True)) == [rows["eval_call"]]
    assert LLMCall.objects.get(pk=rows["eval_call"]).purpose == LLMCall.Purpose.EVAL
    assert LLMCall.objects.get(pk=rows["production_call"]).purpose == LLMCall.Purpose.PRODUCTION
    # Staff permissions and admin history follow the model: the content type moved, it was not made anew.
    assert ContentType.objects.get(pk=old_content_type).app_label == "evals"

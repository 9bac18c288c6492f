"""Staff browse evaluation runs and their per-case results in admin; model output is shown escaped."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import LLMCall
from evals.metrics import run_metrics
from evals.models import EvalResult, EvalRun
from evals.runner import expected_snapshot
from tests.evals.eval_cases import make_case
from tests.security.inline_code import page_findings

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def make_run(model: str, case, *, produced: dict | None, baseline: EvalRun | None = None) -> EvalRun:
    run = EvalRun.objects.create(
        dataset="toys", provider="openai", model=model, api_style="responses", prompt_version="prefill-v1",
        baseline=baseline, status=EvalRun.Status.FINISHED,
    )  # fmt: skip
    call = LLMCall.objects.create(
        provider="openai", model=model, api_style="responses", prompt_version="prefill-v1",
        started_at=timezone.now(), input_tokens=850, output_tokens=60, cost=Decimal("0.000164"),
        error_type="" if produced else "schema_violation", error_message=f"bad {SCRIPT}", raw_output=f"{SCRIPT} raw",
    )  # fmt: skip
    EvalResult.objects.create(
        run=run, case=case, expected=expected_snapshot(case), produced=produced,
        error_type="" if produced else "schema_violation", schema_valid=bool(produced),
        category_correct=bool(produced and produced["category"] == case.expected_category),
        latency_ms=120, input_tokens=850, output_tokens=60, cost=Decimal("0.000164"),
    ).llm_calls.set([call])  # fmt: skip
    run.metrics = run_metrics(list(run.results.all()))
    run.save()
    return run


@pytest.fixture
def runs():
    case = make_case("toys", "red", "electronics", price=(20, 80), words=["headphones"], title=f"Lamp {SCRIPT}")
    produced = {"title": f"Headphones {SCRIPT}", "description": SCRIPT, "category": "electronics", "price": "50.00",
                "condition": "good"}  # fmt: skip
    baseline = make_run("gpt-4o-mini", case, produced=produced)
    candidate = make_run("worse-model", case, produced=None, baseline=baseline)
    return baseline, candidate


def staff_page(client, staff, url: str) -> str:
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert page_findings(html) == []  # nothing the Content-Security-Policy would block
    return html


def test_the_run_list_shows_dataset_model_prompt_and_metrics(client, staff, runs):
    html = staff_page(client, staff, reverse("admin:evals_evalrun_changelist"))

    assert "gpt-4o-mini" in html and "worse-model" in html and "prefill-v1" in html
    assert "100.0%" in html and "0.0%" in html  # category accuracy of each
    assert "$0.000164" in html


def test_a_candidate_run_shows_the_metrics_beside_its_baseline_and_the_changed_cases(client, staff, runs):
    _, candidate = runs

    html = staff_page(client, staff, reverse("admin:evals_evalrun_change", args=[candidate.pk]))

    assert "-100.0 pp" in html
    assert f"?run__id__exact={candidate.pk}" in html
    result = EvalResult.objects.get(run=candidate)
    assert reverse("admin:evals_evalresult_change", args=[result.pk]) in html
    assert "category right → wrong" in html
    assert SCRIPT not in html and ESCAPED in html


def test_the_result_list_shows_the_photo_expected_and_produced_escaped(client, staff, runs):
    baseline, _ = runs

    html = staff_page(client, staff, reverse("admin:evals_evalresult_changelist") + f"?run__id__exact={baseline.pk}")

    assert 'class="review-thumb"' in html
    assert "electronics · 20.00 – 80.00 · headphones" in html
    assert f"electronics · 50.00 · Headphones {ESCAPED}" in html
    assert SCRIPT not in html


def test_a_result_shows_expected_beside_produced_and_its_model_calls_escaped(client, staff, runs):
    baseline, candidate = runs
    good, failed = EvalResult.objects.get(run=baseline), EvalResult.objects.get(run=candidate)

    html = staff_page(client, staff, reverse("admin:evals_evalresult_change", args=[good.pk]))
    assert 'class="review-photo"' in html
    assert f"<td class='review-text'>Lamp {ESCAPED}</td><td class='review-text'>Headphones {ESCAPED}</td>" in html
    assert f"{ESCAPED} raw" in html and SCRIPT not in html

    html = staff_page(client, staff, reverse("admin:evals_evalresult_change", args=[failed.pk]))
    assert "schema_violation" in html and f"bad {ESCAPED}" in html and SCRIPT not in html


def test_runs_are_records_nobody_adds_or_edits_and_only_staff_see(client, seller, staff, runs):
    baseline, _ = runs
    client.force_login(seller)
    assert client.get(reverse("admin:evals_evalrun_changelist")).status_code == 302

    client.force_login(staff)
    assert client.get(reverse("admin:evals_evalrun_add")).status_code == 403
    assert client.get(reverse("admin:evals_evalresult_add")).status_code == 403
    response = client.post(reverse("admin:evals_evalrun_change", args=[baseline.pk]), {"model": "edited"})
    assert response.status_code == 403
    assert EvalRun.objects.get(pk=baseline.pk).model == "gpt-4o-mini"


def test_a_run_with_details_shows_attribute_confidence_and_language_tables_and_each_photo(client, staff):
    case = make_case("toys", "red", "electronics", title="Headphones")
    case.expected_attributes = {"brand": "Sony", "model": None, "colour": "black"}
    case.language = "it"
    case.save()
    more = make_case("toys", "blue", "electronics")
    case.more_photos.create(position=1, image=more.image.name)
    produced = {
        "title": "Headphones", "description": "Works.", "category": "electronics", "price": "50.00",
        "condition": "good", "attributes": {"brand": f"Sony {SCRIPT}", "model": None, "colour": "black"},
        "confidence": {"category": "high", "brand": "medium", "colour": "low"},
    }  # fmt: skip
    run = make_run("gpt-4o-mini", case, produced=produced)
    result = run.results.get()
    result.attribute_verdicts = {"brand": False, "model": True, "colour": True}
    result.save()
    run.metrics = run_metrics(list(run.results.all()))
    run.save()

    run_html = staff_page(client, staff, reverse("admin:evals_evalrun_change", args=[run.pk]))
    result_html = staff_page(client, staff, reverse("admin:evals_evalresult_change", args=[result.pk]))
    case_html = staff_page(client, staff, reverse("admin:evals_evalcase_change", args=[case.pk]))

    assert "not_visible_precision" in run_html and "attribute_accuracy" in run_html
    runs_html = staff_page(client, staff, reverse("admin:evals_evalrun_changelist"))
    assert "column-attribute_accuracy" in runs_html and "50.0%" in runs_html  # colour right, brand wrong
    assert "Accuracy by confidence" in run_html and "category high" in run_html and "100% (1/1)" in run_html
    assert "colour low" in run_html and "brand medium" in run_html and "0% (0/1)" in run_html
    assert "not visible" in result_html and "(medium) ✗" in result_html and "black (low) ✓" in result_html
    assert SCRIPT not in result_html and ESCAPED in result_html
    assert result_html.count('class="review-photo"') == 2
    assert case_html.count('class="review-photo"') == 2 and more.image.name in case_html

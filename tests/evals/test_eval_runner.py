"""The eval command end to end against the fake OpenAI server: metrics, the comparison, the gate, the JSON."""

import io
import json
import re
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ai_prefill.images import prepare_model_image
from ai_prefill.llm.pricing import cost_estimate
from ai_prefill.llm.prompt import current_prompt_version
from ai_prefill.models import LLMCall
from evals.metrics import METRIC_NAMES
from evals.models import EvalCase, EvalResult, EvalRun
from tests.ai_prefill.llm_helpers import photo_jpeg, received_image
from tests.conftest import require_service
from tests.evals.eval_cases import COLOURS, answer_by_model_and_colour, make_case, photo_colour, write_case_dir

# The worker threads need committed rows; their LLMCall writes need a database that takes concurrent
# writers. The in-memory SQLite of the tests locks a whole table against a second connection at once
# ("database table is locked"), so there one case runs at a time, still on a pool thread; PostgreSQL runs
# four (and test_it_runs_cases_in_parallel_and_gives_back_every_connection proves they overlap).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_categories")]

BASELINE_ANSWERS = {
    "red": {"title": "Wireless Headphones", "description": "Works fine.", "category": "electronics", "price": 50},
    "green": {"title": "Wooden stool", "description": "An amazing stool!", "category": "home-garden", "price": 40},
    "blue": {"title": "Blue jeans", "description": "Straight cut.", "category": "clothing", "price": 25},
    "yellow": {"title": "Paperback novel", "description": "Perfect condition.", "category": "books", "price": 12},
}
WORSE_ANSWERS = {
    **BASELINE_ANSWERS,
    "red": {**BASELINE_ANSWERS["red"], "category": "spaceships"},  # outside the schema's enum: rejected twice
    "blue": {**BASELINE_ANSWERS["blue"], "category": "other"},
}
TOKENS = {"input_tokens": 850, "output_tokens": 60}
BASELINE_METRICS = {
    "n_cases": 4,
    "schema_valid_rate": 1.0,
    "category_accuracy": 0.75,
    "price_in_range_rate": 0.666667,  # red 50 in 20-80, green 40 not in 10-30, yellow 12 in 5-15; blue has no range
    "price_median_abs_pct_error": 0.2,  # |50-50|/50, |40-20|/20, |12-10|/10 -> 0, 1, 0.2
    "title_mention_rate": 0.666667,  # "Headphones" yes, "stool" is not "chair", "Blue jeans" yes
    "tone_flag_rate": 0.5,  # "amazing" and "!", "Perfect"
    "error_rate": 0.0,
    "tokens_total": 4 * (850 + 60),
}
WORSE_METRICS = {
    "n_cases": 4,
    "schema_valid_rate": 0.75,
    "category_accuracy": 0.25,
    "price_in_range_rate": 0.333333,
    "price_median_abs_pct_error": 0.6,  # red gave no answer: 1.0 and 0.2 remain
    "title_mention_rate": 0.333333,
    "tone_flag_rate": 0.666667,  # over the three answers
    "error_rate": 0.25,
    "tokens_total": 5 * (850 + 60),  # red: two rejected answers
    "cost_total": None,  # no price is known for it: reported as unknown, not as $0
}


@pytest.fixture
def concurrency() -> int:
    return 4 if connection.vendor == "postgresql" else 1


@pytest.fixture
def cases():
    return {
        "red": make_case("toys", "red", "electronics", price=(20, 80), words=["headphones"]),
        "green": make_case("toys", "green", "furniture", price=(10, 30), words=["chair"]),
        "blue": make_case("toys", "blue", "clothing", words=["jeans"]),
        "yellow": make_case("toys", "yellow", "books", price=(5, 15)),
    }


@pytest.fixture
def model(fake_openai):
    fake_openai.answer = answer_by_model_and_colour(
        {"gpt-4o-mini": BASELINE_ANSWERS, "worse-model": WORSE_ANSWERS, "twin-model": BASELINE_ANSWERS}
    )
    return fake_openai


def run_eval(*args: str, concurrency: int) -> str:
    out = io.StringIO()
    call_command("eval", "--dataset", "toys", "--concurrency", str(concurrency), *args, stdout=out)
    return out.getvalue()


def eval_failure(*args: str, concurrency: int = 1) -> tuple[CommandError, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("eval", "--concurrency", str(concurrency), *args, stdout=out)
    return raised.value, out.getvalue()


def test_it_scores_every_case_against_hand_computed_metrics(model, cases, concurrency):
    output = run_eval("--model", "gpt-4o-mini", concurrency=concurrency)

    run = EvalRun.objects.get()
    assert (run.status, run.dataset, run.model, run.provider) == ("finished", "toys", "gpt-4o-mini", "openai")
    assert run.prompt_version == current_prompt_version() and len(run.prompt_hash) == 64
    assert {name: run.metrics[name] for name in BASELINE_METRICS} == BASELINE_METRICS
    assert run.metrics["cost_total"] == pytest.approx(float(4 * cost_estimate(model="gpt-4o-mini", **TOKENS)))
    assert 0 <= run.metrics["latency_p50_ms"] <= run.metrics["latency_p95_ms"]
    assert "category_accuracy" in output and "75.0%" in output and "3,640" in output
    assert "  3/4 cases" in output  # progress while it runs


def test_each_result_keeps_what_the_model_said_its_verdicts_and_its_calls(model, cases, concurrency):
    run_eval("--model", "gpt-4o-mini", concurrency=concurrency)

    green = EvalResult.objects.get(case=cases["green"])
    assert green.produced["category"] == "home-garden" and green.produced["price"] == "40.00"
    assert green.expected["category"] == "furniture" and green.expected["price_min"] == "10.00"
    assert (green.schema_valid, green.category_correct, green.price_in_range) == (True, False, False)
    assert (green.title_mentions, green.tone_flagged, green.tone_words) == (False, True, ["amazing", "!"])
    assert green.price_abs_pct_error == pytest.approx(1.0)
    (call,) = green.llm_calls.all()
    assert call.analysis is None and json.loads(call.raw_output)["title"] == "Wooden stool"
    assert call.purpose == LLMCall.Purpose.EVAL
    assert EvalResult.objects.get(case=cases["blue"]).price_in_range is None  # the case expects no price
    assert sorted(
        pk for result in EvalResult.objects.all() for pk in result.llm_calls.values_list("pk", flat=True)
    ) == (sorted(LLMCall.objects.values_list("pk", flat=True)))


def test_it_sends_what_the_worker_would_send(model, cases, concurrency):
    run_eval("--model", "gpt-4o-mini", "--api-style", "chat", concurrency=concurrency)

    assert len(model.requests) == 4
    for request in model.requests:
        assert request.path == "/v1/chat/completions" and request.body["model"] == "gpt-4o-mini"
        case = cases[photo_colour(request.body)]
        with case.image.open("rb") as image_file:
            assert received_image(request.body) == prepare_model_image(image_file.read())


def test_a_candidate_that_answers_worse_trips_the_gate_with_status_1(model, cases, concurrency, tmp_path):
    report_path = tmp_path / "report.json"
    error, output = eval_failure(
        "--dataset", "toys", "--model", "gpt-4o-mini", "--compare-model", "worse-model",
        "--json", str(report_path), concurrency=concurrency,
    )  # fmt: skip

    assert error.returncode == 1
    assert "category_accuracy fell from 75.0% to 25.0%" in str(error)
    baseline, candidate = EvalRun.objects.order_by("id")
    assert candidate.baseline == baseline and candidate.model == "worse-model"
    assert {name: candidate.metrics[name] for name in WORSE_METRICS} == WORSE_METRICS
    red = EvalResult.objects.get(run=candidate, case=cases["red"])
    assert (red.produced, red.error_type, red.attempts, red.llm_calls.count()) == (None, "schema_violation", 2, 2)
    assert "baseline  (run" in output and "candidate (run" in output
    assert re.search(r"\ncategory_accuracy +75\.0% +25\.0% +-50\.0 pp\n", output)
    assert "Cases that changed verdict, baseline → candidate: 5" in output
    assert f"case {cases['blue'].pk} 'blue thing': category right → wrong ('clothing' → 'other')" in output
    assert f"case {cases['red'].pk} 'red thing': schema valid → invalid" in output
    assert "FAILED" in output

    report = json.loads(report_path.read_text())
    assert [(run["role"], run["model"], run["prompt"]) for run in report["runs"]] == [
        ("baseline", "gpt-4o-mini", current_prompt_version()),
        ("candidate", "worse-model", current_prompt_version()),
    ]
    assert report["runs"][0]["metrics"] == {name: baseline.metrics[name] for name in METRIC_NAMES}
    assert report["runs"][0]["by_language"] == baseline.metrics["by_language"]
    assert report["runs"][0]["pricing"] == baseline.metrics["pricing"]
    assert report["runs"][1]["metrics"]["category_accuracy"] == 0.25
    assert report["gate"]["passed"] is False and len(report["gate"]["failures"]) == 2
    assert len(report["changed_verdicts"]) == 5


def test_a_harmless_candidate_passes_the_gate(model, cases, concurrency, tmp_path):
    output = run_eval(
        "--model", "gpt-4o-mini", "--compare-model", "twin-model", "--json", str(tmp_path / "r.json"),
        concurrency=concurrency,
    )  # fmt: skip

    assert "Cases that changed verdict, baseline → candidate: none" in output
    assert "may drop by 2.0 points at most): passed" in output
    assert json.loads((tmp_path / "r.json").read_text())["gate"]["passed"] is True


def test_a_drop_of_exactly_max_drop_passes(model, cases, concurrency):
    # worse-model loses 0.5 of category accuracy and 0.25 of schema validity: "more than 0.5" it is not.
    output = run_eval(
        "--model", "gpt-4o-mini", "--compare-model", "worse-model", "--max-drop", "0.5", concurrency=concurrency
    )

    assert "passed" in output


def test_one_run_prints_one_column_and_writes_one_run(model, cases, concurrency, tmp_path):
    output = run_eval("--model", "gpt-4o-mini", "--json", str(tmp_path / "r.json"), concurrency=concurrency)

    assert "value" in output and "Gate" not in output
    report = json.loads((tmp_path / "r.json").read_text())
    assert [run["model"] for run in report["runs"]] == ["gpt-4o-mini"] and report["gate"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nowhere", "--model", "gpt-4o-mini"], "There is no dataset 'nowhere'"),
        (["--dataset", "toys", "--model", "gpt-4o-mini", "--prompt", "nope-v9"], "nope-v9"),
        (["--dataset", "toys", "--model", "gpt-4o-mini", "--compare-prompt", "nope-v9"], "nope-v9"),
        (["--dataset", "toys", "--model", "gpt-4o-mini", "--api-style", "soap"], "Unknown API style 'soap'"),
        (["--dataset", "toys", "--model", "gpt-4o-mini", "--max-drop", "2"], "--max-drop is a share"),
        (["--dataset", "toys", "--model", "gpt-4o-mini", "--json", "/no/such/dir/r.json"], "no directory"),
    ],
)
def test_a_usage_error_exits_with_status_2_before_any_run(model, cases, args, message):
    error, _ = eval_failure(*args)

    assert error.returncode == 2 and message in str(error)
    assert not EvalRun.objects.exists() and not model.requests


def test_concurrency_0_is_a_usage_error(model, cases):
    error, _ = eval_failure("--dataset", "toys", "--model", "gpt-4o-mini", concurrency=0)

    assert error.returncode == 2 and "concurrency must be between 1 and 64, not 0" in str(error)
    assert not EvalRun.objects.exists()


def test_without_an_openai_server_configured_it_says_so(settings, cases):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "", ""

    error, _ = eval_failure("--dataset", "toys", "--model", "gpt-4o-mini")

    assert error.returncode == 2 and "--model demo" in str(error)


def test_the_demo_model_runs_offline(cases):
    output = run_eval("--model", "demo", concurrency=1)

    run = EvalRun.objects.get()
    assert (run.provider, run.model, run.metrics["n_cases"], run.metrics["error_rate"]) == ("demo", "demo", 4, 0.0)
    assert "n_cases" in output


def test_a_directory_is_imported_once_under_a_name_from_its_content(model, tmp_path, concurrency):
    directory = write_case_dir(
        tmp_path / "shop-set",
        [{"image": "red.jpg", "category": "electronics", "price_min": 20, "price_max": 80}],
        {"red.jpg": _jpeg("red")},
    )

    run_eval_dir = ["--dataset", str(directory), "--model", "gpt-4o-mini", "--concurrency", str(concurrency)]
    call_command("eval", *run_eval_dir, stdout=io.StringIO())
    call_command("eval", *run_eval_dir, stdout=io.StringIO())
    (directory / "red.jpg").write_bytes(_jpeg("blue"))
    call_command("eval", *run_eval_dir, stdout=io.StringIO())

    first, second, third = EvalRun.objects.order_by("id")
    assert first.dataset == second.dataset != third.dataset
    assert first.dataset.startswith("shop-set-")
    assert EvalCase.objects.filter(dataset=first.dataset).count() == 1
    assert first.metrics["category_accuracy"] == 1.0 and third.metrics["category_accuracy"] == 0.0


def _jpeg(colour: str) -> bytes:
    return photo_jpeg(color=COLOURS[colour])


@pytest.mark.services
def test_it_runs_cases_in_parallel_and_gives_back_every_connection(model, cases):
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    # The fake holds every answer until all four requests are in: a runner taking one case at a time
    # would break the barrier (its first request times out) instead of passing.
    barrier = threading.Barrier(4, timeout=10)
    by_colour = answer_by_model_and_colour({"gpt-4o-mini": BASELINE_ANSWERS})

    def answer(body: dict) -> dict:
        barrier.wait()
        return by_colour(body)

    model.answer = answer

    run_eval("--model", "gpt-4o-mini", concurrency=4)

    assert model.max_in_flight == 4
    assert EvalRun.objects.get().metrics["error_rate"] == 0.0
    # A closed connection's server process takes a moment to leave the list.
    deadline = time.monotonic() + 5
    while other_connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_connections() == 0


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_eval_variant_sends_exactly_what_the_experiment_would_ship(model, cases, settings):
    from tests.ai_prefill.rollout_helpers import variant

    settings.AI_API_STYLE = "responses"
    variant("warmer", model="twin-model", prompt_version="prefill-v2", api_style="chat", params={"temperature": 0.7})
    model.reset()

    output = run_eval("--variant", "warmer", "--compare-model", "gpt-4o-mini", concurrency=1)

    baseline, candidate = EvalRun.objects.order_by("id")
    assert (baseline.variant, baseline.model, baseline.prompt_version, baseline.api_style) == (
        "warmer",
        "twin-model",
        "prefill-v2",
        "chat",
    )
    assert baseline.params["temperature"] == 0.7  # over the prompt version's own parameters
    sent = [request.body for request in model.requests if request.body.get("model") == "twin-model"]
    assert len(sent) == 4 and all(body["temperature"] == 0.7 for body in sent)
    assert all(request.path.endswith("/chat/completions") for request in model.requests)
    # The candidate keeps the variant's prompt version and API style, with the other model.
    assert (candidate.variant, candidate.model, candidate.prompt_version, candidate.api_style) == (
        "",
        "gpt-4o-mini",
        "prefill-v2",
        "chat",
    )
    assert "variant warmer" in output


def test_eval_refuses_an_unknown_variant_and_a_baseline_given_twice(model, cases):
    error, _ = eval_failure("--dataset", "toys", "--variant", "nope")
    assert error.returncode == 2 and "There is no variant called 'nope'" in str(error)
    error, _ = eval_failure("--dataset", "toys", "--variant", "nope", "--model", "gpt-4o-mini")
    assert error.returncode == 2 and "--model (with --prompt) or as --variant" in str(error)


# Model upgrades (issue 17): the reasoning family beside the old model, with cost and latency.


@pytest.fixture
def luna(model):
    model.answer = answer_by_model_and_colour({"gpt-4o-mini": BASELINE_ANSWERS, "gpt-6-luna": BASELINE_ANSWERS})
    model.cached_input_tokens = 512
    return model


def test_the_reasoning_model_is_compared_with_cost_and_latency_beside_accuracy(luna, cases, concurrency, tmp_path):
    output = run_eval(
        "--model", "gpt-4o-mini", "--prompt", "prefill-v1", "--compare-model", "gpt-6-luna",
        "--compare-prompt", "prefill-v3", "--compare-effort", "medium", "--json", str(tmp_path / "r.json"),
        concurrency=concurrency,
    )  # fmt: skip

    assert "candidate (run " in output and "gpt-6-luna, prompt prefill-v3, API responses, effort medium" in output
    assert re.search(r"model_latency_p95_ms\s+[\d,]+ ms\s+[\d,]+ ms", output)
    assert "may drop by 2.0 points at most): passed" in output
    baseline, candidate = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert candidate["params"]["reasoning_effort"] == "medium" and "reasoning_effort" not in baseline["params"]
    luna_cost = cost_estimate(model="gpt-6-luna", input_tokens=850, cached_input_tokens=512, output_tokens=60 + 320)
    assert candidate["metrics"]["cost_per_analysis"] == pytest.approx(float(luna_cost))
    assert baseline["metrics"]["cost_per_analysis"] == pytest.approx(
        float(cost_estimate(model="gpt-4o-mini", **TOKENS, cached_input_tokens=512))
    )
    sent = [request.body for request in luna.requests if request.body["model"] == "gpt-6-luna"]
    assert all(body["reasoning"] == {"effort": "medium"} and "temperature" not in body for body in sent)


def test_a_saved_variant_is_the_candidate(luna, cases, concurrency):
    from tests.ai_prefill.rollout_helpers import variant

    variant("luna-low", model="gpt-6-luna", prompt_version="prefill-v3", params={"reasoning_effort": "low"})

    output = run_eval("--model", "gpt-4o-mini", "--compare-variant", "luna-low", concurrency=concurrency)

    assert "gpt-6-luna, prompt prefill-v3, API responses, effort low" in output and "passed" in output


def test_a_model_without_a_known_price_is_reported_as_such(model, cases, concurrency):
    output = run_eval("--model", "gpt-4o-mini", "--compare-model", "twin-model", concurrency=concurrency)

    assert re.search(r"cost_per_analysis\s+\$0\.\d+\s+unknown price", output)


def test_an_effort_the_model_refuses_is_a_usage_error(model, cases):
    error, _ = eval_failure("--dataset", "toys", "--model", "gpt-4o-mini", "--compare-model", "gpt-6-luna",
                            "--compare-effort", "huge")  # fmt: skip

    assert error.returncode == 2 and "reasoning_effort 'huge' is not one gpt-6-luna takes" in str(error)

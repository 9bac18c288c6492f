"""The pre-fill's real code path emits what on-call needs: one span per model attempt, logs tagged with
the analysis id. Runs the lifecycle against the fake OpenAI server, over HTTP."""

from opentelemetry.trace import StatusCode

from ai_prefill.models import Analysis
from ai_prefill.services import analysis_run
from tests.factories import suggested_analysis


def pending_analysis(user) -> Analysis:
    return suggested_analysis(user=user, status=Analysis.Status.PENDING, finished_at=None, attempts=0)


def test_every_model_attempt_is_a_span_tagged_with_the_analysis(seller, fake_openai, spans):
    analysis = pending_analysis(seller)
    fake_openai.script(["500", "ok"])

    analysis_run(analysis_id=analysis.pk)

    first, second = sorted(spans(), key=lambda span: span.attributes["trova.attempt"])
    assert [first.attributes["trova.attempt"], second.attributes["trova.attempt"]] == [1, 2]
    assert first.status.status_code == StatusCode.ERROR
    assert first.attributes["error.type"] == "server_error"
    assert second.status.status_code == StatusCode.UNSET
    assert second.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert second.attributes["gen_ai.usage.input_tokens"] > 0
    assert {span.attributes["trova.analysis_id"] for span in (first, second)} == {str(analysis.pk)}


def test_the_workers_log_lines_about_an_analysis_carry_its_id(seller, fake_openai, log_lines):
    analysis = pending_analysis(seller)
    fake_openai.script(["500", "ok"])

    analysis_run(analysis_id=analysis.pk)

    retry_lines = [line for line in log_lines() if "retrying" in line["message"]]
    assert retry_lines, "the failed first attempt should be logged"
    assert all(line["analysis_id"] == str(analysis.pk) for line in retry_lines)

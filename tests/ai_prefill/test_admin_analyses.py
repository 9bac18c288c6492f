"""Staff inspect analyses and their model calls in Django admin."""

import pytest
from django.urls import reverse

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import analysis_run, analysis_start
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_analysis(seller, fake_openai):
    fake_openai.script(["500", "ok"])
    analysis = analysis_start(user=seller, uploads=[photo_upload()])
    analysis_run(analysis_id=analysis.pk)
    fake_openai.script(["invalid_json", "invalid_json"])
    failed = analysis_start(user=seller, uploads=[photo_upload()])
    analysis_run(analysis_id=failed.pk)
    return Analysis.objects.get(pk=failed.pk)


def test_staff_see_analyses_with_photo_model_and_cost(client, staff, failed_analysis):
    client.force_login(staff)

    response = client.get(reverse("admin:ai_prefill_analysis_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert failed_analysis.photo.thumbnail.url in page
    assert "gpt-4o-mini" in page
    assert "invalid_output" in page
    assert "0.000" in page  # the cost column, summed over the attempts


def test_staff_filter_analyses_by_status_and_error(client, staff, failed_analysis):
    client.force_login(staff)
    url = reverse("admin:ai_prefill_analysis_changelist")

    failed = client.get(url, {"status__exact": "failed"}).context["cl"].result_list
    by_error = client.get(url, {"error_type__exact": "invalid_output"}).context["cl"].result_list
    searched = client.get(url, {"q": "seller"}).context["cl"].result_list

    assert [analysis.pk for analysis in failed] == [failed_analysis.pk]
    assert [analysis.pk for analysis in by_error] == [failed_analysis.pk]
    assert len(searched) == 2


def test_staff_read_every_attempt_of_an_analysis(client, staff, failed_analysis):
    client.force_login(staff)

    response = client.get(reverse("admin:ai_prefill_analysis_change", args=[failed_analysis.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    calls = LLMCall.objects.filter(analysis=failed_analysis)
    assert calls.count() == 2
    assert "Sure! Here are the details" in page  # the raw output of the invalid answers
    assert failed_analysis.photo.image.name in page  # the request refers to the stored photo ...
    assert "base64," not in page  # ... instead of carrying its bytes


def test_staff_browse_model_calls_but_cannot_edit_them(client, staff, failed_analysis):
    client.force_login(staff)
    call = LLMCall.objects.filter(analysis=failed_analysis).first()

    listing = client.get(reverse("admin:ai_prefill_llmcall_changelist"), {"error_type__exact": "invalid_output"})
    assert len(listing.context["cl"].result_list) == 2
    detail = client.get(reverse("admin:ai_prefill_llmcall_change", args=[call.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get(reverse("admin:ai_prefill_llmcall_add")).status_code == 403
    assert client.get(reverse("admin:ai_prefill_analysis_add")).status_code == 403


def test_sellers_cannot_open_the_admin(client, seller, failed_analysis):
    client.force_login(seller)

    response = client.get(reverse("admin:ai_prefill_analysis_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

"""Each analysis records the language its suggestion is asked in: the seller's, when it started."""

import pytest
from django.utils import translation

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import analysis_regenerate, analysis_run, analysis_start
from tests.factories import jpeg_bytes, photo_upload

pytestmark = pytest.mark.django_db


def start(user, **kwargs) -> Analysis:
    return analysis_start(user=user, uploads=[photo_upload(data=jpeg_bytes(800, 600))], **kwargs)


def test_it_records_the_active_language_of_the_request(seller):
    with translation.override("it"):
        italian = start(seller)
    english = start(seller)

    assert (italian.language, english.language) == ("it", "en")
    assert Analysis.objects.get(pk=italian.pk).language == "it"


def test_a_language_the_site_does_not_speak_falls_back_to_the_default(seller):
    with translation.override("de"):
        assert start(seller).language == "en"
    with translation.override("it-ch"):
        assert start(seller).language == "it"


def test_a_regenerated_analysis_is_asked_in_the_language_the_seller_has_now(seller):
    first = start(seller)
    analysis_run(analysis_id=first.pk)

    with translation.override("it"):
        again = analysis_regenerate(user=seller, analysis_id=first.pk)

    assert (first.language, again.language) == ("en", "it")


def test_the_worker_asks_the_model_in_the_analysis_language(seller, fake_openai, settings):
    settings.AI_PROMPT_VERSION = "prefill-v4"
    with translation.override("it"):
        analysis = start(seller)

    analysis_run(analysis_id=analysis.pk)  # the worker's thread has no active Italian: the row says it

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.suggestion["language"] == "it"
    assert analysis.suggestion["title"] == "Tazza in ceramica rossa"
    assert "in Italian" in fake_openai.last_request.body["instructions"]
    assert LLMCall.objects.get(analysis=analysis).prompt_version == "prefill-v4"

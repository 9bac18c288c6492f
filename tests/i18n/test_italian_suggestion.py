"""An Italian seller gets an Italian suggestion through the site: the API upload, the real Celery worker on
Redis, the real openai SDK against the fake model (which answers in the language the instructions ask for)."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from ai_prefill.models import Analysis
from config.celery import app
from tests.ai_prefill.test_worker_integration import finished, wait_for
from tests.factories import jpeg_bytes, photo_upload
from tests.fake_openai import DEFAULT_ANSWER, DEFAULT_ANSWER_ITALIAN, request_instructions

# The worker sees only committed rows, so these tests commit.
pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_categories"),
]


@pytest.fixture
def worker(redis_broker, fake_openai, settings):
    settings.AI_PROMPT_VERSION = "prefill-v4"  # the prompt that takes the seller's language
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
        yield fake_openai


def upload_and_wait(client, **headers) -> dict:
    response = client.post("/api/analyses", {"image": photo_upload(data=jpeg_bytes(1200, 900))}, **headers)
    assert response.status_code == 202, response.content
    analysis_id = response.json()["id"]
    wait_for(lambda: finished(analysis_id), seconds=30, what="the worker to finish the analysis")
    return client.get(f"/api/analyses/{analysis_id}").json()


def test_a_browser_asking_for_italian_gets_an_italian_suggestion(client, seller, worker):
    client.force_login(seller)

    italian = upload_and_wait(client, HTTP_ACCEPT_LANGUAGE="it-IT,it;q=0.9,en;q=0.5")
    italian_instructions = request_instructions(worker.last_request.body)
    english = upload_and_wait(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert (italian["status"], italian["language"]) == ("succeeded", "it")
    assert Analysis.objects.get(pk=italian["id"]).language == "it"
    assert italian["suggestion"]["title"] == DEFAULT_ANSWER_ITALIAN["title"]
    assert italian["suggestion"]["description"] == DEFAULT_ANSWER_ITALIAN["description"]
    assert "in Italian" in italian_instructions
    # The same seller, the same photo, an English browser: English, so the language came from the request.
    assert (english["status"], english["language"]) == ("succeeded", "en")
    assert english["suggestion"]["title"] == DEFAULT_ANSWER["title"]


def test_a_signed_in_seller_whose_language_cookie_says_italian_gets_an_italian_suggestion(client, seller, worker):
    client.force_login(seller)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"  # as the language switcher (set_language) leaves it

    body = upload_and_wait(client, HTTP_ACCEPT_LANGUAGE="en")  # the cookie wins over the browser

    assert (body["status"], body["language"]) == ("succeeded", "it")
    assert Analysis.objects.get(pk=body["id"]).language == "it"
    assert body["suggestion"]["title"] == DEFAULT_ANSWER_ITALIAN["title"]
    assert body["suggestion"]["description"] == DEFAULT_ANSWER_ITALIAN["description"]

"""The streamed answer: through the real SDK over HTTP to the fake server's server-sent events.

What a seller sees while it streams (ai_prefill.live) is a preview; what is stored and counted is only
ever the validated final answer, and a stream cut mid-way is retried like a dropped connection.
"""

import json
import threading
import time

import pytest
from django.urls import reverse

from ai_prefill.live import live_analysis, live_fields_get
from ai_prefill.llm import PrefillFailed, default_model_config, prefill_suggest
from ai_prefill.llm.streaming import completed_fields
from ai_prefill.models import Analysis, LLMCall
from ai_prefill.services import analysis_run, analysis_start
from marketplace.models import Category
from tests.ai_prefill.llm_helpers import photo_jpeg
from tests.factories import SUGGESTION, jpeg_bytes, photo_upload, suggested_analysis

pytestmark = pytest.mark.django_db

IMAGE_REF = "photos/large/ab/0123456789abcdef.jpg"
ANSWER = {
    "title": "Red ceramic mug",
    "description": "Red mug, used a few times, no chips.",
    "category": "home-garden",
    "price": 6.5,
    "condition": "good",
}


@pytest.fixture(params=["responses", "chat"])
def api_style(request, settings):
    settings.AI_API_STYLE = request.param
    return request.param


@pytest.fixture
def streaming(settings, fake_openai):
    settings.AI_STREAM = True
    return fake_openai


def first_category() -> str:
    return Category.objects.order_by("position", "name").first().slug


def suggest():
    return prefill_suggest(images=[photo_jpeg()], config=default_model_config(), image_refs=[IMAGE_REF])


class LiveWatcher:
    """Reads the live fields of an analysis every few milliseconds, from another thread, as the page would."""

    def __init__(self, analysis_id: str) -> None:
        self.analysis_id = analysis_id
        self.seen: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _look(self) -> None:
        fields = live_fields_get(analysis_id=self.analysis_id)
        if fields and (not self.seen or fields != self.seen[-1]):
            self.seen.append(fields)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._look()
            time.sleep(0.005)

    def __enter__(self) -> "LiveWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._look()  # what was published last, after the watcher's last look


def test_a_field_counts_as_complete_once_the_next_key_begins():
    text = json.dumps(ANSWER)
    slugs = ("home-garden",)
    cut_in_title = text[: text.index("mug") + 2]
    assert completed_fields(cut_in_title, category_slugs=slugs) == {}
    after_title = text[: text.index('"description"') + 3]
    assert completed_fields(after_title, category_slugs=slugs) == {"title": "Red ceramic mug"}
    # 6.5 could still become 6.59: the price waits for the next key.
    up_to_price = text[: text.index("6.5") + 3]
    assert "price" not in completed_fields(up_to_price, category_slugs=slugs)
    assert completed_fields(text, category_slugs=slugs) == {**ANSWER, "price": "6.50"}


def test_a_completed_field_that_breaks_our_limits_is_never_shown():
    text = json.dumps({**ANSWER, "category": "spaceships", "price": -5, "condition": "mint"})
    assert completed_fields(text, category_slugs=("home-garden",)) == {
        "title": ANSWER["title"],
        "description": ANSWER["description"],
    }


def test_it_streams_the_request_and_returns_the_validated_suggestion(streaming, api_style):
    result = suggest()

    assert streaming.last_request.body["stream"] is True
    assert result.suggestion == {**ANSWER, "category": first_category(), "price": "6.50"}
    (call,) = LLMCall.objects.all()
    assert (call.error_type, call.http_status, call.input_tokens, call.output_tokens) == ("", 200, 850, 60)
    assert json.loads(call.raw_output)["title"] == ANSWER["title"]
    assert call.request["stream"] is True
    assert "base64" not in json.dumps(call.request)


def test_it_publishes_each_field_the_moment_the_stream_completes_it(streaming, api_style, seller):
    # About 40 deltas 20 ms apart: the watcher sees the fields arrive one by one.
    streaming.token_pace = 0.02
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=jpeg_bytes(800, 600))])

    with LiveWatcher(str(analysis.pk)) as watcher, live_analysis(analysis_id=analysis.pk):
        result = prefill_suggest(
            images=[photo_jpeg()], config=default_model_config(), analysis=analysis, image_refs=[IMAGE_REF]
        )

    assert len(watcher.seen) >= 3, watcher.seen
    assert list(watcher.seen[0]) == ["title"]
    for earlier, later in zip(watcher.seen, watcher.seen[1:], strict=False):
        assert earlier.items() <= later.items(), "a published field changed or vanished"
    assert watcher.seen[-1] == result.suggestion


def test_a_stream_cut_mid_way_is_retried(streaming, api_style):
    streaming.script(["cut", "ok"])

    result = suggest()

    assert result.attempts == 2
    first, second = LLMCall.objects.order_by("attempt")
    assert first.error_type == "connection_error"
    assert second.error_type == ""
    assert len(streaming.requests) == 2


def test_a_stream_cut_every_time_fails_as_a_connection_error(streaming):
    streaming.default = "cut"

    with pytest.raises(PrefillFailed) as failure:
        suggest()

    assert failure.value.error_type == "connection_error"
    assert failure.value.attempts == 3


@pytest.mark.parametrize(
    ("behaviour", "error_type"),
    [("truncated", "output_truncated"), ("refusal", "refusal"), ("bad_category", "schema_violation")],
)
def test_a_streamed_answer_is_judged_as_a_whole_answer_is(streaming, api_style, behaviour, error_type):
    streaming.default = behaviour

    with pytest.raises(PrefillFailed) as failure:
        suggest()

    assert failure.value.error_type == error_type
    assert {call.error_type for call in LLMCall.objects.all()} == {error_type}


def test_only_the_validated_answer_is_stored_after_a_stream_that_broke_the_schema(streaming, seller):
    # The first answer's category is not one of ours; its other fields were shown, the retry's are stored.
    streaming.script(["bad_category", "ok"])
    analysis = analysis_start(user=seller, uploads=[photo_upload(data=jpeg_bytes(800, 600))])

    with LiveWatcher(str(analysis.pk)) as watcher:
        analysis_run(analysis_id=analysis.pk)

    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.suggestion == {**ANSWER, "category": first_category(), "price": "6.50"}
    assert analysis.attempts == 2
    assert all(fields.get("category") != "spaceships" for fields in watcher.seen)
    assert [call.error_type for call in analysis.llm_calls.order_by("attempt")] == ["schema_violation", ""]


def test_the_sell_page_shows_the_streamed_fields_of_a_running_analysis_until_it_ends(client, seller):
    client.force_login(seller)
    analysis = suggested_analysis(user=seller, status="running")
    url = reverse("ai_prefill:sell_status", args=[analysis.pk])
    assert client.get(url, {"shown": "running", "fields": "0"}).status_code == 204

    with live_analysis(analysis_id=analysis.pk) as publisher:
        publisher.offer({"title": "Red ceramic mug"})
        publisher.flush()
    page = client.get(url, {"shown": "running", "fields": "0"}).content.decode()

    assert '<script id="analysis-live" type="application/json">{"title": "Red ceramic mug"}</script>' in page
    assert "fields=1" in page
    assert client.get(url, {"shown": "running", "fields": "1"}).status_code == 204
    # Finished: the stored suggestion is what the page gets, the preview is gone.
    Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.SUCCEEDED, suggestion=SUGGESTION)
    page = client.get(url, {"shown": "running", "fields": "1"}).content.decode()
    assert "analysis-live" not in page
    assert 'id="analysis-suggestion"' in page

"""The sell page end to end: photo, analysis progress, pre-filled form, posting, and every way the AI can fail."""

import html
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ai_prefill.models import Analysis
from ai_prefill.services import analysis_time_budget_seconds
from ai_prefill.tasks import analyze_task
from feedback.models import Correction, Vote
from marketplace.models import Listing, Photo
from tests.ai_prefill.test_analysis_lifecycle import closed_port
from tests.factories import (
    SUGGESTION,
    UserFactory,
    bad_photo_files,
    committed_and_worked,
    jpeg_bytes,
    listing_form_data,
    photo_upload,
    stored_media_files,
    suggested_analysis,
)

pytestmark = pytest.mark.django_db

SELL = reverse("ai_prefill:sell")
PHOTO = reverse("ai_prefill:sell_photo")
ANALYSE = reverse("ai_prefill:sell_analyse")
HTMX = {"HTTP_HX_REQUEST": "true"}
FAILED = "We couldn't suggest details this time — please fill in the form yourself."
QUEUE_DOWN = "Our suggestion service is down right now, so please fill in the form yourself — your photos are kept."


def status_url(analysis, shown: str = "") -> str:
    url = reverse("ai_prefill:sell_status", args=[analysis.pk])
    return f"{url}?shown={shown}" if shown else url


def regenerate_url(analysis) -> str:
    return reverse("ai_prefill:sell_regenerate", args=[analysis.pk])


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_value(page: str, name: str) -> str:
    """What the page's listing form shows in a field (inputs, textareas and selects)."""
    raw = page
    if match := re.search(rf'<input[^>]*name="{name}"[^>]*>', raw):
        value = re.search(r'value="([^"]*)"', match.group(0))
        return html.unescape(value.group(1)) if value else ""
    if match := re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', raw, re.S):
        return html.unescape(match.group(1))
    if match := re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', raw, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', match.group(1))
        return selected.group(1) if selected else ""
    raise AssertionError(f"no field {name} on the page")


def analysed(analysis) -> dict:
    """What the page's form carries for an analysis: its id, and its photos in order (hidden photo_ids)."""
    return {"analysis_id": str(analysis.pk), "photo_ids": [analysis.photo_id]}


def suggested_fields(page: str) -> set[str]:
    return set(re.findall(r'class="field[^"]*is-suggested[^"]*" id="field-(\w+)"', page))


@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


@pytest.fixture
def stranger_client(client, db):
    client.force_login(UserFactory(username="stranger"))
    return client


# ---------- The empty page ----------


def test_the_page_has_one_photo_picker_and_the_form_is_already_there(seller_client):
    page = seller_client.get(SELL).content.decode()

    pickers = re.findall(r'<input type="file"[^>]*>', page)
    assert len(pickers) == 1
    assert 'name="photos"' in pickers[0] and "multiple" in pickers[0] and 'accept="image/*"' in pickers[0]
    assert 'form="sell-form"' in pickers[0] and "capture" not in pickers[0]  # the phone offers camera or gallery
    assert f'data-upload-url="{PHOTO}"' in page
    assert ">Analyse photos</button>" in page  # without JavaScript
    assert "Update suggestions with the new photo" in page  # shown by the script once a photo is added
    assert "main_photo" not in page  # the first photo is the main one
    for name in ("title", "description", "category", "price", "condition"):
        assert f'id="id_{name}"' in page and f'id="field-{name}"' in page
    assert field_value(page, "analysis_id") == ""
    assert 'id="analysis-progress" class="analysis-progress" aria-live="polite"' in page
    assert "<script>" not in page.split("</head>")[1].replace("<script src=", "")


def test_enter_in_a_field_publishes_rather_than_pressing_another_button(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    page = seller_client.get(f"{SELL}?analysis={analysis.pk}").content.decode()

    # The form's default button is its first submit button in document order, wherever it sits.
    buttons = re.findall(r'<button type="submit" form="sell-form"[^>]*>', page)
    assert len(buttons) >= 3 and 'name="intent" value="publish"' in buttons[0]
    assert page.index(buttons[0]) < page.index('id="sell-form"')


# ---------- The photos ----------


def photo_ids_on(page: str) -> list[int]:
    return [int(photo_id) for photo_id in re.findall(r'name="photo_ids" value="(\d+)"', page)]


def stored_photo(client, colour=(200, 60, 40)) -> int:
    response = client.post(PHOTO, {"photo": photo_upload(data=jpeg_bytes(640, 480, color=colour))}, **HTMX)
    assert response.status_code == 200, response.content
    (photo_id,) = photo_ids_on(response.content.decode())
    return photo_id


def test_each_picked_photo_is_stored_at_once_and_comes_back_as_a_thumbnail(seller_client, seller):
    response = seller_client.post(PHOTO, {"photo": photo_upload(data=jpeg_bytes(640, 480))}, **HTMX)

    assert response.status_code == 200
    photo = Photo.objects.get()
    assert (photo.owner, photo.listing) == (seller, None)
    page = response.content.decode()
    assert photo_ids_on(page) == [photo.pk] and photo.thumbnail.url in page
    for action in ("earlier", "later", "remove"):
        assert f'value="{action}:{photo.pk}"' in page  # buttons, so the keyboard and pages without JavaScript work
    assert not Analysis.objects.exists()  # the analysis starts once the picked photos are up


def test_the_analysis_starts_over_every_photo_in_the_order_on_the_page(
    seller_client, seller, published_tasks, django_capture_on_commit_callbacks
):
    first, second, third = (stored_photo(seller_client) for _ in range(3))

    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(ANALYSE, {"photo_ids": [third, first, second]}, **HTMX)

    assert response.status_code == 200
    analysis = Analysis.objects.get()
    assert [row.photo_id for row in analysis.analysis_photos.order_by("position")] == [third, first, second]
    assert analysis.photo_id == third and analysis.status == "pending"
    assert published_tasks() == [("ai_prefill.tasks.analyze_task", [str(analysis.pk)])]
    page = response.content.decode()
    assert f'value="{analysis.pk}" hx-swap-oob="true"' in page  # the listing form's hidden analysis_id
    assert f'hx-get="{status_url(analysis, "pending")}&amp;fields=0" hx-trigger="every 1s"' in page
    assert "Photos uploaded." in text(response)


def test_an_analysis_of_someone_elses_photo_is_refused(seller_client, seller):
    other = UserFactory(username="other")
    theirs = suggested_analysis(user=other).photo_id

    response = seller_client.post(ANALYSE, {"photo_ids": [stored_photo(seller_client), theirs]}, **HTMX)

    assert response.status_code == 404
    assert "We could not find one of those photos." in text(response)
    assert Analysis.objects.filter(user=seller).count() == 0


def test_nine_photos_are_refused_with_a_sentence(seller_client, seller):
    photo_ids = [stored_photo(seller_client) for _ in range(9)]

    response = seller_client.post(ANALYSE, {"photo_ids": photo_ids}, **HTMX)

    assert response.status_code == 400
    assert "An item can have up to 8 photos; these are 9. Please leave out 1." in text(response)
    assert not Analysis.objects.exists()


def test_without_javascript_the_picked_files_are_analysed_and_what_was_typed_stays(seller_client, seller):
    form = {
        **listing_form_data(),
        "intent": "analyse",
        "photos": [photo_upload(data=jpeg_bytes(640, 480, color=colour)) for colour in ((200, 0, 0), (0, 200, 0))],
    }

    response = seller_client.post(SELL, form)

    assert response.status_code == 200
    analysis = Analysis.objects.get()
    page = response.content.decode()
    assert field_value(page, "analysis_id") == str(analysis.pk)
    assert photo_ids_on(page) == [row.photo_id for row in analysis.analysis_photos.order_by("position")]
    assert len(photo_ids_on(page)) == 2
    assert field_value(page, "title") == "Road bike" and field_value(page, "price") == "250"
    assert 'name="intent" value="refresh"' in page  # "Check again", for pages without polling


@pytest.mark.parametrize("case", list(bad_photo_files()))
def test_a_bad_photo_is_refused_with_a_sentence_and_nothing_stored(seller_client, case):
    name, data, content_type, sentence = bad_photo_files()[case]

    response = seller_client.post(PHOTO, {"photo": SimpleUploadedFile(name, data, content_type)}, **HTMX)

    assert response.status_code == 422
    assert sentence in text(response)
    assert 'class="photo-item photo-item-refused" role="alert"' in response.content.decode()
    assert not Photo.objects.exists() and not stored_media_files()


@pytest.mark.parametrize("case", list(bad_photo_files()))
def test_without_javascript_a_bad_photo_is_refused_and_nothing_typed_is_lost(seller_client, case):
    name, data, content_type, sentence = bad_photo_files()[case]
    form = {**listing_form_data(), "intent": "analyse", "photos": [SimpleUploadedFile(name, data, content_type)]}

    response = seller_client.post(SELL, form)

    assert response.status_code == 400
    assert sentence in text(response)
    page = response.content.decode()
    assert field_value(page, "title") == "Road bike" and 'id="id_photos"' in page
    assert not Analysis.objects.exists() and not Photo.objects.exists() and not stored_media_files()


def test_no_photo_at_all_is_refused_with_a_sentence(seller_client):
    response = seller_client.post(PHOTO, {}, **HTMX)

    assert response.status_code == 422
    assert "Please pick a photo." in text(response)


def test_the_hourly_limit_answers_429_and_leaves_the_manual_form(seller_client, seller, settings):
    settings.AI_ANALYSES_PER_HOUR = 1
    suggested_analysis(user=seller)

    response = seller_client.post(SELL, {**listing_form_data(), "intent": "analyse", "photos": [photo_upload()]})

    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600  # the one analysis of the last hour leaves it in an hour
    assert "which is the limit. Please fill in the form yourself" in text(response)
    assert field_value(response.content.decode(), "title") == "Road bike"
    assert Analysis.objects.count() == 1


def test_photos_beyond_the_hourly_allowance_are_refused_with_429(seller_client, settings):
    settings.AI_ANALYSES_PER_HOUR = 1
    for _ in range(8):
        stored_photo(seller_client)

    response = seller_client.post(PHOTO, {"photo": photo_upload()}, **HTMX)

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "You have added 8 photos in the last hour, which is the limit." in text(response)


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_keeps_the_photos_and_says_so(seller_client, celery_broker):
    celery_broker(f"redis://127.0.0.1:{closed_port()}/5", {"socket_connect_timeout": 1})
    photo_id = stored_photo(seller_client)

    response = seller_client.post(ANALYSE, {"photo_ids": [photo_id]}, **HTMX)  # no test transaction: publishes now

    assert response.status_code == 200
    analysis = Analysis.objects.get()
    assert analysis.enqueue_failed_at is not None
    assert QUEUE_DOWN in text(response)
    assert f'value="{analysis.pk}" hx-swap-oob="true"' in response.content.decode()
    assert QUEUE_DOWN in text(seller_client.get(status_url(analysis)))


def test_without_javascript_photos_move_and_go_keeping_what_was_typed(seller_client, seller):
    first, second, third = (stored_photo(seller_client) for _ in range(3))
    form = {**listing_form_data(), "photo_ids": [first, second, third]}

    moved = seller_client.post(SELL, {**form, "intent": f"earlier:{third}"}).content.decode()
    removed = seller_client.post(SELL, {**form, "intent": f"remove:{first}"}).content.decode()

    assert photo_ids_on(moved) == [first, third, second]
    assert photo_ids_on(removed) == [second, third]
    assert field_value(moved, "title") == "Road bike" and field_value(removed, "price") == "250"


# ---------- Progress ----------


def _age(analysis: Analysis, seconds: float) -> None:
    Analysis.objects.filter(pk=analysis.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("status", "fields", "age", "sentence", "polls"),
    [
        ("pending", {}, 0, "Photos uploaded. The analysis starts in a moment", "every 1s"),
        ("running", {}, 0, "Analysing your photos…", "every 1s"),
        (
            "succeeded",
            {},
            0,
            "Done: we filled in the empty fields we are sure about, and offer choices where we are not.",
            None,
        ),
        ("failed", {"error_type": "timeout", "error_message": "The suggestion took too long."}, 0, FAILED, None),
        ("pending", {"enqueue_failed_at": timezone.now()}, 0, QUEUE_DOWN, "every 5s"),
        ("running", {}, "past the budget", FAILED, "every 5s"),
    ],
    ids=["pending", "running", "succeeded", "failed", "enqueue-failed", "timed-out"],
)
def test_the_progress_area_says_where_the_analysis_is(seller_client, seller, status, fields, age, sentence, polls):
    analysis = suggested_analysis(user=seller, status=status, **fields)
    if age:
        _age(analysis, analysis_time_budget_seconds() + 1)

    response = seller_client.get(status_url(analysis))

    assert response.status_code == 200
    page = text(response)
    assert sentence in page
    if polls:
        assert f'hx-trigger="{polls}"' in page
    else:
        assert "hx-trigger" not in page.split('id="suggestion-tools"')[0]
    assert (f'data-analysis-id="{analysis.pk}"' in page) == (status == "succeeded")
    assert ("suggestion-vote" in page) == (status == "succeeded")


def test_while_waiting_the_page_shows_how_long_it_will_wait(seller_client, seller, settings):
    settings.AI_TIMEOUT_SECONDS = 30
    analysis = suggested_analysis(user=seller, status="running")

    page = text(seller_client.get(status_url(analysis)))

    budget = analysis_time_budget_seconds()
    assert f"If it takes more than {round(budget / 60)} minutes, we stop waiting" in page
    left = int(re.search(r'data-seconds-left="(\d+)"', page).group(1))
    assert budget - 5 <= left <= budget


def test_the_status_answers_204_while_nothing_changed(seller_client, seller):
    analysis = suggested_analysis(user=seller, status="running")

    assert seller_client.get(status_url(analysis, "running")).status_code == 204
    assert seller_client.get(status_url(analysis, "pending")).status_code == 200


def test_demo_suggestions_are_labelled_as_such(seller_client, seller, settings):
    settings.AI_PROVIDER = "demo"
    photo_id = stored_photo(seller_client, colour=(20, 60, 200))
    seller_client.post(ANALYSE, {"photo_ids": [photo_id]}, **HTMX)
    analysis = Analysis.objects.get()

    analyze_task.apply(args=[str(analysis.pk)])

    page = text(seller_client.get(f"{SELL}?analysis={analysis.pk}"))
    assert "Done: we filled in what the demo could tell." in page
    assert "Demo suggestions:" in page
    analysis.refresh_from_db()
    # The demo writes no text for the seller to publish unedited: the title is theirs to type.
    assert analysis.suggestion["title"] is None
    assert field_value(page, "title") == ""


# ---------- Only the owner ----------


def test_nobody_but_the_owner_sees_or_uses_an_analysis(stranger_client, seller, staff):
    analysis = suggested_analysis(user=seller)
    for client_user in ("stranger", "staff"):
        if client_user == "staff":
            stranger_client.force_login(staff)
        assert stranger_client.get(status_url(analysis)).status_code == 404
        assert stranger_client.get(f"{SELL}?analysis={analysis.pk}").status_code == 404
        assert stranger_client.post(regenerate_url(analysis), **HTMX).status_code == 404
        posted = stranger_client.post(SELL, {**listing_form_data(), **analysed(analysis)})
        assert posted.status_code == 404
    assert stranger_client.get(f"{SELL}?analysis=not-a-uuid").status_code == 404
    assert stranger_client.get(status_url(Analysis(pk=uuid.uuid4()))).status_code == 404
    assert not Listing.objects.exists() and Analysis.objects.count() == 1


def test_signed_out_visitors_are_sent_to_log_in(client, seller):
    analysis = suggested_analysis(user=seller)

    for response in (client.get(status_url(analysis)), client.post(PHOTO, {"photo": photo_upload()})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("marketplace:login"))
    assert Analysis.objects.count() == 1


# ---------- The pre-filled form ----------


def test_a_finished_analysis_fills_the_form_and_marks_every_field_suggested(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    page = seller_client.get(f"{SELL}?analysis={analysis.pk}").content.decode()

    for name, value in SUGGESTION.items():
        assert field_value(page, name) == value
    assert suggested_fields(page) == set(SUGGESTION)
    assert 'id="suggestion-vote-' in page
    assert f'formaction="{regenerate_url(analysis)}"' in page and "</span> Regenerate" in page


def test_check_again_fills_only_the_fields_left_empty(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    typed = {"title": "My grandfather's headphones", "description": "", "category": "", "price": "", "condition": ""}

    response = seller_client.post(SELL, {**typed, **analysed(analysis), "intent": "refresh"})

    assert response.status_code == 200
    page = response.content.decode()
    assert field_value(page, "title") == "My grandfather's headphones"
    for name in ("description", "category", "price", "condition"):
        assert field_value(page, name) == SUGGESTION[name]
    assert suggested_fields(page) == {"description", "category", "price", "condition"}
    assert not Listing.objects.exists()


def test_check_again_while_pending_keeps_everything_typed(seller_client, seller):
    analysis = suggested_analysis(user=seller, status="running")

    response = seller_client.post(
        SELL, {**listing_form_data(description=""), **analysed(analysis), "intent": "refresh"}
    )

    page = response.content.decode()
    assert field_value(page, "title") == "Road bike" and field_value(page, "description") == ""
    assert field_value(page, "analysis_id") == str(analysis.pk)
    assert "Analysing your photos…" in text(response)


def test_model_output_is_shown_escaped_never_as_markup(seller_client, seller, fake_openai):
    fake_openai.answer = {
        "title": "<script>alert('t')</script>",
        "description": '<img src=x onerror="alert(1)"> and </textarea><b>bold</b>',
    }
    seller_client.post(ANALYSE, {"photo_ids": [stored_photo(seller_client)]}, **HTMX)
    analysis = Analysis.objects.get()
    page_url = f"{SELL}?analysis={analysis.pk}"

    analyze_task.apply(args=[str(analysis.pk)])

    analysis.refresh_from_db()
    assert analysis.status == "succeeded" and analysis.suggestion["title"] == "<script>alert('t')</script>"
    for page in (seller_client.get(status_url(analysis)), seller_client.get(page_url)):
        raw = page.content.decode()
        assert "<script>alert" not in raw and "<img src=x" not in raw and "<b>bold" not in raw
        assert "\\u003Cscript\\u003Ealert" in raw  # the JSON for the page's script
    page = seller_client.get(page_url).content.decode()
    assert field_value(page, "title") == "<script>alert('t')</script>"
    assert "&lt;/textarea&gt;&lt;b&gt;bold" in page


# ---------- Posting ----------


def test_posting_with_the_analysis_uses_its_photo_without_a_second_upload(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    files_before = stored_media_files()

    with committed_and_worked():
        response = seller_client.post(SELL, {**SUGGESTION, **analysed(analysis)})

    listing = Listing.objects.get()
    assert response.status_code == 302 and response["Location"] == listing.get_absolute_url()
    assert Photo.objects.count() == 1 and stored_media_files() == files_before
    photo = Photo.objects.get()
    assert (photo.pk, photo.listing, photo.is_main) == (analysis.photo_id, listing, True)
    analysis.refresh_from_db()
    assert analysis.listing == listing
    assert Correction.objects.filter(analysis=analysis, changed=False).count() == 5


def test_what_the_seller_typed_is_posted_never_the_suggestion(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    with committed_and_worked():
        seller_client.post(SELL, {**SUGGESTION, "title": "Studio headphones", "price": "35", **analysed(analysis)})

    listing = Listing.objects.get()
    assert (listing.title, str(listing.price), listing.description) == (
        "Studio headphones",
        "35.00",
        SUGGESTION["description"],
    )
    changed = set(Correction.objects.filter(analysis=analysis, changed=True).values_list("field", flat=True))
    assert changed == {"title", "price"}


def test_an_emptied_field_is_refused_not_filled_from_the_suggestion(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    response = seller_client.post(SELL, {**SUGGESTION, "title": "", **analysed(analysis)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please give your listing a title." in text(response)
    assert field_value(page, "title") == ""
    assert not Listing.objects.exists()


def test_the_listing_gets_the_pages_photos_in_their_order_the_first_one_main(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    added = [stored_photo(seller_client), stored_photo(seller_client)]
    order = [added[1], analysis.photo_id, added[0]]

    with committed_and_worked():
        response = seller_client.post(SELL, {**SUGGESTION, **analysed(analysis), "photo_ids": order})

    assert response.status_code == 302
    photos = list(Listing.objects.get().photos.order_by("position"))
    assert [photo.pk for photo in photos] == order
    assert [photo.is_main for photo in photos] == [True, False, False]


def test_the_pages_photos_count_toward_the_eight(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    extras = [photo_upload() for _ in range(8)]

    response = seller_client.post(SELL, {**SUGGESTION, **analysed(analysis), "photos": extras})

    assert response.status_code == 400
    assert "Please pick at most 7 photos (you picked 8)." in text(response)
    assert Photo.objects.count() == 1


def test_a_failed_analysis_still_posts_by_hand_with_its_photo(seller_client, seller):
    analysis = suggested_analysis(user=seller, status="failed", error_type="refusal")

    page = text(seller_client.get(f"{SELL}?analysis={analysis.pk}"))
    assert FAILED in page
    response = seller_client.post(SELL, {**listing_form_data(), **analysed(analysis)})

    listing = Listing.objects.get()
    assert response.status_code == 302
    assert listing.title == "Road bike" and list(listing.photos.all()) == [analysis.photo]
    assert not Correction.objects.exists()


def test_without_an_analysis_the_photos_in_the_form_post_the_listing(seller_client):
    response = seller_client.post(SELL, {**listing_form_data(), "photos": [photo_upload(), photo_upload()]})

    assert response.status_code == 302
    assert Listing.objects.get().photos.count() == 2 and not Analysis.objects.exists()


def test_a_rejected_post_keeps_what_was_typed_and_the_analysed_photo(seller_client, seller):
    analysis = suggested_analysis(user=seller)

    response = seller_client.post(SELL, {**listing_form_data(price="-5"), **analysed(analysis)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "The price cannot be negative." in text(response)
    for name, value in listing_form_data(price="-5").items():
        assert field_value(page, name) == value
    assert field_value(page, "analysis_id") == str(analysis.pk)
    assert analysis.photo.thumbnail.url in page
    assert "Please pick your new photos again" not in text(response)  # no extra photos were chosen
    assert not Listing.objects.exists() and Photo.objects.get().listing is None


def test_a_second_publish_click_lands_on_the_listing_made_by_the_first(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    data = {**SUGGESTION, **analysed(analysis)}

    first = seller_client.post(SELL, data)
    second = seller_client.post(SELL, data)

    listing = Listing.objects.get()
    assert first["Location"] == second["Location"] == listing.get_absolute_url()


def test_going_back_to_a_posted_analysis_points_to_its_listing(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    seller_client.post(SELL, {**SUGGESTION, **analysed(analysis)})

    page = seller_client.get(f"{SELL}?analysis={analysis.pk}").content.decode()

    assert "Those photos are already in your listing" in page
    assert Listing.objects.get().get_absolute_url() in page
    assert field_value(page, "analysis_id") == "" and field_value(page, "title") == ""


# ---------- Regenerate and vote ----------


def test_regenerate_asks_again_about_the_same_photo(
    seller_client, seller, published_tasks, django_capture_on_commit_callbacks
):
    previous = suggested_analysis(user=seller)

    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(regenerate_url(previous), **HTMX)

    assert response.status_code == 200
    analysis = Analysis.objects.exclude(pk=previous.pk).get()
    assert (analysis.status, analysis.photo_id, analysis.user) == ("pending", previous.photo_id, seller)
    assert published_tasks() == [("ai_prefill.tasks.analyze_task", [str(analysis.pk)])]
    assert Analysis.objects.get(pk=previous.pk).regenerate_count == 1
    assert f'value="{analysis.pk}" hx-swap-oob="true"' in response.content.decode()
    assert Photo.objects.count() == 1


def test_regenerate_without_javascript_keeps_typed_fields_and_frees_the_suggested_ones(seller_client, seller):
    previous = suggested_analysis(user=seller)
    posted = {**SUGGESTION, "title": "Typed by me", "analysis_id": str(previous.pk)}

    response = seller_client.post(regenerate_url(previous), posted)

    assert response.status_code == 200
    analysis = Analysis.objects.exclude(pk=previous.pk).get()
    page = response.content.decode()
    assert field_value(page, "analysis_id") == str(analysis.pk)
    assert field_value(page, "title") == "Typed by me"
    for name in ("description", "category", "price", "condition"):
        assert field_value(page, name) == ""


def test_regenerate_counts_against_the_hourly_limit(seller_client, seller, settings):
    settings.AI_ANALYSES_PER_HOUR = 1
    previous = suggested_analysis(user=seller)

    response = seller_client.post(regenerate_url(previous), **HTMX)

    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert "which is the limit" in text(response)
    assert f'data-analysis-id="{previous.pk}"' in response.content.decode()  # the old suggestion stays
    assert Analysis.objects.count() == 1


def test_regenerate_refuses_an_analysis_already_posted(seller_client, seller):
    previous = suggested_analysis(user=seller)
    seller_client.post(SELL, {**SUGGESTION, **analysed(previous)})

    response = seller_client.post(regenerate_url(previous), **HTMX)

    assert response.status_code == 409
    assert "These photos are already in a listing" in text(response)
    assert Analysis.objects.count() == 1


def test_the_vote_widget_sits_outside_the_listing_form_and_comes_back_to_the_page(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    Vote.objects.create(analysis=analysis, user=seller, value="up")

    page = seller_client.get(f"{SELL}?analysis={analysis.pk}").content.decode()

    listing_form = re.search(r'<form[^>]*id="sell-form".*?</form>', page, re.S).group(0)
    assert "suggestion-vote" not in listing_form and "<form" not in listing_form[5:]
    assert 'value="up" class="vote-button" aria-pressed="true"' in page
    assert f'name="next" value="{SELL}?analysis={analysis.pk}"' in page


def test_the_page_tells_its_script_which_fields_a_suggestion_fills(seller_client):
    from ai_prefill.llm.schema import SUGGESTED_FIELDS

    page = seller_client.get(SELL).content.decode()

    script = re.search(r'<script id="suggestable-fields" type="application/json">(.*?)</script>', page)
    # The listing's fields, then every item detail by slug, as the form names their inputs.
    from marketplace.models import CategoryAttribute

    slugs = sorted(set(CategoryAttribute.objects.values_list("slug", flat=True)))
    assert slugs and script is not None and json.loads(script.group(1)) == [*SUGGESTED_FIELDS, *slugs]


def test_the_script_is_given_only_the_values_sure_enough_to_fill_their_field(seller_client, seller, settings):
    settings.AI_FILL_THRESHOLD, settings.AI_FILL_THRESHOLDS = "medium", {}
    suggestion = {
        "title": "Green ceramic mug",
        "description": "A mug.",
        "category": "home-garden",
        "price": "6.50",
        "condition": "good",
        "attributes": {"brand": "Acme", "material": "ceramic", "colour": None},
        "confidence": {
            "title": "high",
            "description": "high",
            "category": "low",
            "price": "medium",
            "condition": "medium",
            "brand": "low",
            "material": "high",
            "colour": "high",
        },
        "category_candidates": ["home-garden", "other"],
        "language": "en",
    }
    analysis = Analysis.objects.create(user=seller, status=Analysis.Status.SUCCEEDED, suggestion=suggestion)

    page = seller_client.get(f"{SELL}?analysis={analysis.pk}").content.decode()

    script = re.search(r'<script id="analysis-suggestion" type="application/json">(.*?)</script>', page)
    assert json.loads(script.group(1)) == {
        "title": "Green ceramic mug",
        "description": "A mug.",
        "price": "6.50",
        "condition": "good",
        "material": "ceramic",
    }
    # The unsure values are choices beside their fields, not filled: the category's candidates, the brand.
    assert field_value(page, "category") == "" and field_value(page, "brand") == ""
    category_choices = re.findall(r'name="intent" value="choose:category:([\w-]+)"', page)
    assert category_choices == ["home-garden", "other"]
    assert re.findall(r'name="intent" value="choose:brand:(\w+)"', page) == ["Acme"]
    assert "Home &amp; Garden?" in page


def test_without_javascript_a_tapped_choice_fills_its_field_marked_suggested(seller_client, seller, settings):
    settings.AI_FILL_THRESHOLD, settings.AI_FILL_THRESHOLDS = "medium", {}
    suggestion = {
        **SUGGESTION,
        "confidence": {"title": "high", "description": "high", "category": "low", "price": "high", "condition": "high"},
        "category_candidates": ["electronics", "toys-kids"],
    }
    analysis = suggested_analysis(user=seller, suggestion=suggestion)
    form = {**SUGGESTION, "category": "", **analysed(analysis), "intent": "choose:category:toys-kids"}

    page = seller_client.post(SELL, form).content.decode()

    assert field_value(page, "category") == "toys-kids"
    assert "category" in suggested_fields(page)
    assert field_value(page, "title") == SUGGESTION["title"]


def test_without_javascript_check_again_keeps_the_typed_item_details(seller_client, seller):
    analysis = suggested_analysis(user=seller, status="running")
    form = {**listing_form_data(), "category": "electronics", "brand": "Sony", "colour": "", **analysed(analysis)}

    page = seller_client.post(SELL, {**form, "intent": "refresh"}).content.decode()

    assert field_value(page, "brand") == "Sony" and field_value(page, "title") == "Road bike"
    assert photo_ids_on(page) == [analysis.photo_id]


def test_without_javascript_new_photos_update_the_suggestion_and_keep_what_was_typed(seller_client, seller):
    analysis = suggested_analysis(user=seller)
    form = {**SUGGESTION, "title": "My own title", **analysed(analysis), "intent": "analyse"}

    response = seller_client.post(SELL, {**form, "photos": [photo_upload(data=jpeg_bytes(90, 60))]})

    page = response.content.decode()
    newer = Analysis.objects.exclude(pk=analysis.pk).get()
    in_order = [row.photo_id for row in newer.analysis_photos.order_by("position")]
    assert len(in_order) == 2 and in_order[0] == analysis.photo_id
    assert photo_ids_on(page) == in_order
    assert field_value(page, "title") == "My own title"
    assert field_value(page, "description") == ""  # the old suggestion's, freed for the new one

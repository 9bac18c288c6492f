import pytest
from django.urls import reverse

from evals.models import EvalCase
from feedback.models import Annotation, AnnotationSkip
from feedback.services import vote_record
from tests.factories import UserFactory, suggested_analysis

pytestmark = pytest.mark.django_db

URL = reverse("feedback:annotate")


@pytest.fixture(autouse=True)
def no_sample(settings):
    settings.ANNOTATION_SAMPLE_RATE = 0


def thumbs_down(seller, **fields):
    analysis = suggested_analysis(user=seller, **fields)
    vote_record(analysis=analysis, user=seller, value="down", reasons=["wrong_item"], comment="It's a lamp")
    return analysis


def verdict_form(analysis, **overrides) -> dict:
    data = {"analysis_id": str(analysis.pk), "dataset": "default", "save": ""}
    for field in ("title", "description", "category", "price", "condition"):
        data[f"{field}_verdict"] = "right"
        data[f"{field}_value"] = ""
    return {**data, **overrides}


def test_it_is_for_staff_only(client, seller):
    client.force_login(seller)

    response = client.get(URL)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_it_shows_the_photo_the_suggestion_and_the_keyboard_hint(client, seller, staff):
    analysis = thumbs_down(seller, suggestion={**_suggestion(), "title": "<script>alert(1)</script>"})
    client.force_login(staff)

    response = client.get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert analysis.photo.image.url in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Ctrl</kbd>+<kbd>Enter</kbd>" in html and "feedback/annotate.js" in html
    assert "Thumbs down (Wrong item)" in html and "It&#x27;s a lamp" in html
    assert f'value="{analysis.pk}"' in html


def _suggestion() -> dict:
    from tests.factories import SUGGESTION

    return dict(SUGGESTION)


def test_saving_stores_the_verdicts_and_serves_the_next_one(client, seller, staff):
    first, second = thumbs_down(seller), thumbs_down(seller)
    client.force_login(staff)
    client.get(URL)

    response = client.post(
        URL,
        verdict_form(
            first,
            title_verdict="wrong",
            title_value="Desk lamp",
            category_verdict="wrong",
            category_value="home-garden",
            add_to_eval_set="on",
        ),
    )

    assert response.status_code == 302 and response["Location"] == URL
    annotation = Annotation.objects.get(analysis=first)
    assert annotation.verdicts["title"] == {"correct": False, "value": "Desk lamp"}
    assert annotation.verdicts["category"] == {"correct": False, "value": "home-garden"}
    assert annotation.eval_case == EvalCase.objects.get() and annotation.eval_case.expected_category == "home-garden"
    page = client.get(URL).content.decode()
    assert str(second.pk) in page and "Saved. Here is the next one." in page


def test_a_rejected_annotation_keeps_what_was_typed(client, seller, staff):
    analysis = thumbs_down(seller)
    client.force_login(staff)

    response = client.post(
        URL,
        verdict_form(
            analysis, title_verdict="wrong", title_value="Desk lamp", price_verdict="wrong", price_value="cheap"
        ),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Desk lamp"' in html and 'value="cheap"' in html
    assert not Annotation.objects.exists()


def test_adding_to_the_eval_set_without_a_category_says_what_is_missing(client, seller, staff):
    analysis = thumbs_down(seller)
    client.force_login(staff)

    response = client.post(URL, verdict_form(analysis, category_verdict="wrong", add_to_eval_set="on"))

    assert response.status_code == 400
    assert "choose the right category" in response.content.decode()
    assert not Annotation.objects.exists()


def test_skip_serves_the_next_one(client, seller, staff):
    first, second = thumbs_down(seller), thumbs_down(seller)
    client.force_login(staff)
    client.get(URL)

    response = client.post(URL, {"analysis_id": str(first.pk), "skip": ""})

    assert response.status_code == 302
    assert AnnotationSkip.objects.filter(analysis=first, user=staff).exists()
    assert str(second.pk) in client.get(URL).content.decode()


def test_a_second_save_of_the_same_item_moves_on_with_a_note(client, seller, staff):
    analysis = thumbs_down(seller)
    other = UserFactory(username="other-staff", is_staff=True)
    client.force_login(other)
    client.post(URL, verdict_form(analysis))
    client.force_login(staff)

    response = client.post(URL, verdict_form(analysis), follow=True)

    assert "Someone else annotated this suggestion" in response.content.decode()
    assert Annotation.objects.get().annotator == other


def test_an_empty_queue_says_so(client, staff):
    client.force_login(staff)

    assert "Nothing to annotate right now" in client.get(URL).content.decode()


def test_a_bad_analysis_id_is_404(client, staff):
    client.force_login(staff)

    assert client.post(URL, {"analysis_id": "nope", "skip": ""}).status_code == 404

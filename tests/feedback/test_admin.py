import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from evals.models import EvalCase
from feedback.admin.review import diff_pair
from feedback.models import Review
from feedback.services import vote_record
from marketplace.models import Photo
from tests.factories import UserFactory, category, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:feedback_suggestionreview_changelist")


def change_url(analysis) -> str:
    return reverse("admin:feedback_suggestionreview_change", args=[analysis.pk])


def run_action(client, action: str, analyses):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(a.pk) for a in analyses], "index": 0})


def test_diff_pair_marks_removed_and_added_words_and_escapes_them():
    left, right = diff_pair("Wired <b>headphones</b>", "Wired Sony <b>headphones</b>")

    assert left == "Wired &lt;b&gt;headphones&lt;/b&gt;"
    assert right == "Wired<ins> Sony</ins> &lt;b&gt;headphones&lt;/b&gt;"


def test_diff_pair_of_a_replaced_word():
    left, right = diff_pair("Red lamp", "Blue lamp")

    assert (left, right) == ("<del>Red</del> lamp", "<ins>Blue</ins> lamp")


def test_the_review_screen_shows_suggestion_beside_posted_values_escaped(client, seller, staff):
    analysis = suggested_analysis(
        user=seller, suggestion={**_suggestion(), "title": "<script>alert('x')</script> lamp"}
    )
    from ai_prefill.posting import listing_post_from_analysis
    from marketplace.services.listings import ListingData

    listing_post_from_analysis(
        seller=seller,
        analysis_id=analysis.pk,
        data=ListingData("Brass lamp", "Works.", category("home-garden"), Decimal("35"), "good"),
    )
    vote_record(analysis=analysis, user=seller, value="down", reasons=["made_up_details"], comment="<i>no</i>")
    _llm_call(analysis)
    client.force_login(staff)

    html = client.get(change_url(analysis)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<ins>Brass</ins>" in html and "<del>" in html
    assert "&lt;i&gt;no&lt;/i&gt;" in html and "Made-up details" in html
    assert analysis.photo.thumbnail.url in html
    assert "gpt-4o-mini" in html and "1234 ms" in html and "310 / 42" in html and "$0.000072" in html
    assert "posted · time to post" in html


def test_the_changelist_does_not_query_per_row(client, seller, staff, django_assert_max_num_queries):
    client.force_login(staff)

    def queries_for_list() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST).status_code == 200
        return len(captured)

    for _ in range(2):
        analysis, _ = post_from_suggestion(seller, price=Decimal("30"))
        vote_record(analysis=analysis, user=seller, value="down", reasons=["price_off"])
    few = queries_for_list()
    for _ in range(6):
        analysis, _ = post_from_suggestion(seller, title="Other")
        vote_record(analysis=analysis, user=seller, value="up")
    assert queries_for_list() == few


def _suggestion() -> dict:
    from tests.factories import SUGGESTION

    return dict(SUGGESTION)


def _llm_call(analysis):
    from django.utils import timezone

    from ai_prefill.models import LLMCall

    return LLMCall.objects.create(
        analysis=analysis,
        attempt=1,
        provider="openai",
        model="gpt-4o-mini",
        api_style="responses",
        prompt_version="v1",
        started_at=timezone.now(),
        latency_ms=1234,
        input_tokens=310,
        output_tokens=42,
        cost=Decimal("0.000072"),
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"vote": "down"}, {"down_price"}),
        ({"vote": "up"}, {"up_plain"}),
        ({"vote": "none"}, {"none_category", "none_unposted"}),
        ({"reason": "price_off"}, {"down_price"}),
        ({"reason": "wrong_item"}, set()),
        ({"changed": "price"}, {"down_price"}),
        ({"changed": "category"}, {"none_category"}),
        ({"changed": "none"}, {"up_plain"}),
        ({"category": "electronics"}, {"down_price", "up_plain", "none_category", "none_unposted"}),
        (
            {"created_at__gte": "2000-01-01 00:00:00+00:00"},
            {"down_price", "up_plain", "none_category", "none_unposted"},
        ),
        ({"category": "books"}, set()),
        ({"model": "gpt-4o"}, {"none_unposted"}),
        ({"prompt_version": "v2"}, {"none_unposted"}),
        ({"outcome": "posted"}, {"down_price", "up_plain", "none_category"}),
        ({"outcome": "open"}, {"none_unposted"}),
        ({"reviewed": "yes"}, {"up_plain"}),
        ({"reviewed": "no"}, {"down_price", "none_category", "none_unposted"}),
        ({"q": "Novel"}, {"none_category"}),
        ({"q": "oak"}, {"none_unposted"}),
        ({"q": "wired headphones"}, {"down_price", "up_plain", "none_category"}),
        ({"q": "seller"}, {"down_price", "up_plain", "none_category", "none_unposted"}),
    ],
)
def test_the_filters_and_search(client, seller, staff, params, expected):
    down_price, _ = post_from_suggestion(seller, price=Decimal("30"))
    vote_record(analysis=down_price, user=seller, value="down", reasons=["price_off"])
    up_plain, _ = post_from_suggestion(seller)
    vote_record(analysis=up_plain, user=seller, value="up")
    none_category, _ = post_from_suggestion(seller, category=category("books"), title="Novel")
    none_unposted = suggested_analysis(
        user=seller, model="gpt-4o", prompt_version="v2", suggestion={**_suggestion(), "title": "Oak chair"}
    )
    Review.objects.create(analysis=up_plain, sample_key=1, reviewed_at=up_plain.created_at)
    names = {
        down_price.pk: "down_price",
        up_plain.pk: "up_plain",
        none_category.pk: "none_category",
        none_unposted.pk: "none_unposted",
    }
    client.force_login(staff)

    response = client.get(CHANGELIST, params)

    assert response.status_code == 200
    shown = {names[a.pk] for a in response.context["cl"].result_list}
    assert shown == expected


def test_mark_reviewed(client, seller, staff):
    analyses = [suggested_analysis(user=seller), suggested_analysis(user=seller)]
    client.force_login(staff)

    run_action(client, "mark_reviewed", analyses)

    reviews = Review.objects.filter(analysis__in=analyses)
    assert reviews.count() == 2 and all(r.reviewed_by == staff and r.reviewed_at for r in reviews)


def test_add_to_eval_set_uses_the_posted_values_and_keeps_its_own_photo(client, seller, staff):
    posted, _ = post_from_suggestion(
        seller, title="Brass desk lamp, barely used", category=category("home-garden"), price=Decimal("40.00")
    )
    unposted = suggested_analysis(user=seller)
    client.force_login(staff)

    response = run_action(client, "add_to_eval_set", [posted, unposted])
    run_action(client, "add_to_eval_set", [posted])  # a second time adds nothing

    case = EvalCase.objects.get()
    assert (case.source, case.source_analysis, case.dataset) == ("correction", posted, "default")
    assert (case.expected_category, case.expected_price_min, case.expected_price_max) == (
        "home-garden",
        Decimal("28.00"),
        Decimal("52.00"),
    )
    assert case.title_must_mention == ["lamp"] and case.expected_title == "Brass desk lamp, barely used"
    assert response.status_code == 302
    photo = Photo.objects.get(pk=posted.photo_id)
    photo_bytes = photo.image.open("rb").read()
    # The listing's photo files go with the listing; the case keeps its own copy.
    photo.image.delete(save=False)
    assert case.image.open("rb").read() == photo_bytes


def test_export_csv(client, seller, staff):
    analysis, _ = post_from_suggestion(seller, regenerated=1, title='=HYPERLINK("http://evil")', price=Decimal("25"))
    vote_record(analysis=analysis, user=seller, value="down", reasons=["price_off", "wrong_tone"], comment="meh")
    other = UserFactory(username="other")
    unposted = suggested_analysis(user=other)
    client.force_login(staff)

    response = run_action(client, "export_csv", [analysis, unposted])

    assert response["Content-Type"].startswith("text/csv")
    rows = {row["analysis_id"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    row = rows[str(analysis.pk)]
    assert (row["vote"], row["reasons"], row["comment"], row["outcome"]) == (
        "down",
        "price_off wrong_tone",
        "meh",
        "posted",
    )
    assert (row["title_suggested"], row["title_posted"], row["title_changed"]) == (
        "Wired headphones",
        '\'=HYPERLINK("http://evil")',
        "True",
    )
    assert (row["price_suggested"], row["price_posted"], row["price_similarity"]) == ("20.00", "25.00", "0.800")
    assert (row["category_changed"], row["category_similarity"]) == ("False", "1.000")
    unposted_row = rows[str(unposted.pk)]
    assert (unposted_row["user"], unposted_row["title_suggested"], unposted_row["title_posted"]) == (
        "Other",
        "Wired headphones",
        "",
    )


def test_the_review_screen_is_read_only_and_for_staff(client, seller, staff):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)
    assert client.get(CHANGELIST).status_code == 302  # to the admin login

    client.force_login(staff)
    response = client.post(change_url(analysis), {"model": "changed"})

    assert response.status_code == 403
    assert client.get(reverse("admin:evals_evalcase_changelist")).status_code == 200

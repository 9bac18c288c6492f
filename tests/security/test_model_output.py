"""Model output is untrusted: markup, event handlers, markdown links and URLs in a suggestion are shown as
text wherever it travels (sell page, listing, browse, admin, annotation), and nothing in those pages could
run under the Content-Security-Policy."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from ai_prefill.models import Analysis, LLMCall
from ai_prefill.tasks import analyze_task
from feedback.models import SuggestionReview
from feedback.services import vote_record
from marketplace.models import Listing
from tests.factories import photo_upload
from tests.security.inline_code import page_findings

pytestmark = pytest.mark.django_db

HOSTILE = {
    "title": "<script>alert('title')</script>",
    "description": (
        '<img src=x onerror="alert(1)"> [Pay here](javascript:alert(2)) https://evil.example/pay '
        "<a href=https://evil.example/login>log in</a> </textarea><b>bold</b>"
    ),
}
VOTE_COMMENT = '<svg onload="alert(3)"> see https://evil.example/more'


def assert_inert(page: str, where: str) -> None:
    """The hostile strings are there only as text: no markup of theirs, no link they asked for."""
    for raw in ("<script>alert", "<img src=x", "<b>bold", "<a href=https://evil", "<svg onload"):
        assert raw not in page, f"{where}: {raw!r} is markup"
    assert page_findings(page) == [], where
    for href in re.findall(r'(?:href|src|action)="([^"]*)"', page):
        assert not urlsplit(href).netloc, f"{where}: a link off the site: {href}"


@pytest.fixture
def posted(client, seller, fake_openai, published_tasks, django_capture_on_commit_callbacks):
    """A photo analysed by a model that answered with markup, posted unchanged, then voted down."""
    fake_openai.answer = HOSTILE
    client.force_login(seller)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ai_prefill:sell"), {"photos": [photo_upload()], "intent": "analyse"})
    for _name, args in published_tasks():
        analyze_task.apply(args=args)
    analysis = Analysis.objects.get()
    assert analysis.status == "succeeded" and analysis.suggestion["title"] == HOSTILE["title"]
    return analysis


def test_the_sell_page_shows_the_suggestion_as_text(client, posted):
    for url in (
        f"{reverse('ai_prefill:sell')}?analysis={posted.pk}",
        reverse("ai_prefill:sell_status", args=[posted.pk]),
    ):
        page = client.get(url).content.decode()
        assert_inert(page, url)
    # The page's script reads the suggestion as JSON, with < escaped so it cannot close the script element.
    page = client.get(f"{reverse('ai_prefill:sell')}?analysis={posted.pk}").content.decode()
    assert "\\u003Cscript\\u003Ealert" in page


def test_a_listing_posted_from_it_and_every_staff_screen_show_it_as_text(client, seller, staff, posted):
    suggestion = posted.suggestion
    response = client.post(
        reverse("ai_prefill:sell"),
        {
            **suggestion,
            "price": str(suggestion["price"]),
            "analysis_id": str(posted.pk),
            "photo_ids": [posted.photo_id],
        },
    )
    listing = Listing.objects.get()
    assert response.status_code == 302 and listing.title == HOSTILE["title"]
    vote_record(analysis=posted, user=seller, value="down", reasons=["other"], comment=VOTE_COMMENT)
    call = LLMCall.objects.get(analysis=posted)
    review = SuggestionReview.objects.get(pk=posted.pk)

    seller_pages = [
        listing.get_absolute_url(),
        "/?q=alert",
        reverse("marketplace:my_listings"),
        reverse("marketplace:listing_edit", args=[listing.pk]),
    ]
    staff_pages = [
        reverse("admin:ai_prefill_analysis_change", args=[posted.pk]),
        reverse("admin:ai_prefill_analysis_changelist"),
        reverse("admin:ai_prefill_llmcall_change", args=[call.pk]),
        reverse("admin:feedback_suggestionreview_changelist"),
        reverse("admin:feedback_suggestionreview_change", args=[review.pk]),
        reverse("admin:marketplace_listing_change", args=[listing.pk]),
        reverse("feedback:annotate"),
        reverse("ai_monitoring:dashboard"),
    ]
    # Pages that list analyses or numbers, not the suggestion's words.
    without_title = {reverse("admin:ai_prefill_analysis_changelist"), reverse("ai_monitoring:dashboard")}
    for user, pages in ((seller, seller_pages), (staff, staff_pages)):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            assert_inert(page, url)
            if url not in without_title:
                assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page, f"{url} shows the title"
    client.logout()
    assert_inert(client.get(listing.get_absolute_url()).content.decode(), "listing, signed out")


def test_the_api_returns_it_as_json_that_browsers_will_not_sniff(client, seller, posted):
    client.force_login(seller)

    response = client.get(f"/api/analyses/{posted.pk}")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["suggestion"]["title"] == HOSTILE["title"]

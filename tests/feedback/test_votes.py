import pytest
from django.urls import reverse

from core.errors import NotFound
from feedback.models import Vote
from feedback.services import VoteInvalid, vote_record
from tests.factories import UserFactory, suggested_analysis

pytestmark = pytest.mark.django_db


def vote_url(analysis) -> str:
    return reverse("feedback_public:vote", args=[analysis.pk])


def test_a_new_vote_replaces_the_current_one_and_keeps_the_history(seller):
    analysis = suggested_analysis(user=seller)

    vote_record(analysis=analysis, user=seller, value="up")
    vote_record(analysis=analysis, user=seller, value="down", reasons=["price_off", "wrong_tone"], comment="Too cheap")

    current = Vote.objects.get(analysis=analysis, replaced_at__isnull=True)
    assert (current.value, current.reasons, current.comment) == ("down", ["price_off", "wrong_tone"], "Too cheap")
    history = list(Vote.objects.filter(analysis=analysis).order_by("created_at", "id").values_list("value", flat=True))
    assert history == ["up", "down"]
    assert Vote.objects.get(value="up").replaced_at is not None


def test_only_the_owner_can_vote(seller, buyer, staff):
    analysis = suggested_analysis(user=seller)

    for stranger in (buyer, staff):
        with pytest.raises(NotFound):
            vote_record(analysis=analysis, user=stranger, value="up")

    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("value", "reasons", "comment", "message"),
    [
        ("sideways", [], "", "up or down"),
        ("down", ["too_blue"], "", "not one of the reasons"),
        ("up", ["price_off"], "", "thumbs down only"),
        ("down", [], "x" * 501, "under 500 characters"),
    ],
)
def test_it_rejects_bad_values_with_a_sentence(seller, value, reasons, comment, message):
    analysis = suggested_analysis(user=seller)

    with pytest.raises(VoteInvalid, match=message):
        vote_record(analysis=analysis, user=seller, value=value, reasons=reasons, comment=comment)


def test_there_is_nothing_to_rate_before_the_suggestion(seller):
    analysis = suggested_analysis(user=seller, status="failed")

    with pytest.raises(VoteInvalid, match="no suggestion"):
        vote_record(analysis=analysis, user=seller, value="down")


def test_the_widget_votes_in_place_with_htmx(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    response = client.post(vote_url(analysis), {"vote": "down"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="suggestion-vote"' in html and 'value="down" class="vote-button" aria-pressed="true"' in html
    assert 'name="reasons" value="wrong_category"' in html  # thumbs down opens the reasons
    assert "<html" not in html
    assert Vote.objects.get().value == "down"


def test_the_widget_sends_reasons_and_comment_and_shows_them_back(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)
    client.post(vote_url(analysis), {"vote": "down"}, HTTP_HX_REQUEST="true")

    response = client.post(
        vote_url(analysis),
        {"vote": "down", "reasons": ["wrong_item", "made_up_details"], "comment": "It's a <b>lamp</b>"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert 'value="wrong_item" checked' in html and 'value="made_up_details" checked' in html
    assert "It&#x27;s a &lt;b&gt;lamp&lt;/b&gt;" in html
    assert Vote.objects.filter(replaced_at__isnull=True).get().reasons == ["wrong_item", "made_up_details"]
    assert Vote.objects.count() == 2


def test_without_javascript_the_vote_redirects_back(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    response = client.post(vote_url(analysis), {"vote": "up", "next": "/sell/?analysis=1"})

    assert response.status_code == 302 and response["Location"] == "/sell/?analysis=1"
    assert Vote.objects.get().value == "up"


def test_it_never_redirects_off_site(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    response = client.post(vote_url(analysis), {"vote": "up", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_ticks_left_from_a_thumbs_down_do_not_travel_with_a_thumbs_up(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    client.post(vote_url(analysis), {"vote": "up", "reasons": ["price_off"]}, HTTP_HX_REQUEST="true")

    assert Vote.objects.get().reasons == []


def test_a_rejected_vote_keeps_what_was_typed(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)
    typed = "Long story. " * 50

    response = client.post(vote_url(analysis), {"vote": "down", "comment": typed}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    html = response.content.decode()
    assert "under 500 characters" in html and typed.strip() in html
    assert not Vote.objects.exists()


def test_a_rejected_vote_without_javascript_is_a_400_page_keeping_the_input(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    response = client.post(vote_url(analysis), {"vote": "maybe", "comment": "hm"})

    assert response.status_code == 400
    assert "A vote is up or down." in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "stranger", "staff"])
def test_the_widget_is_404_for_anyone_but_the_owner(client, seller, who):
    analysis = suggested_analysis(user=seller)
    if who != "anonymous":
        client.force_login(UserFactory(username=who, is_staff=who == "staff"))

    response = client.post(vote_url(analysis), {"vote": "up"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_the_widget_only_accepts_posts(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    assert client.get(vote_url(analysis)).status_code == 405


def test_the_partial_renders_the_current_vote_for_inclusion(rf, seller):
    from django.template.loader import render_to_string

    analysis = suggested_analysis(user=seller)
    vote = vote_record(analysis=analysis, user=seller, value="down", reasons=["price_off"])
    request = rf.get("/sell/")
    request.user = seller

    html = render_to_string("feedback/_vote.html", {"analysis": analysis, "vote": vote}, request=request)

    assert 'value="price_off" checked' in html and 'name="next" value="/sell/"' in html
    assert 'aria-pressed="true"' in html and html.count('aria-pressed="false"') == 1

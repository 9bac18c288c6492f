"""The feedback loop covers item details: posting facts, corrections per detail, vote reasons, annotation, review."""

import pytest
from django.urls import reverse

from feedback.models import Annotation, Correction, Vote
from feedback.services import VoteInvalid, corrections_record_late, vote_record
from marketplace.services.listings import ListingData, listing_update
from tests.factories import SUGGESTION, category, suggested_analysis
from tests.feedback.helpers import post_from_suggestion

pytestmark = pytest.mark.django_db

# A prefill-v4 suggestion: details for the suggested category, the model one not visible.
V4 = {
    **SUGGESTION,
    "attributes": {"brand": "Sony", "model": None, "colour": "black"},
    "confidence": {"title": "high", "brand": "high", "colour": "medium", "model": "low"},
    "category_candidates": ["electronics"],
    "language": "en",
}


def _corrections(analysis) -> dict[str, tuple[str, str, bool]]:
    rows = Correction.objects.filter(analysis=analysis, kind=Correction.Kind.INITIAL)
    return {row.field: (row.suggested, row.final, row.changed) for row in rows}


def test_a_correction_is_recorded_per_suggested_detail(seller):
    analysis, _ = post_from_suggestion(
        seller, analysis={"suggestion": V4}, attributes={"brand": "Bose", "colour": "BLACK", "model": ""}
    )

    assert analysis.posted_values["brand"] == "Bose" and analysis.posted_values["model"] == ""
    corrections = _corrections(analysis)
    assert corrections["brand"] == ("Sony", "Bose", True)
    # "BLACK" is the closed list's "black": kept. The model it could not see, left empty: kept too.
    assert corrections["colour"] == ("black", "black", False)
    assert corrections["model"] == ("", "", False)
    assert set(corrections) == {"title", "description", "category", "price", "condition", "brand", "model", "colour"}


def test_a_detail_typed_in_another_case_is_kept(seller):
    analysis, _ = post_from_suggestion(seller, analysis={"suggestion": V4}, attributes={"brand": "SONY"})

    assert _corrections(analysis)["brand"] == ("Sony", "SONY", False)


def test_a_detail_the_posted_category_has_not_is_not_compared(seller):
    analysis, _ = post_from_suggestion(
        seller, analysis={"suggestion": V4}, category=category("books"), attributes={"author": "Calvino"}
    )

    corrections = _corrections(analysis)
    assert "brand" not in corrections and "colour" not in corrections and "author" not in corrections
    assert corrections["category"][2] is True


def test_an_old_suggestion_without_details_has_nothing_to_correct_in_them(seller):
    analysis, _ = post_from_suggestion(seller, attributes={"brand": "Sony"})

    assert set(_corrections(analysis)) == {"title", "description", "category", "price", "condition"}


def test_a_detail_changed_after_posting_is_a_late_correction(seller):
    analysis, listing = post_from_suggestion(seller, analysis={"suggestion": V4}, attributes={"brand": "Sony"})
    data = ListingData(
        title=listing.title,
        description=listing.description,
        category=listing.category,
        price=listing.price,
        condition=listing.condition,
        attributes={"brand": "Panasonic"},
    )
    listing_update(listing=listing, actor=seller, data=data)

    assert corrections_record_late() == 1
    late = Correction.objects.get(analysis=analysis, kind=Correction.Kind.LATE)
    assert (late.field, late.suggested, late.final, late.changed) == ("brand", "Sony", "Panasonic", True)


# --- Votes -----------------------------------------------------------------------------------------


def test_a_thumbs_down_can_say_a_suggested_detail_is_wrong(seller):
    analysis = suggested_analysis(user=seller, suggestion=V4)

    vote = vote_record(analysis=analysis, user=seller, value="down", reasons=["brand", "price_off"])

    assert vote.reasons == ["brand", "price_off"]
    assert vote.reason_labels == ["Wrong brand", "Price off"]


@pytest.mark.parametrize("suggestion", [V4, SUGGESTION])
def test_a_detail_the_suggestion_did_not_fill_is_no_reason(seller, suggestion):
    analysis = suggested_analysis(user=seller, suggestion=suggestion)

    with pytest.raises(VoteInvalid, match="'model' is not one of the reasons we know"):
        vote_record(analysis=analysis, user=seller, value="down", reasons=["model"])


def test_the_widget_offers_the_suggested_details_as_reasons(client, seller):
    analysis = suggested_analysis(user=seller, suggestion=V4)
    client.force_login(seller)

    response = client.post(
        reverse("feedback_public:vote", args=[analysis.pk]), {"vote": "down"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert 'name="reasons" value="brand"> Wrong brand' in html
    assert 'name="reasons" value="colour"> Wrong colour' in html
    assert 'value="model"' not in html  # not visible: nothing to be wrong about

    client.post(
        reverse("feedback_public:vote", args=[analysis.pk]),
        {"vote": "down", "reasons": ["colour"]},
        HTTP_HX_REQUEST="true",
    )
    assert Vote.objects.get(replaced_at__isnull=True).reasons == ["colour"]


def test_the_api_takes_a_detail_as_a_reason(client, seller):
    import json

    from marketplace.services.accounts import api_token_create

    analysis = suggested_analysis(user=seller, suggestion=V4)
    token = api_token_create(user=seller, name="test")
    response = client.post(
        f"/api/analyses/{analysis.pk}/feedback",
        json.dumps({"vote": "down", "reasons": ["brand"]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 201, response.json()
    assert Vote.objects.get().reasons == ["brand"]


# --- Annotation queue and review -------------------------------------------------------------------


def _verdicts(analysis, **overrides) -> dict:
    data = {"analysis_id": str(analysis.pk), "dataset": "default", "save": ""}
    for field in ("title", "description", "category", "price", "condition", "brand", "model", "colour"):
        data[f"{field}_verdict"] = "right"
        data[f"{field}_value"] = ""
    return {**data, **overrides}


def test_the_annotation_queue_shows_and_takes_the_suggested_details(client, seller, staff, settings):
    settings.ANNOTATION_SAMPLE_RATE = 1
    analysis = suggested_analysis(user=seller, suggestion=V4)
    client.force_login(staff)

    html = client.get(reverse("feedback:annotate")).content.decode()
    assert 'name="brand_verdict"' in html and 'name="colour_value"' in html
    assert "not visible" in html
    assert '<option value="white">White</option>' in html

    response = client.post(
        reverse("feedback:annotate"),
        _verdicts(analysis, brand_verdict="wrong", brand_value="Bose", colour_verdict="wrong", colour_value="white"),
    )

    assert response.status_code == 302
    annotation = Annotation.objects.get()
    assert annotation.verdicts["brand"] == {"correct": False, "value": "Bose"}
    assert annotation.verdicts["colour"] == {"correct": False, "value": "white"}
    assert annotation.wrong_fields == ["brand", "colour"]


def test_an_old_suggestion_in_the_queue_has_no_detail_rows(client, seller, staff, settings):
    settings.ANNOTATION_SAMPLE_RATE = 1
    suggested_analysis(user=seller)
    client.force_login(staff)

    html = client.get(reverse("feedback:annotate")).content.decode()

    assert 'name="title_verdict"' in html and 'name="brand_verdict"' not in html


def test_the_suggestion_review_shows_the_details_beside_what_was_posted(client, seller, staff):
    analysis, _ = post_from_suggestion(seller, analysis={"suggestion": V4}, attributes={"brand": "Bose"})
    client.force_login(staff)

    html = client.get(reverse("admin:feedback_suggestionreview_change", args=[analysis.pk])).content.decode()

    assert "<tr><th>brand</th>" in html and "Bose" in html
    assert "<tr><th>model</th>" in html and "(not visible)" in html

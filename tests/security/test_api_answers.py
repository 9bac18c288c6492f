"""The API's answers stay small and JSON whatever is sent: no amplification, and 404/405 are {"detail": ...}.

The probe of issue 12 sent a 3.6 MB JSON of 200,000 unknown keys and got a 31 MB answer after seconds.
"""

import json

import pytest
from ninja.errors import ValidationError

from config.api import api
from tests.factories import ListingFactory, suggested_analysis

pytestmark = pytest.mark.django_db

MANY = 200_000
# 20 problems of at most 200 characters each, told twice (the sentence and the list); the body sent is 3.4 MB.
ANSWER_LIMIT = 20_000


def _many_unknown_keys() -> str:
    return json.dumps({f"extra{number}": 1 for number in range(MANY)})  # 3.4 MB, under the 5 MB body limit


@pytest.fixture
def listing(seller):
    return ListingFactory(seller=seller, title="Desk lamp")


def test_a_patch_with_200000_unknown_keys_gets_a_short_422(client, seller, listing):
    client.force_login(seller)

    response = client.patch(f"/api/listings/{listing.pk}", _many_unknown_keys(), content_type="application/json")

    assert response.status_code == 422
    assert len(response.content) < ANSWER_LIMIT
    detail = response.json()["detail"]
    assert detail.startswith("Unknown fields 'extra0', 'extra1'")
    assert f"and {MANY - 5:,} more" in detail
    assert (
        "This endpoint takes only: attributes, buyer_id, category, condition, description, place, price, status, "
        "title." in detail
    )
    listing.refresh_from_db()
    assert listing.title == "Desk lamp"


def test_feedback_with_200000_unknown_keys_gets_a_short_422(client, seller):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)
    body = json.dumps({"vote": "up", **json.loads(_many_unknown_keys())})

    response = client.post(f"/api/analyses/{analysis.pk}/feedback", body, content_type="application/json")

    assert response.status_code == 422
    assert len(response.content) < ANSWER_LIMIT
    assert response.json()["detail"].startswith("Unknown fields 'extra0'")


def test_one_unknown_key_is_named(client, seller, listing):
    client.force_login(seller)

    response = client.patch(f"/api/listings/{listing.pk}", {"colour": "red"}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Unknown field 'colour'. This endpoint takes only: ")


def test_the_validation_answer_lists_at_most_20_problems_each_cut_short(rf):
    # No endpoint yields this many errors any more (unknown keys are refused first), so the API's handler gets
    # them directly: what pydantic reports for 200,000 wrong fields, each with a long name and a long input.
    errors = [
        {
            "type": "string_type",
            "loc": ("body", f"field_{number}_" + "n" * 300),
            "msg": "Input should be a valid string",
            "input": "v" * 1000,
        }
        for number in range(MANY)
    ]

    response = api.on_exception(rf.post("/api/listings"), ValidationError(errors))

    assert response.status_code == 422
    assert len(response.content) < ANSWER_LIMIT
    answer = json.loads(response.content)
    assert len(answer["errors"]) == 20
    assert answer["detail"].startswith("Please check the request. field_0_nnn")
    assert answer["detail"].endswith(f"; and {MANY - 20:,} more problems.")
    assert all(len(error["input"]) <= 200 and len(error["loc"][1]) <= 200 for error in answer["errors"])


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/listings/12/nothing", "/api/"])
def test_an_unknown_api_address_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "There is nothing at this address. The API's endpoints are listed at /api/docs."
    }


def test_a_method_the_api_address_does_not_take_is_a_json_405(client):
    response = client.put("/api/categories", "{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": "This address does not accept PUT; use GET."}


def test_a_missing_page_outside_the_api_is_still_the_site_s_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "find that page" in response.content.decode()

"""Hostile `next` values and Referer headers never send a person off the site after a form."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, suggested_analysis

pytestmark = pytest.mark.django_db

OFF_SITE = ["https://evil.example/login", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_logging_in_stays_on_the_site(client, target):
    UserFactory(username="anna")

    response = client.post(
        reverse("marketplace:login"), {"username": "anna", "password": "correct horse battery", "next": target}
    )

    assert response.status_code == 302 and response["Location"] == reverse("marketplace:browse")


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_up_stays_on_the_site(client, target):
    data = {
        "username": "anna",
        "display_name": "Anna",
        "email": "anna@example.com",
        "password": "a long and unusual passphrase",
        "password_again": "a long and unusual passphrase",
        "next": target,
    }

    response = client.post(reverse("marketplace:signup"), data)

    assert response.status_code == 302 and response["Location"] == reverse("marketplace:browse")


@pytest.mark.parametrize("target", OFF_SITE)
def test_voting_goes_back_only_to_a_page_of_ours(client, seller, target):
    analysis = suggested_analysis(user=seller)
    client.force_login(seller)

    response = client.post(
        reverse("feedback_public:vote", args=[analysis.pk]), {"vote": "up", "next": target}, HTTP_REFERER=target
    )

    assert response.status_code == 302 and response["Location"] == "/"

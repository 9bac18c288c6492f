"""The 500 handler: a database that cannot be reached is a 503 with a sentence; the API answers JSON.

The views below stand in for any page whose query meets a database that is restarting: they raise what
Django raises then. The handler itself is the real one, wired in config/urls.py.
"""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import get_resolver, path

from config import urls as site_urls
from core.error_pages import FAILED_SENTENCE, UNAVAILABLE_SENTENCE, server_error


def database_restarting(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: the database system is shutting down")


def broken(request):
    raise ValueError("a bug")


# The site's own URLs too: the error pages link to them.
urlpatterns = [
    path("page/", database_restarting),
    path("api/things", database_restarting),
    path("broken/", broken),
    path("api/broken", broken),
    *site_urls.urlpatterns,
]
handler500 = "core.error_pages.server_error"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_it_is_the_site_s_500_handler():
    assert get_resolver("config.urls").resolve_error_handler(500) is server_error


@pytest.mark.urls(__name__)
def test_it_answers_a_page_that_meets_an_unreachable_database_with_a_503_page(client):
    response = client.get("/page/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Trova is briefly unavailable" in page
    assert "try again in a minute" in page
    assert "shutting down" not in page and "Traceback" not in page


@pytest.mark.urls(__name__)
def test_it_answers_the_api_with_a_json_sentence(client):
    response = client.get("/api/things")

    assert response.status_code == 503
    assert response.json() == {"detail": UNAVAILABLE_SENTENCE}


@pytest.mark.urls(__name__)
def test_it_keeps_other_errors_a_500(client):
    page = client.get("/broken/")
    api = client.get("/api/broken")

    assert page.status_code == 500 and "Something went wrong on our side" in page.content.decode()
    assert "Retry-After" not in page
    assert api.status_code == 500 and api.json() == {"detail": FAILED_SENTENCE}

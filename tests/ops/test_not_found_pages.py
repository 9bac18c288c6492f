"""404 in development: the site's own page (what a person sees with `make run`), and Django's debug page only
when a developer asks for it (DEBUG_TECHNICAL_404=1, or ?technical_404 on the address)."""

import pytest

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

SITE_PAGE = "find that page"
DEBUG_PAGE = "Django tried these URL patterns"  # the debug page for an address no pattern matches
DEBUG_PAGE_FOR_A_VIEW = "Raised by:"  # the debug page for a view's Http404


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def test_a_deleted_listing_shows_the_site_s_404_page_in_development(client, debug, seller):
    listing = ListingFactory(seller=seller)
    address = listing.get_absolute_url()
    listing.delete()

    response = client.get(address)

    assert response.status_code == 404
    page = response.content.decode()
    assert SITE_PAGE in page and DEBUG_PAGE_FOR_A_VIEW not in page


def test_an_unknown_address_shows_the_site_s_404_page_in_development(client, debug):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert SITE_PAGE in page and DEBUG_PAGE not in page


def test_the_query_switch_shows_django_s_debug_page(client, debug, seller):
    listing = ListingFactory(seller=seller)
    address = listing.get_absolute_url()
    listing.delete()

    assert DEBUG_PAGE in client.get("/no-such-page/?technical_404").content.decode()
    assert DEBUG_PAGE_FOR_A_VIEW in client.get(f"{address}?technical_404").content.decode()


def test_the_setting_shows_django_s_debug_page(client, debug):
    debug.DEBUG_TECHNICAL_404 = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert DEBUG_PAGE in response.content.decode()


def test_the_switch_does_nothing_without_debug(client):
    response = client.get("/no-such-page/?technical_404")

    assert response.status_code == 404
    page = response.content.decode()
    assert SITE_PAGE in page and DEBUG_PAGE not in page


def test_the_api_answers_json_in_development_too(client, debug):
    response = client.get("/api/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("There is nothing at this address.")

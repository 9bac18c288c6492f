"""The site in Italian in a real browser: chosen by the browser's language, switched in the footer, saved on the
account; on a phone nothing runs off the page, and the switcher passes axe-core's rules.

The set-up (live server, Chromium) is described in test_journey.py.
"""

import json
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketplace.models import User
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import ListingFactory, UserFactory, category, listing_photo

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# Whether anything is wider than the page (Italian is longer than English).
OVERFLOWS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def serious_violations(page, axe_script) -> list[dict]:
    """axe-core's serious and critical findings on the page, as test_sell_page reads them."""
    page.add_script_tag(path=axe_script)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"rule": violation["id"], "help": violation["help"], "where": [node["target"] for node in violation["nodes"]]}
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def accedi(page, username: str) -> None:
    """log_in, through the Italian form."""
    page.goto("/login/")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def listing(transactional_db, seeded_categories):
    seller = UserFactory(username="gina", display_name="Gina G.")
    listing = ListingFactory(seller=seller, title="Lampada", price=Decimal("1250.50"), category=category("furniture"))
    listing_photo(listing, is_main=True)
    return listing


def test_an_italian_browser_gets_italian_and_the_footer_switches_to_english_where_the_person_is(
    live_server, open_page, listing
):
    page = open_page(locale="it-IT", **PHONE)
    page.goto(listing.get_absolute_url())

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator(".listing-price")).to_have_text("1.250,50 €")
    expect(page.locator(".facts")).to_contain_text("Arredamento")
    assert not page.evaluate(OVERFLOWS)

    page.get_by_label("Lingua").select_option("en")
    page.get_by_role("button", name="Cambia").click()

    expect(page).to_have_url(live_server.url + listing.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".listing-price")).to_have_text("€1,250.50")


def test_a_signed_in_persons_switch_is_kept_on_the_account_for_their_next_visit(live_server, open_page, listing):
    page = open_page(locale="en-GB")
    log_in(page, "gina")
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    assert User.objects.get(username="gina").language == "it"

    elsewhere = open_page(locale="en-GB")  # another browser: no cookie, an English Accept-Language
    log_in(elsewhere, "gina")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "it")
    expect(elsewhere.get_by_role("link", name="I miei annunci")).to_be_visible()


@pytest.mark.parametrize("path", ["/", "/account/", "/my/listings/", "/login/"])
def test_italian_pages_on_a_phone_fit_and_have_no_serious_accessibility_violations(
    live_server, open_page, listing, axe_script, path
):
    page = open_page(locale="it-IT", bypass_csp=True, **PHONE)
    if path != "/login/":
        accedi(page, "gina")
    page.goto(path)

    expect(page.locator("html")).to_have_attribute("lang", "it")
    assert not page.evaluate(OVERFLOWS), path
    found = serious_violations(page, axe_script)
    assert not found, json.dumps(found, indent=2)

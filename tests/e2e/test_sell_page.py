"""The sell page on a phone, with the keyboard alone, and under axe-core's accessibility rules.

The set-up (live server, worker, fake model, Chromium) is described in test_journey.py.
"""

import json

import pytest
from playwright.sync_api import expect

from ai_prefill.models import Analysis
from feedback.models import Vote
from marketplace.models import Listing
from tests.e2e.conftest import log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# Where focus is shown: on the control itself, or on the photo area around its invisible file input.
FOCUS_SHOWN = """() => {
  const focused = document.activeElement;
  return [focused, focused.closest('.photo-drop')].filter(Boolean).some((element) => {
    const style = getComputedStyle(element);
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  });
}"""


@pytest.fixture
def seller(db):
    return UserFactory(username="gina", display_name="Gina G.")


def test_it_sells_from_a_photo_on_a_phone(site, model, open_page, seller, mug_photo):
    phone = open_page(**PHONE)
    log_in(phone, "gina")
    phone.get_by_role("link", name="Sell", exact=True).tap()
    phone.wait_for_url("**/sell/")
    # On a touch screen one tap on the photo area opens the phone's picker: camera or library, several at once,
    # and again for more (image/*, multiple, no capture attribute forcing the camera alone).
    area = phone.get_by_text("Tap to choose photos or take one; again for more.")
    expect(area).to_be_visible()
    with phone.expect_file_chooser() as chooser:
        phone.locator("#photo-drop").tap()
    assert chooser.value.is_multiple()
    assert chooser.value.element.get_attribute("accept") == "image/*"
    chooser.value.set_files(mug_photo)

    expect(phone.get_by_label("Title")).to_have_value("Red ceramic mug")
    expect(phone.locator("#analysis-status")).to_contain_text("Done")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    publish = phone.get_by_role("button", name="Publish listing")
    publish.scroll_into_view_if_needed()
    box = publish.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, f"the Publish button is too small to tap: {box}"
    publish.tap()

    expect(phone.get_by_role("status")).to_contain_text("Your listing is live.")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Red ceramic mug")
    expect(phone.get_by_role("img", name="Red ceramic mug, photo 1 of 1")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the listing scrolls sideways on a phone"
    listing = Listing.objects.get(seller=seller)
    assert Analysis.objects.get(user=seller).listing_id == listing.pk


def tab_to(page, selector: str, *, most: int = 40) -> None:
    """Press Tab until the element matching selector has the focus, and check that the focus shows."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"{selector} has the focus, but nothing shows it"
            return
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"Tab never reached {selector} in {most} presses; the focus is on {focused}")


def test_it_posts_a_listing_with_the_keyboard_alone(site, model, open_page, seller, mug_photo):
    page = open_page()
    log_in(page, "gina")
    page.goto("/sell/")

    tab_to(page, "#id_photos")
    # The one step that is not a key press: the browser's own file dialog, which Playwright cannot type into.
    page.locator("#id_photos:focus").set_input_files(mug_photo)
    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")

    tab_to(page, ".suggestion-vote button[value=up]")
    page.keyboard.press("Space")
    expect(page.locator(".suggestion-vote button[value=up]")).to_have_attribute("aria-pressed", "true")
    tab_to(page, "#id_title")
    page.keyboard.press("End")
    page.keyboard.type(", 350 ml")
    tab_to(page, "#id_price")
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    tab_to(page, "button[type=submit][value=publish]:not([tabindex='-1'])")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Your listing is live.")
    listing = Listing.objects.get(seller=seller)
    assert (listing.title, str(listing.price)) == ("Red ceramic mug, 350 ml", "8.00")
    assert Vote.objects.get(analysis__listing=listing, replaced_at__isnull=True).value == "up"


def serious_violations(page, axe_script) -> list[dict]:
    page.add_script_tag(path=axe_script)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [PHONE, {}], ids=["phone", "desktop"])
def test_the_sell_page_has_no_serious_accessibility_violations(
    site, model, open_page, seller, mug_photo, axe_script, viewport
):
    # The page's Content-Security-Policy would refuse the injected axe script; only this test's context ignores it.
    page = open_page(bypass_csp=True, **viewport)
    log_in(page, "gina")
    page.goto("/sell/")
    found = {"empty form": serious_violations(page, axe_script)}

    page.locator("#id_photos").set_input_files(mug_photo)
    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")
    page.get_by_role("button", name="No", exact=True).click()
    expect(page.get_by_label("Price off")).to_be_visible()
    found["suggestion, thumbs down"] = serious_violations(page, axe_script)

    page.get_by_role("textbox", name="Price").fill("a lot")
    page.get_by_role("button", name="Publish listing").click()
    expect(page.locator("#field-price .field-error")).to_be_visible()
    found["refused price"] = serious_violations(page, axe_script)

    assert not any(found.values()), json.dumps(found, indent=2)

"""Several photos on the sell page, and the values the model is unsure of offered as choices.

The set-up (live server, worker, fake model, Chromium) is described in test_journey.py. Each photo is one flat
colour, so what reached the model, and in which order, can be read back from the images it was sent.
"""

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from ai_prefill.models import Analysis
from marketplace.models import Listing, Photo
from tests.e2e.conftest import log_in
from tests.factories import UserFactory
from tests.fake_openai import decode_data_url, request_image_details, request_image_urls

pytestmark = pytest.mark.e2e

COLOURS = {"red": (210, 30, 30), "green": (30, 170, 60), "blue": (30, 60, 210), "yellow": (230, 210, 40)}


@pytest.fixture
def seller(db):
    return UserFactory(username="gina", display_name="Gina G.")


@pytest.fixture
def photos(tmp_path):
    """photos(*colour names) -> one JPEG file per colour, to pick in the browser."""

    def photos(*names: str) -> list[Path]:
        paths = []
        for number, name in enumerate(names):
            path = tmp_path / f"{number}-{name}.jpg"
            Image.new("RGB", (900, 700), COLOURS[name]).save(path, format="JPEG", quality=90)
            paths.append(path)
        return paths

    return photos


def colour_of(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    return min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], pixel, strict=True)))


def colours_sent(request) -> list[str]:
    return [colour_of(decode_data_url(url)[1]) for url in request_image_urls(request.body)]


def listing_colours(listing: Listing) -> list[str]:
    colours = []
    for photo in listing.photos.order_by("position"):
        with photo.image.open("rb") as image_file:
            colours.append(colour_of(image_file.read()))
    return colours


def sell_page(open_page):
    page = open_page()
    log_in(page, "gina")
    page.goto("/sell/")
    return page


def test_three_photos_reach_the_model_in_order_and_become_the_listings_photos(site, model, open_page, seller, photos):
    page = sell_page(open_page)

    page.locator("#id_photos").set_input_files(photos("red", "green", "blue"))

    expect(page.locator("#photo-list .photo-item img")).to_have_count(3)
    expect(page.locator("#analysis-status")).to_contain_text("Done")
    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")
    (request,) = model.requests
    assert colours_sent(request) == ["red", "green", "blue"]
    assert request_image_details(request.body) == ["low", "low", "low"]
    expect(page.locator("#photo-list .photo-item").first.locator(".photo-main-badge")).to_be_visible()
    page.screenshot(path=Path("test-results") / "sell-three-photos.png", full_page=True)

    page.get_by_role("button", name="Publish listing").click()

    expect(page.get_by_role("status")).to_contain_text("Your listing is live.")
    listing = Listing.objects.get(seller=seller)
    assert listing_colours(listing) == ["red", "green", "blue"]
    assert listing.photos.get(is_main=True).position == 0
    assert Photo.objects.filter(owner=seller).count() == 3  # no second upload
    expect(page.get_by_role("img", name="Red ceramic mug, photo 1 of 3")).to_be_visible()


def test_photos_move_and_go_and_a_new_one_updates_the_suggestion_keeping_typed_fields(
    site, model, open_page, seller, photos
):
    page = sell_page(open_page)
    page.locator("#id_photos").set_input_files(photos("red", "green"))
    expect(page.locator("#analysis-status")).to_contain_text("Done")
    page.get_by_label("Title").fill("My own words")
    update = page.get_by_role("button", name="Update suggestions with the new photo")
    expect(update).to_be_hidden()

    page.locator("#id_photos").set_input_files(photos("blue"))
    expect(page.locator("#photo-list .photo-item img")).to_have_count(3)
    expect(update).to_be_visible()
    # With the keyboard: the blue photo one place earlier, then the green one out.
    page.locator("#photo-list .photo-item").nth(2).get_by_role("button", name="Move this photo earlier").focus()
    page.keyboard.press("Enter")
    items = page.locator("#photo-list .photo-item")
    expect(items.nth(1).get_by_role("button", name="Move this photo earlier")).to_be_focused()
    items.nth(2).get_by_role("button", name="Remove this photo").click()
    expect(items).to_have_count(2)
    page.screenshot(path=Path("test-results") / "sell-update-suggestions.png", full_page=True)
    update.click()

    expect(update).to_be_hidden()
    expect(page.locator("#analysis-status")).to_contain_text("Done")
    first, second = model.requests
    assert colours_sent(first) == ["red", "green"]
    assert colours_sent(second) == ["red", "blue"]
    assert Analysis.objects.filter(user=seller).count() == 2
    expect(page.get_by_label("Title")).to_have_value("My own words")

    page.get_by_role("button", name="Publish listing").click()

    expect(page.get_by_role("status")).to_contain_text("Your listing is live.")
    listing = Listing.objects.get(seller=seller)
    assert listing_colours(listing) == ["red", "blue"]
    assert listing.title == "My own words"


def test_nine_photos_are_refused_with_a_sentence(site, model, open_page, seller, photos):
    page = sell_page(open_page)

    page.locator("#id_photos").set_input_files(photos(*["red", "green", "blue"] * 3))

    expect(page.locator("#photo-errors")).to_contain_text(
        "A listing can have up to 8 photos: you have 0 and picked 9. Please pick at most 8."
    )
    expect(page.locator("#photo-list .photo-item")).to_have_count(0)
    assert not Photo.objects.exists() and model.requests == []
    page.locator("#id_photos").set_input_files(photos("red"))
    expect(page.locator("#photo-errors")).to_be_empty()
    expect(page.locator("#analysis-status")).to_contain_text("Done")


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed slowly"])
def test_an_unsure_category_is_offered_as_choices_and_a_tap_fills_it(
    site, model, open_page, seller, photos, settings, streamed
):
    # Streamed slowly, the category shows early as the stream completes it; the suggestion then takes it back.
    settings.AI_STREAM = streamed
    model.token_pace = 0.05 if streamed else 0.0
    model.answer = {
        "title": "Wooden toy robot",
        "category": "electronics",
        "confidence": {"category": "low"},
        "category_candidates": ["electronics", "toys-kids"],
    }
    page = sell_page(open_page)

    page.locator("#id_photos").set_input_files(photos("yellow"))

    expect(page.locator("#analysis-status")).to_contain_text("Done")
    expect(page.get_by_label("Title")).to_have_value("Wooden toy robot")
    category = page.get_by_label("Category")
    expect(category).to_have_value("")  # unsure: offered, not filled
    choices = page.locator("#choices-category .choice")
    expect(choices).to_have_text(["Electronics?", "Toys & Kids?"])
    expect(page.locator("#field-category .suggested-chip")).to_be_hidden()
    if not streamed:
        page.screenshot(path=Path("test-results") / "sell-category-choices.png", full_page=True)

    page.get_by_role("button", name="Toys & Kids?").click()

    expect(category).to_have_value("toys-kids")
    expect(page.locator("#field-category .suggested-chip")).to_be_visible()
    expect(page.locator("#choices-category")).to_be_hidden()
    page.get_by_role("button", name="Publish listing").click()
    expect(page.get_by_role("status")).to_contain_text("Your listing is live.")
    assert Listing.objects.get(seller=seller).category.slug == "toys-kids"


def test_without_javascript_the_page_still_sells_from_several_photos(site, model, open_page, seller, photos):
    page = open_page(java_script_enabled=False)
    log_in(page, "gina")
    page.goto("/sell/")
    page.get_by_label("Title").fill("Three mugs")

    page.locator("#id_photos").set_input_files(photos("red", "green"))
    page.get_by_role("button", name="Analyse photos").click()

    expect(page.locator("#photo-list .photo-item")).to_have_count(2)
    expect(page.get_by_label("Title")).to_have_value("Three mugs")
    for _ in range(50):  # "Check again" until the worker is done: each click is one round trip
        if "Done" in page.locator("#analysis-status").inner_text():
            break
        page.get_by_role("button", name="Check again").click()
    expect(page.locator("#analysis-status")).to_contain_text("Done")
    expect(page.get_by_label("Title")).to_have_value("Three mugs")  # typed, so kept
    expect(page.get_by_label("Description")).to_have_value("Red mug, used a few times, no chips.")
    assert colours_sent(model.requests[0]) == ["red", "green"]
    page.locator("#photo-list .photo-item").nth(1).get_by_role("button", name="Move this photo earlier").click()
    page.screenshot(path=Path("test-results") / "sell-without-javascript.png", full_page=True)

    page.get_by_role("button", name="Publish listing").click()

    expect(page.get_by_role("status")).to_contain_text("Your listing is live.")
    assert listing_colours(Listing.objects.get(seller=seller)) == ["green", "red"]

"""The seller's wait in the browser: the photo is resized before it travels, the fields fill as the answer streams.

The set-up (live server, worker, fake model, Chromium) is described in test_journey.py. The worker runs in
this process, so the fields it publishes (ai_prefill.live) are in the same cache the live server reads.
"""

import base64
import io
import re

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from ai_prefill.models import Analysis
from tests.ai_prefill.llm_helpers import gps_exif
from tests.e2e.conftest import log_in, wait_for_model_request
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

# The file the page sends with each photo's POST (sell.js uploads it with fetch as soon as it is picked), kept for
# the test to read back: it is what goes over the wire.
CAPTURE_UPLOAD = """
const originalFetch = window.fetch;
window.fetch = function (resource, options) {
  const body = options && options.body;
  if (body instanceof FormData && body.get("photo")) window.__uploaded = body.get("photo");
  return originalFetch.apply(this, arguments);
};
"""
READ_UPLOAD = """async () => {
  const bytes = new Uint8Array(await window.__uploaded.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return btoa(text);
}"""


@pytest.fixture
def seller(db):
    return UserFactory(username="gina", display_name="Gina G.")


@pytest.fixture
def sideways_phone_photo(tmp_path):
    """A 12 MP photo the camera stored lying on its side (EXIF orientation 6), with the phone's GPS position."""
    exif = gps_exif()
    exif[ExifTags.Base.Orientation] = 6
    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    path = tmp_path / "IMG_0001.jpg"
    Image.blend(Image.new("RGB", (4000, 3000), (60, 150, 90)), noise, 0.3).save(path, "JPEG", quality=90, exif=exif)
    return path


def pick_photo(page, photo) -> None:
    page.locator("#id_photos").set_input_files(photo)


def test_the_uploaded_photo_is_resized_upright_and_without_exif(site, model, open_page, seller, sideways_phone_photo):
    page = open_page()
    page.add_init_script(CAPTURE_UPLOAD)
    log_in(page, "gina")
    page.goto("/sell/")

    pick_photo(page, sideways_phone_photo)
    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")

    sent = base64.b64decode(page.evaluate(READ_UPLOAD))
    with Image.open(io.BytesIO(sent)) as uploaded:
        assert uploaded.format == "JPEG"
        # Upright (the orientation applied) and 1600 px on its long side.
        assert uploaded.size == (1200, 1600)
        assert not uploaded.getexif(), "the browser sent the photo's metadata"
        assert "exif" not in uploaded.info
    assert len(sent) < sideways_phone_photo.stat().st_size / 4
    photo = Analysis.objects.get().photo
    assert (photo.width, photo.height) == (1200, 1600)


def test_a_full_size_photo_still_uploads_when_the_page_does_not_resize(
    site, model, open_page, seller, sideways_phone_photo
):
    page = open_page()
    page.add_init_script(CAPTURE_UPLOAD)
    log_in(page, "gina")
    page.goto("/sell/?resize=0")

    pick_photo(page, sideways_phone_photo)
    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")

    sent = base64.b64decode(page.evaluate(READ_UPLOAD))
    assert sent == sideways_phone_photo.read_bytes()
    # The server applied the orientation and made its own display size (DISPLAY_MAX_SIDE) from the full-size file.
    photo = Analysis.objects.get().photo
    assert (photo.width, photo.height) == (1200, 1600)


def test_the_page_fills_each_field_as_the_stream_delivers_it(site, model, open_page, seller, mug_photo, settings):
    settings.AI_STREAM = True
    # About 140 deltas (prefill-v4 asks for every category's item details, each null here, and a confidence per
    # field), 0.05 s apart: seven seconds in which the title is there and the condition not yet.
    model.token_pace = 0.05
    page = open_page()
    log_in(page, "gina")
    page.goto("/sell/")
    page.get_by_label("Description").fill("My own words about the mug.")

    pick_photo(page, mug_photo)
    wait_for_model_request(model, page)

    expect(page.get_by_label("Title")).to_have_value("Red ceramic mug")
    assert page.get_by_label("Condition").input_value() == "", "the last field arrived with the first"
    assert Analysis.objects.get().status == Analysis.Status.RUNNING
    expect(page.locator("#field-title")).to_have_class(re.compile(r"\bis-suggested\b"))
    expect(page.get_by_label("Condition")).to_have_value("good")
    expect(page.locator("#analysis-status")).to_contain_text("Done")
    # What the seller typed is never touched, by the stream or by the final answer.
    expect(page.get_by_label("Description")).to_have_value("My own words about the mug.")
    assert model.last_request.body["stream"] is True

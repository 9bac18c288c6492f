"""The site in a real browser: a seller, a buyer and a staff member, each in a browser context of their own.

How the pieces fit, and why this is the most real set-up that stays reliable here:
- Chromium from the machine (Debian's package), driven by Playwright's sync API; Playwright's own browser
  download needs the internet. A few fixtures of our own (conftest.py) rather than pytest-playwright.
- The web: pytest-django's live_server, Django's threaded WSGI server on a loopback port, serving the pages,
  the static files and the uploaded photos from the test database.
- The worker: a real Celery worker (celery.contrib.testing.worker.start_worker) with the thread pool that the
  recommended worker command uses, in this process. The web publishes each analysis on commit; the worker
  takes it from the broker: Redis when CELERY_BROKER_URL names one (CI), else kombu's in-memory transport.
  A worker in a process of its own would need a test database other processes can open, which PostgreSQL is
  and in-memory SQLite is not; tests/ai_prefill/test_worker_integration.py runs those, kills included.
- The database: PostgreSQL in CI; without DATABASE_URL, SQLite in a file in WAL mode (see conftest.py), so
  the live server's threads and the worker's threads each have a connection, as in production.
- The model: the fake OpenAI server on loopback, reached by the real openai SDK over HTTP. It holds its answer
  until the test has seen the page say that the photo is being analysed.
- Nothing is timed: each step waits (up to 15 s) for what a person would see next.
"""

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ai_prefill.models import Analysis
from feedback.models import Annotation, Correction, Vote
from marketplace.models import Category, Listing
from tests.e2e.conftest import log_in, wait_for_model_request
from tests.factories import UserFactory, listing_with_photo

pytestmark = pytest.mark.e2e

SUGGESTION = {
    "title": "Green ceramic mug",
    "description": "A green ceramic mug, hand-glazed, no chips or cracks.",
    "category": "home-garden",
    "price": 6.5,
    "condition": "like_new",
    # prefill-v4: the category's details, a confidence for each value, the candidates.
    "category_candidates": ["home-garden", "other"],
    "attributes": {"brand": None, "material": "ceramic", "colour": "green"},
    "confidence": {
        "title": "high",
        "description": "high",
        "category": "high",
        "price": "medium",
        "condition": "medium",
        "brand": "low",
        "material": "medium",
        "colour": "high",
    },
}


def test_a_seller_sells_from_a_photo_a_buyer_writes_and_staff_review_the_suggestion(site, model, open_page, mug_photo):
    model.answer = SUGGESTION
    # Two more listings, so that the search and the filter each have something to leave out.
    listing_with_photo(title="Blue ceramic mug", category=Category.objects.get(slug="other"), price=Decimal("4"))
    listing_with_photo(title="Green bicycle", category=Category.objects.get(slug="vehicles"), price=Decimal("90"))
    UserFactory(username="bea", display_name="Bea B.")
    UserFactory(username="stella", display_name="Stella", is_staff=True, is_superuser=True)

    # A seller signs up.
    seller = open_page()
    seller.goto("/")
    seller.get_by_role("link", name="Sign up").click()
    seller.get_by_label("Username").fill("gina")
    seller.get_by_label("Display name").fill("Gina G.")
    seller.get_by_label("E-mail").fill("gina@example.com")
    seller.get_by_label("Password", exact=True).fill("a long pass phrase 42")
    seller.get_by_label("Password again").fill("a long pass phrase 42")
    seller.get_by_role("button", name="Sign up").click()
    expect(seller.get_by_role("status")).to_contain_text("Welcome to Trova, Gina G.!")

    # She sells from a photo: it uploads at once, the page follows the analysis, the suggestion fills the form.
    seller.get_by_role("link", name="Sell", exact=True).click()
    seller.wait_for_url("**/sell/")  # the page's scripts have run: htmx now listens to the photo input
    model.gate.clear()
    with seller.expect_file_chooser() as chooser:
        seller.locator("#photo-drop").click()
    chooser.value.set_files(mug_photo)
    status = seller.locator("#analysis-status")
    expect(seller.get_by_alt_text("Photo 1")).to_be_visible()
    wait_for_model_request(model, seller)
    expect(status).to_contain_text("Analysing your photos")
    expect(status.locator(".progress-step.is-done")).to_have_text(["Photos uploaded: done"])
    expect(seller.get_by_label("Title")).to_have_value("")
    model.gate.set()
    expect(status).to_contain_text("Done: we filled in the empty fields we are sure about")
    expect(seller.get_by_label("Title")).to_have_value("Green ceramic mug")
    expect(seller.get_by_label("Description")).to_have_value(SUGGESTION["description"])
    expect(seller.get_by_label("Category")).to_have_value("home-garden")
    expect(seller.get_by_label("Condition")).to_have_value("like_new")
    expect(seller.get_by_label("Price")).to_have_value("6.50")
    expect(seller.locator("#field-title .suggested-chip")).to_be_visible()

    # Thumbs down, with a reason and a comment.
    seller.get_by_role("button", name="No", exact=True).click()
    seller.get_by_label("Price off").check()
    seller.get_by_label("Comment").fill("Handmade mugs sell for more.")
    seller.get_by_role("button", name="Send").click()
    expect(seller.get_by_role("status").filter(has_text="Thanks, noted.")).to_be_visible()

    # She corrects two fields and posts.
    seller.get_by_label("Title").fill("Green ceramic mug with saucer")
    seller.get_by_role("textbox", name="Price").fill("9")
    expect(seller.locator("#field-title .suggested-chip")).to_be_hidden()
    expect(seller.locator("#field-description .suggested-chip")).to_be_visible()
    seller.get_by_role("button", name="Publish listing").click()
    expect(seller.get_by_role("status")).to_contain_text("Your listing is live.")
    expect(seller.get_by_role("heading", level=1)).to_have_text("Green ceramic mug with saucer")
    expect(seller.locator(".listing-price")).to_contain_text("9")

    analysis = Analysis.objects.get(user__username="gina")
    listing = Listing.objects.get(seller__username="gina")
    assert analysis.status == Analysis.Status.SUCCEEDED
    assert analysis.listing_id == listing.pk
    assert listing.description == SUGGESTION["description"] and listing.price == Decimal("9.00")
    assert len(model.requests) == 1
    vote = Vote.objects.get(analysis=analysis, replaced_at__isnull=True)
    assert (vote.value, vote.reasons, vote.comment) == ("down", ["price_off"], "Handmade mugs sell for more.")
    # The worker derives the corrections from the posting facts once the posting has committed.
    initial = Correction.objects.filter(analysis=analysis, kind="initial")
    deadline = time.monotonic() + 15
    while initial.count() < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    changed = initial.filter(changed=True).values_list("field", "final")
    assert sorted(changed) == [("price", "9.00"), ("title", "Green ceramic mug with saucer")]

    # A buyer finds it by searching and filtering, and writes to the seller.
    buyer = open_page()
    log_in(buyer, "bea")
    buyer.get_by_role("searchbox", name="Search").fill("ceramic mug")
    buyer.get_by_role("searchbox", name="Search").press("Enter")
    results = buyer.locator("#results")
    expect(results.locator(".results-count")).to_have_text("2 listings")
    buyer.get_by_label("Category").select_option(label="Home & Garden")
    expect(results.locator(".results-count")).to_have_text("1 listing in Home & Garden")
    expect(results.locator(".card-title")).to_have_text(["Green ceramic mug with saucer"])
    expect(buyer).to_have_url(re.compile(r"\?q=ceramic(%20|\+)mug&category=home-garden&"))
    results.get_by_role("link", name="Green ceramic mug with saucer").click()
    buyer.get_by_role("textbox", name="Message").fill("Hello! Is the saucer included in the price?")
    buyer.get_by_role("button", name="Send message").click()
    expect(buyer.locator(".bubble.is-mine")).to_contain_text("Is the saucer included")

    # The seller sees it in her inbox and replies; the buyer reads the reply.
    seller.goto("/")
    expect(seller.get_by_role("link", name="Messages")).to_contain_text("1")
    seller.get_by_role("link", name="Messages").click()
    seller.get_by_role("link", name="Green ceramic mug with saucer").first.click()
    expect(seller.locator(".bubble").first).to_contain_text("Is the saucer included")
    seller.get_by_role("textbox", name="Message").fill("Yes, it comes with the saucer.")
    seller.get_by_role("button", name="Send").click()
    expect(seller.locator(".bubble.is-mine")).to_contain_text("it comes with the saucer")
    buyer.reload()
    expect(buyer.locator(".bubble").last).to_contain_text("Yes, it comes with the saucer.")

    # Staff see the vote and the corrections on the suggestion review screen, then annotate the suggestion.
    staff = open_page()
    log_in(staff, "stella")
    staff.get_by_role("link", name="Admin").click()
    staff.get_by_role("link", name="Suggestion reviews").click()
    row = staff.locator("#result_list tbody tr").filter(has_text="Green ceramic mug")
    expect(row).to_have_count(1)
    expect(row.locator(".field-vote_column")).to_have_text("👎")
    expect(row.locator(".field-changed_column")).to_have_text("title, price")
    row.locator(".field-created_at a").click()
    expect(staff.locator(".field-vote_detail")).to_contain_text("Price off")
    expect(staff.locator(".field-vote_detail")).to_contain_text("Handmade mugs sell for more.")
    comparison = staff.locator(".review-compare tbody tr")
    expect(comparison.filter(has_text="title").locator("td").last).to_have_text("Green ceramic mug with saucer")
    expect(comparison.filter(has_text="title").locator("ins")).to_have_text("with saucer")
    expect(comparison.filter(has_text="price").locator("td")).to_have_text(["6.50", "9.00"])

    staff.goto("/staff/annotate/")
    expect(staff.locator(".annotate-vote")).to_contain_text("Handmade mugs sell for more.")
    price_row = staff.locator(".annotate-fields tbody tr").filter(has=staff.get_by_role("rowheader", name="Price"))
    price_row.get_by_label("Wrong").check()
    price_row.locator("input[name=price_value]").fill("12")
    staff.get_by_role("button", name="Save and next").click()
    expect(staff.locator(".messagelist")).to_contain_text("Saved. Here is the next one.")
    annotation = Annotation.objects.get(analysis=analysis)
    assert annotation.annotator.username == "stella"
    assert annotation.wrong_fields == ["price"]
    assert annotation.verdicts["price"]["value"] == "12"
